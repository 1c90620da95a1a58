"""Before measuring: the baselines answer what the service answers. Reads must be equal byte
for byte; writes (whose ids and timestamps differ) equal once those are masked."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

from bench.servers import Server

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def request(server: Server, method: str, path: str, body: object = None) -> tuple[int, str, bytes]:
    """(status, Location header, body) of one request."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data else {}
    call = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=30) as response:
            return response.status, response.headers.get("Location", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", error.read()


def masked(body: bytes, *values: str) -> bytes:
    body = TIMESTAMP.sub(b"<time>", UUID.sub(b"<id>", body))
    for value in values:
        body = body.replace(value.encode(), b"<value>")
    return body


def check_parity(service: Server, others: Sequence[Server], ids: Sequence[str]) -> list[str]:
    """What differs between the service's answers and each other server's, in one line each."""
    reads = [
        f"/products/{ids[0]}",
        f"/products/{ids[-1]}",
        "/products?limit=20",
        "/products?limit=3&offset=7",
    ]
    problems = compare_reads(service, others, reads)
    stamp = time.time_ns()
    writes = {
        server.name: _writes(server, f"parity-{index}-{stamp}", ids[1])
        for index, server in enumerate([service, *others])
    }
    for server in others:
        for (what, ours), (_, theirs) in zip(writes[service.name], writes[server.name], strict=True):
            if theirs != ours:
                problems.append(f"{server.name}: {what} gave {theirs!r}, the service {ours!r}")
    return problems


def compare_reads(service: Server, others: Sequence[Server], paths: Sequence[str]) -> list[str]:
    """What differs between the service's answers to GET `paths` (each must be a 200) and
    each other server's, byte for byte, in one line each."""
    problems = []
    expected = {path: request(service, "GET", path) for path in paths}
    for path, answer in expected.items():
        if answer[0] != 200:
            problems.append(f"{service.name}: GET {path} answered {answer[0]}: {answer[2][:300]!r}")
    for server in others:
        for path, answer in expected.items():
            got = request(server, "GET", path)
            if got != answer:
                problems.append(
                    f"{server.name}: GET {path} gave {got[2][:300]!r}, the service {answer[2][:300]!r}"
                )
    return problems


def _writes(server: Server, sku: str, id: str) -> list[tuple[str, tuple[int, bool, bytes]]]:
    """(what, (status, whether Location names the new row, masked body)) of a POST and a PATCH."""
    new = {"sku": sku, "name": "Parity check ü", "price": 12.5, "stock": 3}
    status, location, body = request(server, "POST", "/products", new)
    created = json.loads(body).get("id") if status == 201 else None
    post = (status, location == f"/products/{created}", masked(body, sku))
    status, _, body = request(server, "PATCH", f"/products/{id}", {"price": "7.10", "stock": 11})
    return [("POST /products", post), ("PATCH /products/{id}", (status, True, masked(body)))]
