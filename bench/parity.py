"""Before measuring: the baselines answer what the service answers. Reads must be equal byte
for byte; writes (whose ids and timestamps differ) equal once those are masked."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Sequence

from bench.servers import Server

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
ANY_TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


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


def masked(body: bytes, *values: str, loose: bool = False) -> bytes:
    body = (ANY_TIMESTAMP if loose else TIMESTAMP).sub(b"<time>", UUID.sub(b"<id>", body))
    for value in values:
        body = body.replace(value.encode(), b"<value>")
    return body


def check_parity(
    service: Server, others: Sequence[Server], ids: Sequence[str], loose: Collection[str] = ()
) -> list[str]:
    """What differs between the service's answers and each other server's, in one line each.
    The servers named in `loose` (the peers) are compared by JSON value, not byte for byte, and
    their writes without the Location header, which their docs' way does not send."""
    reads = [
        f"/products/{ids[0]}",
        f"/products/{ids[-1]}",
        "/products?limit=20",
        "/products?limit=3&offset=7",
    ]
    problems = compare_reads(service, others, reads, loose)
    stamp = time.time_ns()
    writes = {
        server.name: _writes(server, f"parity-{index}-{stamp}", ids[1], server.name in loose)
        for index, server in enumerate([service, *others])
    }
    for server in others:
        for (what, ours), (_, theirs) in zip(writes[service.name], writes[server.name], strict=True):
            same = theirs == ours
            if server.name in loose:  # the status and the body's values
                same = (theirs[0], _value(theirs[2])) == (ours[0], _value(masked(ours[2], loose=True)))
            if not same:
                problems.append(f"{server.name}: {what} gave {theirs!r}, the service {ours!r}")
    return problems


def compare_reads(
    service: Server, others: Sequence[Server], paths: Sequence[str], loose: Collection[str] = ()
) -> list[str]:
    """What differs between the service's answers to GET `paths` (each must be a 200) and
    each other server's, byte for byte (by JSON value for those named in `loose`), in one
    line each."""
    problems = []
    expected = {path: request(service, "GET", path) for path in paths}
    for path, answer in expected.items():
        if answer[0] != 200:
            problems.append(f"{service.name}: GET {path} answered {answer[0]}: {answer[2][:300]!r}")
    for server in others:
        for path, answer in expected.items():
            got = request(server, "GET", path)
            if server.name in loose:
                same = (got[0], _value(got[2])) == (answer[0], _value(answer[2]))
            else:
                same = got == answer
            if not same:
                problems.append(
                    f"{server.name}: GET {path} gave {got[2][:300]!r}, the service {answer[2][:300]!r}"
                )
    return problems


def _value(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return body


def _writes(
    server: Server, sku: str, id: str, loose: bool = False
) -> list[tuple[str, tuple[int, bool, bytes]]]:
    """(what, (status, whether Location names the new row, masked body)) of a POST and a PATCH."""
    new = {"sku": sku, "name": "Parity check ü", "price": 12.5, "stock": 3}
    status, location, body = request(server, "POST", "/products", new)
    created = json.loads(body).get("id") if status == 201 else None
    post = (status, location == f"/products/{created}", masked(body, sku, loose=loose))
    status, _, body = request(server, "PATCH", f"/products/{id}", {"price": "7.10", "stock": 11})
    return [("POST /products", post), ("PATCH /products/{id}", (status, True, masked(body, loose=loose)))]
