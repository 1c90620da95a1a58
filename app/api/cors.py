"""CORS for browser front-ends on other origins: CORS_ORIGINS (exact origins) may call
the API with credentials. Starlette's middleware answers preflights itself, so it is
placed before the API key check; the actual requests still need a key."""

from __future__ import annotations

from typing import Any

from starlette.middleware.cors import CORSMiddleware

from app.api.consistency import READ_FROM_HEADER, TOKEN_HEADER
from settings import Settings

__all__ = ["CORSMiddleware", "cors_options"]

EXPOSED = ["ETag", "Location", "Retry-After", TOKEN_HEADER, "X-Partial-Results", "X-Expand-Failed"]
EXPOSED.append("X-Request-ID")  # app.api.request_ids


def cors_options(settings: Settings) -> dict[str, Any]:
    headers = ["Authorization", "Content-Type", "If-Match", "If-None-Match", TOKEN_HEADER, READ_FROM_HEADER]
    headers.append("X-Request-ID")  # a front-end's own id for the request, kept when well formed
    if settings.TENANT_SELECTED and settings.TENANT_FROM == "header":
        headers.append(settings.TENANT_HEADER)
    return {
        "allow_origins": list(settings.CORS_ORIGINS),
        "allow_credentials": True,
        "allow_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        "allow_headers": headers,
        "expose_headers": EXPOSED,
        "max_age": settings.CORS_MAX_AGE,
    }
