"""Ambiguous input is refused, not guessed: duplicate JSON keys, repeated query parameters,
loose types, bodies not declared JSON, look-alike identifiers, repeated sort fields."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.contract.helpers import problem
from tests.support.service import container, serve, settings

PRODUCT = b'{"sku": "k-1", "name": "K", "price": "1.00"}'
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serve(container(settings(DB_TYPE="memory"))) as served:
        yield served


def field_errors(response: httpx.Response) -> dict[str, str]:
    return {error["field"]: error["message"] for error in problem(response, 422)["errors"]}


async def test_a_key_given_twice_in_a_json_body_is_422_naming_it(client: httpx.AsyncClient) -> None:
    twice = b'{"sku": "k-1", "name": "K", "price": "1.00", "sku": "k-2"}'
    nested = b'{"type": "t", "properties": {"plan": "free", "plan": "pro"}}'

    assert (
        "'sku' appears more than once"
        in field_errors(await client.post("/products", content=twice, headers=JSON))["sku"]
    )
    assert "'plan'" in field_errors(await client.post("/events", content=nested, headers=JSON))["plan"]
    id = (await client.post("/products", content=PRODUCT, headers=JSON)).json()["id"]
    patch = b'{"stock": 1, "stock": 9}'
    assert "stock" in field_errors(await client.patch(f"/products/{id}", content=patch, headers=JSON))
    assert (await client.get("/products")).json()["total"] == 1
    assert (await client.get(f"/products/{id}")).json()["stock"] == 0


async def test_a_query_parameter_given_twice_is_422(client: httpx.AsyncClient) -> None:
    for query in ("limit=1&limit=50", "sku=a&sku=b", "sort=name&sort=-name", "offset=0&offset=0"):
        name = query.partition("=")[0]
        assert "more than once" in field_errors(await client.get(f"/products?{query}"))[name]
    id = (await client.post("/products", content=PRODUCT, headers=JSON)).json()["id"]
    assert field_errors(await client.get(f"/events/{id}?expand=user&expand=product"))["expand"]


@pytest.mark.parametrize("stock", ["true", "1.0", '"3"', "false"])
async def test_types_are_strict(client: httpx.AsyncClient, stock: str) -> None:
    body = b'{"sku": "k-1", "name": "K", "price": "1.00", "stock": ' + stock.encode() + b"}"
    assert "stock" in field_errors(await client.post("/products", content=body, headers=JSON))
    assert (await client.get("/products")).json()["total"] == 0


@pytest.mark.parametrize("occurred_at", ["0", "1764494126", "1.7e9", '"1764494126"'])
async def test_a_time_is_text_not_a_number(client: httpx.AsyncClient, occurred_at: str) -> None:
    body = b'{"type": "t", "occurred_at": ' + occurred_at.encode() + b"}"
    assert "occurred_at" in field_errors(await client.post("/events", content=body, headers=JSON))
    assert (await client.get("/events")).json()["total"] == 0


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/evil+json", "application/x-www-form-urlencoded", "application/jsonx"],
)
async def test_a_body_not_declared_json_is_415(client: httpx.AsyncClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    created = await client.post("/products", content=PRODUCT, headers=headers)

    assert "Content-Type: application/json" in problem(created, 415)["detail"]
    assert (await client.get("/products")).json()["total"] == 0
    ok = await client.post(
        "/products", content=PRODUCT, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert ok.status_code == 201
    id = ok.json()["id"]
    problem(await client.put(f"/products/{id}", content=PRODUCT, headers=headers), 415)
    problem(await client.patch(f"/products/{id}", content=b'{"stock": 1}', headers=headers), 415)


async def test_identifiers_are_nfc_and_refuse_invisible_characters(client: httpx.AsyncClient) -> None:
    composed = await client.post("/products", json={"sku": "caf\u00e9", "name": "C", "price": "1"})
    decomposed = await client.post("/products", json={"sku": "cafe\u0301", "name": "C", "price": "1"})
    found = await client.get("/products", params={"sku": "cafe\u0301"})

    assert composed.status_code == 201
    problem(decomposed, 409)  # the same sku, spelt otherwise
    assert [item["id"] for item in found.json()["items"]] == [composed.json()["id"]]
    for invisible in ("\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00ad"):
        sku = f"caf{invisible}e"
        assert (
            "invisible"
            in field_errors(await client.post("/products", json={"sku": sku, "name": "C", "price": "1"}))[
                "sku"
            ]
        )
        email = f"a{invisible}b@example.com"
        assert "email" in field_errors(await client.post("/users", json={"email": email, "name": "U"}))
    assert (await client.get("/products")).json()["total"] == 1


async def test_sort_names_each_field_once(client: httpx.AsyncClient) -> None:
    assert "more than once" in field_errors(await client.get("/products?sort=name,-name"))["sort"]
    assert "more than once" in field_errors(await client.get("/products?sort=price,+price"))["sort"]
    assert (await client.get("/products?sort=-price,name")).status_code == 200


def test_every_unique_text_field_is_an_identifier_without_being_declared_one() -> None:
    from pydantic import Field, ValidationError
    from sqlalchemy import Column

    from app.api.queries import list_params_model
    from app.models import columns as sql
    from app.models.base import Record, Writable
    from app.models.resource import Resource
    from app.models.table import metadata, resource_table

    class CodeCreate(Writable):
        code: str = Field(min_length=1, max_length=8)
        label: str = ""

    class Code(CodeCreate, Record):
        pass

    table = resource_table(
        "codes_identifiers",
        Column("code", sql.Text(8), nullable=False, unique=True),
        Column("label", sql.Text(8), nullable=False),
    )
    try:
        codes = Resource(name="codes", table=table, create=CodeCreate, read=Code, filterable=("code",))
    finally:
        metadata.remove(table)

    assert codes.identifiers == ("code",)
    assert codes.create.model_validate({"code": "e\u0301"}).code == "\u00e9"  # type: ignore[attr-defined]
    assert list_params_model(codes).model_validate({"code": "e\u0301"}).code == "\u00e9"  # type: ignore[attr-defined]
    assert codes.create.model_validate({"code": "a", "label": "x\u200by"}).label == "x\u200by"  # type: ignore[attr-defined]
    for model in (codes.create, codes.patch):
        with pytest.raises(ValidationError, match="invisible"):
            model.model_validate({"code": "a\u200bb"})


SINCE = {"If-Unmodified-Since": "Mon, 30 Nov 2026 07:00:00 GMT"}
BAD_ID = "/products/not-an-id"


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "says"),
    [
        # The body comes first: FastAPI's own parse, then the strict JSON check.
        ("PATCH", BAD_ID, {**JSON, **SINCE}, b"{not json", 422, "JSON decode error"),
        ("PATCH", BAD_ID, {"Content-Type": "application/merge-patch+json", **SINCE}, b"{", 422, "JSON"),
        ("PATCH", BAD_ID, {"Content-Type": "text/plain", **SINCE}, b"{}", 415, "Content-Type"),
        ("PUT", BAD_ID, {**JSON, **SINCE}, b'{"sku": "a", "sku": "b"}', 422, "more than once"),
        ("POST", "/products", {"Content-Type": "application/merge-patch+json"}, b"{}", 415, "Content-Type"),
        # Then If-Unmodified-Since, before the id or the body's fields are validated.
        ("PATCH", BAD_ID, {**JSON, **SINCE}, b"{}", 400, "If-Unmodified-Since"),
        ("PUT", BAD_ID, {**SINCE}, b"", 400, "If-Unmodified-Since"),
        ("DELETE", BAD_ID, SINCE, b"", 400, "If-Unmodified-Since"),
        ("GET", BAD_ID, SINCE, b"", 400, "If-Unmodified-Since"),
        # A query parameter given twice comes before If-Unmodified-Since.
        ("GET", f"{BAD_ID}?x=1&x=2", SINCE, b"", 422, "more than once"),
        # With none of these, the id and the body are validated.
        ("PATCH", BAD_ID, JSON, b"{}", 422, "invalid"),
        ("PUT", BAD_ID, {}, b"", 422, "invalid"),
    ],
)
async def test_refusals_come_in_one_order(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    says: str,
) -> None:
    answer = await client.request(method, path, headers=headers, content=body)

    found = problem(answer, status)
    assert says in found["detail"] + str(found.get("errors", "")), found
