"""A mixed load on products_db while its server is killed, restarted and frozen at
seeded random moments: what each request got, and how long the service took to answer
again after each time the server came back."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
from fastapi import APIRouter

from app.controllers.products import ProductController
from app.models import PRODUCTS
from tests.support.servers import Server

# What each operation may answer besides 503: anything else (a 500 above all) is a failure.
EXPECTED = {
    "post": {201},
    "get": {200},
    "list": {200},
    "patch": {200},
    "unit": {201},
    "expand": {200},  # events live elsewhere; a products_db that is down is X-Expand-Failed
}
RECOVERY_LIMIT = 5.0  # seconds from the server accepting connections to the service answering
PROBE_INTERVAL = 0.05


@dataclass
class Outcome:
    operation: str
    status: int | None  # None: no answer at all (the connection broke, or the app raised)
    response: httpx.Response | None
    error: str | None = None

    def describe(self) -> str:
        said = self.error or (self.response.text[:300] if self.response is not None else "")
        return f"{self.operation}: {self.status} {said}"


def unit_of_work_router(provider: Callable[[], ProductController]) -> APIRouter:
    """POST /chaos/units: two products created and one of them changed, in one unit of
    work, as a controller that needs several statements does it."""
    router = APIRouter()

    @router.post("/chaos/units", status_code=201)
    async def unit(body: dict[str, str]) -> dict[str, Any]:
        controller = provider()
        async with controller.transaction():
            first = await controller.create(
                PRODUCTS.create(sku=f"{body['tag']}-a", name="unit", price="1.00")
            )
            second = await controller.create(
                PRODUCTS.create(sku=f"{body['tag']}-b", name="unit", price="1.00")
            )
            await controller.update(first["id"], PRODUCTS.patch(stock=7))
        return {"ids": [str(first["id"]), str(second["id"])]}

    return router


@dataclass
class Chaos:
    client: httpx.AsyncClient
    server: Server
    seed: int
    kills: int = 20
    freezes: int = 4
    outcomes: list[Outcome] = field(default_factory=list)
    created: set[str] = field(default_factory=set)  # acknowledged products
    stock: dict[str, int] = field(default_factory=dict)  # the last acknowledged stock of each
    recoveries: list[float] = field(default_factory=list)
    slow_recoveries: list[float] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    stopped: bool = False
    _counter: int = 0

    @property
    def rng(self) -> random.Random:
        return self._rng

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def seed_rows(self, products: int = 5) -> None:
        for n in range(products):
            body = {"sku": f"seed-{n}", "name": "seed", "price": "1.00"}
            created = (await self.client.post("/products", json=body)).json()
            self.created.add(created["id"])
            self.stock[created["id"]] = 0
            event = {"type": "chaos", "product_id": created["id"]}
            self.event_ids.append((await self.client.post("/events", json=event)).json()["id"])

    async def worker(self, number: int) -> None:
        rng = random.Random(self.seed * 1000 + number)
        own: list[str] = []
        operations: list[tuple[str, Callable[[random.Random, list[str]], Awaitable[None]]]] = [
            ("post", self._post),
            ("get", self._get),
            ("list", self._list),
            ("patch", self._patch),
            ("unit", self._unit),
            ("expand", self._expand),
        ]
        while not self.stopped:
            _, operation = rng.choice(operations)
            await operation(rng, own)

    def _tag(self) -> str:
        self._counter += 1
        return f"c{self.seed}-{self._counter}"

    async def _call(self, operation: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        try:
            response = await self.client.request(method, path, **kwargs)
        except Exception as error:  # a broken connection, or an exception out of the app
            self.outcomes.append(Outcome(operation, None, None, f"{type(error).__name__}: {error}"))
            return None
        self.outcomes.append(Outcome(operation, response.status_code, response))
        return response

    async def _post(self, rng: random.Random, own: list[str]) -> None:
        body = {"sku": self._tag(), "name": "chaos", "price": "2.50"}
        response = await self._call("post", "POST", "/products", json=body)
        if response is not None and response.status_code == 201:
            id = response.json()["id"]
            self.created.add(id)
            self.stock[id] = 0
            own.append(id)

    async def _get(self, rng: random.Random, own: list[str]) -> None:
        await self._call("get", "GET", f"/products/{rng.choice(sorted(self.created))}")

    async def _list(self, rng: random.Random, own: list[str]) -> None:
        await self._call("list", "GET", "/products", params={"limit": 5, "sort": "-created_at"})

    async def _patch(self, rng: random.Random, own: list[str]) -> None:
        if not own:
            return await self._post(rng, own)
        id = rng.choice(own)  # only this worker changes it: the last acknowledged value is known
        stock = self.stock[id] + 1
        response = await self._call("patch", "PATCH", f"/products/{id}", json={"stock": stock})
        if response is not None and response.status_code == 200:
            self.stock[id] = stock
        return None

    async def _unit(self, rng: random.Random, own: list[str]) -> None:
        response = await self._call("unit", "POST", "/chaos/units", json={"tag": self._tag()})
        if response is not None and response.status_code == 201:
            first, second = response.json()["ids"]
            self.created.update((first, second))
            self.stock[first], self.stock[second] = 7, 0

    async def _expand(self, rng: random.Random, own: list[str]) -> None:
        await self._call("expand", "GET", "/events", params={"expand": "product", "limit": 5})

    async def faults(self) -> None:
        """`kills` kills at random moments, each followed by a restart, and `freezes`
        freezes (SIGSTOP, then SIGCONT) among them; after each, the time until the service
        answers again."""
        freeze_at = set(self.rng.sample(range(self.kills), self.freezes))
        for cycle in range(self.kills):
            await asyncio.sleep(self.rng.uniform(0.1, 0.6))
            if cycle in freeze_at:
                self.server.freeze()
                await asyncio.sleep(self.rng.uniform(0.3, 1.0))
                self.server.thaw()
                await self._recovered()
                await asyncio.sleep(self.rng.uniform(0.1, 0.5))
            await self.server.kill()
            await asyncio.sleep(self.rng.uniform(0.0, 0.3))
            await self.server.start()  # returns once the server accepts connections
            await self._recovered()

    async def _recovered(self) -> None:
        started = time.perf_counter()
        deadline = started + RECOVERY_LIMIT
        while time.perf_counter() < deadline:
            try:
                response = await self.client.get("/products", params={"limit": 1})
                if response.status_code == 200:
                    self.recoveries.append(time.perf_counter() - started)
                    return
            except Exception:  # counted by the load, not here
                pass
            await asyncio.sleep(PROBE_INTERVAL)
        self.slow_recoveries.append(time.perf_counter() - started)

    def statuses(self) -> Counter[tuple[str, int | None]]:
        return Counter((o.operation, o.status) for o in self.outcomes)

    def unexpected(self) -> list[Outcome]:
        """Answers that are neither the operation's success nor a proper 503."""
        wrong = []
        for outcome in self.outcomes:
            if outcome.status in EXPECTED[outcome.operation]:
                continue
            if outcome.status == 503 and outcome.operation != "expand" and _proper_503(outcome.response):
                continue
            wrong.append(outcome)
        return wrong

    def expand_failed(self) -> int:
        return sum(
            1
            for o in self.outcomes
            if o.operation == "expand" and o.response is not None and "x-expand-failed" in o.response.headers
        )

    def created_ids(self) -> list[UUID]:
        return [UUID(id) for id in sorted(self.created)]


def _proper_503(response: httpx.Response | None) -> bool:
    if response is None:
        return False
    body = response.json()
    return (
        response.headers.get("content-type") == "application/problem+json"
        and response.headers.get("retry-after", "").isdigit()
        and body.get("status") == 503
        and bool(body.get("detail"))
    )
