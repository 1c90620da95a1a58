from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from dependency_injector import providers
from fastapi import APIRouter

from app.main import create_app
from containers import Container
from settings import Settings


def settings(**values: Any) -> Settings:
    """Settings from `values` alone: no environment variable or .env file leaks in.
    Schemas are brought to head at startup unless the test says otherwise."""
    return Settings(_env_file=None, **{"AUTO_MIGRATE": True, **values})


def container(config: Settings) -> Container:
    return Container(settings=providers.Object(config))


@asynccontextmanager
async def serve(service_container: Any, *extra: APIRouter) -> AsyncIterator[httpx.AsyncClient]:
    """The app around `service_container`, with `extra` routes, started and stopped
    like uvicorn does."""
    app = create_app(service_container)
    for router in extra:
        app.include_router(router)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://multidb.test") as client:
            yield client
