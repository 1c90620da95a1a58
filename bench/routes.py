"""python -m bench.routes: what each way of writing a FastAPI route costs, alone.

One `GET /products/{id}` whose controller answers fixed bytes, written each way the
service's routes could be, called in-process as uvicorn calls an ASGI app (no socket, no
database), one request at a time on uvloop: CPU µs per request, the median of 7 alternated loops.
Writes results/routes.md.
"""

import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from statistics import median
from typing import Annotated, Any
from uuid import UUID

import uvloop
from dependency_injector import containers, providers
from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, FastAPI, Query, Response
from pydantic import BaseModel, ConfigDict

from app.api.dependencies.container import Provided

RESULTS = Path(__file__).parent / "results"
Call = Callable[[], Awaitable[tuple[int, bytes]]]


def asgi_call(app: Any, method: str, path: str, query: str = "", body: Any = None) -> Call:
    """One request to `app`, as uvicorn would send it; the call answers (status, body)."""
    data = b"" if body is None else json.dumps(body).encode()
    headers = [(b"host", b"bench"), (b"user-agent", b"bench")]
    if data:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def call() -> tuple[int, bytes]:
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": data, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app({**scope, "state": {}}, receive, send)
        return status, b"".join(chunks)

    return call


async def per_request(calls: dict[str, Call], requests: int = 1000, rounds: int = 7) -> dict[str, float]:
    """CPU µs per request of each call, the median of `rounds` loops; the loops alternate
    between the calls (A B C, A B C, ...) so that the machine's drift is shared."""
    for name, call in calls.items():
        status, body = await call()
        if status >= 300:
            raise RuntimeError(f"{name} answered {status}: {body[:200]!r}")
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.process_time()
            for _ in range(requests):
                await call()
            timings[name].append((time.process_time() - start) / requests * 1e6)
    return {name: median(found) for name, found in timings.items()}


class Controller:
    async def get(self, id: UUID) -> bytes:
        return BODY


BODY = json.dumps({"id": "0", "name": "A product"}).encode()
ID = UUID(int=7)


def variants() -> dict[str, Any]:
    """`GET /products/{id}` on FastAPI, written each way the service's routes could be."""

    class Container(containers.DeclarativeContainer):
        controller = providers.Factory(Controller)

    container = Container()

    class NoParams(BaseModel):
        model_config = ConfigDict(extra="ignore")

    def app(*, included: bool = False) -> tuple[FastAPI, APIRouter]:
        fastapi = FastAPI()
        router = APIRouter(prefix="/products") if included else fastapi.router
        return fastapi, router

    def path(router: APIRouter) -> str:
        return "/{id}" if router.prefix else "/products/{id}"

    found: dict[str, Any] = {}

    plain, router = app()

    @router.get(path(router))
    async def get_plain(id: UUID) -> Response:
        return Response(await container.controller().get(id), media_type="application/json")

    found["a route on the app, the controller called in the route"] = plain

    included, router = app(included=True)

    @router.get(path(router))
    async def get_included(id: UUID) -> Response:
        return Response(await container.controller().get(id), media_type="application/json")

    included.include_router(router)
    found["... in an included router (the service's routes)"] = included

    with_response, router = app()

    @router.get(path(router))
    async def get_response(id: UUID, response: Response) -> Response:
        return Response(await container.controller().get(id), media_type="application/json")

    found["... with a `Response` parameter"] = with_response

    with_query, router = app()

    @router.get(path(router))
    async def get_query(id: UUID, params: Annotated[NoParams, Query()]) -> Response:
        return Response(await container.controller().get(id), media_type="application/json")

    found["... with an empty query model (GET one's expand params)"] = with_query

    with_depends, router = app()

    @router.get(path(router))
    @inject
    async def get_depends(
        id: UUID, controller: Annotated[Controller, Depends(Provided[Container.controller])]
    ) -> Response:
        return Response(await controller.get(id), media_type="application/json")

    container.wire(modules=[__name__])
    found["... the controller as Depends(Provided[...]) through @inject (the service's way)"] = with_depends

    with_model, router = app()

    class Read(BaseModel):
        id: str
        name: str

    @router.get(path(router), response_model=Read)
    async def get_model(id: UUID) -> Any:
        return json.loads(await container.controller().get(id))

    found["... returning a dict through response_model (validated, then serialized)"] = with_model
    return found


async def measure() -> list[tuple[str, float]]:
    """(how the route is written, µs per request)."""
    calls = {name: asgi_call(app, "GET", f"/products/{ID}") for name, app in variants().items()}
    return list((await per_request(calls)).items())


def main(argv: list[str]) -> int:
    found = uvloop.run(measure())
    lines = [
        "# Ways to write a route, alone (`python -m bench.routes`)",
        "",
        "A route whose controller answers fixed bytes, called in-process as uvicorn calls an ASGI",
        "app, one request at a time on uvloop. CPU µs per request (process time), the median of 7",
        "loops of 1,000 requests, the loops alternating between the ways.",
        "",
        "| `GET /products/{id}` written as | µs per request |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {micros:,.1f} |" for name, micros in found]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "routes.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
