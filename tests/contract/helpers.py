from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The RFC 9457 body of an error answer, after checking its status and shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"]
    return body


def error_fields(response: httpx.Response) -> set[str]:
    return {error["field"] for error in problem(response, 422)["errors"]}


async def create(client: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def total(client: httpx.AsyncClient, path: str) -> int:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    count: int = response.json()["total"]
    return count


def instant(text: str) -> datetime:
    """A timestamp of an answer, to compare as a time (not as text)."""
    return datetime.fromisoformat(text)


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: numbers compared as the decimal values their JSON text writes
    (2e20 is 200000000000000000000, -0.0 is 0), the order of keys aside."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    numbers = (int, float)
    if type(a) in numbers and type(b) in numbers:
        return Decimal(repr(a)) == Decimal(repr(b))
    return type(a) is type(b) and a == b
