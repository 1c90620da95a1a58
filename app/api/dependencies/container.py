"""`Provided[...]`: dependency-injector's `Provide` marker, for FastAPI routes.

FastAPI calls a route's dependencies itself, and sends any that is not a coroutine
function to the thread pool: `Provide`'s marker is a plain callable, so every request
paid a thread hop (about 0.1-0.3 ms, measured in bench/README.md) to get back the
marker that `@inject` then replaces. This one is awaited on the event loop instead; it
is still a `Provide`, so `@inject` and wiring treat it as one.
"""

from __future__ import annotations

from typing import Any

from dependency_injector.wiring import Provide


class Provided(Provide):  # type: ignore[valid-type,misc]  # a variable to the type checker
    async def __call__(self) -> Any:
        return self
