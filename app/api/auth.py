"""Optional API keys: with API_KEYS set, every request presents one, but for the public
paths: /health (overall status only, the detail needs a key), its probes /health/live and
/health/ready, and the docs page (its OpenAPI document and every call it makes need a key).

A pure ASGI middleware rather than a route dependency, so that nothing is served
without a key: not the OpenAPI document, not a 404 that would tell which paths exist.

A page a person opens in a browser (/status) also takes the key by HTTP Basic, as the
password (any user name): its 401 asks for it, the browser's own prompt takes it, and
the browser sends it again with each refresh, which a page without scripts cannot do
with a bearer header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Collection, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.openapi import problem_response
from app.api.problems import problem
from settings.secrets import ApiKey

# The probes (/health/live, /health/ready) too: an orchestrator's probe sends no key, and
# they answer a status word only.
PUBLIC_PATHS = frozenset({"/health", "/health/live", "/health/ready"})
# The scope key that says whether a request to a public path presented a valid key
# (absent when keys are off): what a public route may show depends on it.
AUTHENTICATED = "multidb.authenticated"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCHEME = "bearerAuth"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="multidb"'}
BROWSER_CHALLENGE = {"WWW-Authenticate": 'Basic realm="multidb: an API key as the password", charset="UTF-8"'}
# The scope key under which the tenant of the matched key (None if it has none) is
# passed on, for TENANT_FROM=api_key.
KEY_TENANT = "multidb.api_key_tenant"
NO_STORE = (b"cache-control", b"no-store")


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


class ApiKeyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        keys: Sequence[ApiKey],
        public: Collection[str] = PUBLIC_PATHS,
        pages: Collection[str] = (),
    ) -> None:
        """`pages`: paths a browser opens, which take the key by HTTP Basic too."""
        self.app = app
        self.public = frozenset(public)
        self.pages = frozenset(pages)
        # Digests of equal length, compared with compare_digest against every key:
        # neither the time taken nor an early exit tells how much of a key was right.
        self._keys = [(_digest(key.secret.get_secret_value().encode()), key) for key in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = scope["path"] in self.pages
        key = self._match(_bearer(scope) or (_basic_password(scope) if page else None))
        if scope["path"] in self.public and key is None:
            await self.app({**scope, AUTHENTICATED: False}, receive, send)
            return

        # What a key was needed for (or shown for) is no one else's: kept in no cache.
        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), NO_STORE]
            await send(message)

        if key is None:
            response = problem(
                401,
                "a valid API key is required: Authorization: Bearer <key>",
                BROWSER_CHALLENGE if page else CHALLENGE,
            )
        elif key.read_only and scope["method"] not in READ_METHODS:
            response = problem(403, "this API key is read-only")
        else:
            inner = {**scope, KEY_TENANT: key.tenant, AUTHENTICATED: True}
            await self.app(inner, receive, send_no_store)
            return
        await response(scope, receive, send_no_store)

    def _match(self, presented: bytes | None) -> ApiKey | None:
        """The key presented; None when it is no key of ours."""
        if presented is None:
            return None
        digest = _digest(presented)
        found: ApiKey | None = None
        for known, key in self._keys:
            if hmac.compare_digest(digest, known):
                found = key
        return found


def _bearer(scope: Scope) -> bytes | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                return credentials.strip()
            return None
    return None


def _basic_password(scope: Scope) -> bytes | None:
    """The password of HTTP Basic credentials (the user name is not looked at)."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.partition(b" ")
            if scheme.lower() != b"basic":
                return None
            try:
                _, colon, password = base64.b64decode(credentials.strip(), validate=True).partition(b":")
            except (binascii.Error, ValueError):
                return None
            return password if colon and password else None
    return None


def document_api_keys(schema: dict[str, Any]) -> None:
    """Declare the Bearer scheme, a 401 on every operation but the public ones, and a
    403 on every write (a read-only key's answer)."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "One of API_KEYS; keys written `ro:<key>` there may only read.",
    }
    schema["security"] = [{SCHEME: []}]
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if path in PUBLIC_PATHS:
                # Public, but a key shows more: `{}` is "no key needed" in OpenAPI.
                operation["security"] = [{}, {SCHEME: []}]
                continue
            responses = operation.setdefault("responses", {})
            responses["401"] = problem_response("Unauthorized: no API key, or an unknown one")
            if method.upper() not in READ_METHODS:
                responses["403"] = problem_response("Forbidden: the API key is read-only")


def presents(scope: Scope, secret: str) -> bool:
    """Whether the request's bearer credentials are `secret` (METRICS_KEY)."""
    presented = _bearer(scope)
    return presented is not None and hmac.compare_digest(_digest(presented), _digest(secret.encode()))
