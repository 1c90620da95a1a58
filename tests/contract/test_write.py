from __future__ import annotations

from uuid import uuid4

import httpx

from tests.contract.helpers import create, error_fields, instant, problem


async def test_put_replaces_every_writable_field(client: httpx.AsyncClient) -> None:
    product = await create(client, "/products", sku="a", name="A", price="5.00", stock=7)

    response = await client.put(f"/products/{product['id']}", json={"sku": "a2", "name": "A2", "price": "6"})

    assert response.status_code == 200, response.text
    replaced = response.json()
    assert (replaced["sku"], replaced["name"], replaced["price"], replaced["stock"]) == (
        "a2",
        "A2",
        "6.00",
        0,
    )
    assert replaced["id"] == product["id"]
    assert replaced["created_at"] == product["created_at"]
    assert instant(replaced["updated_at"]) >= instant(product["updated_at"])
    assert (await client.get(f"/products/{product['id']}")).json() == replaced


async def test_put_errors(client: httpx.AsyncClient) -> None:
    first = await create(client, "/products", sku="one", name="One", price="1")
    await create(client, "/products", sku="two", name="Two", price="2")

    problem(await client.put(f"/products/{uuid4()}", json={"sku": "x", "name": "X", "price": "1"}), 404)
    problem(await client.put(f"/products/{first['id']}", json={"sku": "two", "name": "X", "price": "1"}), 409)
    assert error_fields(await client.put(f"/products/{first['id']}", json={"sku": "x"})) == {"name", "price"}
    assert (await client.get(f"/products/{first['id']}")).json() == first


async def test_patch_changes_only_the_fields_it_names(client: httpx.AsyncClient) -> None:
    user = await create(client, "/users", email="alan@example.com", name="Alan")

    response = await client.patch(f"/users/{user['id']}", json={"name": "Alan T."})

    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["email"], patched["name"]) == ("alan@example.com", "Alan T.")
    assert patched["created_at"] == user["created_at"]
    assert (await client.get(f"/users/{user['id']}")).json() == patched


async def test_patch_errors_change_nothing(client: httpx.AsyncClient) -> None:
    user = await create(client, "/users", email="ken@example.com", name="Ken")
    await create(client, "/users", email="dennis@example.com", name="Dennis")

    problem(await client.patch(f"/users/{uuid4()}", json={"name": "X"}), 404)
    problem(await client.patch(f"/users/{user['id']}", json={"email": "Dennis@example.com"}), 409)
    assert error_fields(await client.patch(f"/users/{user['id']}", json={"name": None})) == {"name"}
    assert error_fields(await client.patch(f"/users/{user['id']}", json={"id": str(uuid4())})) == {"id"}
    assert (await client.get(f"/users/{user['id']}")).json() == user


async def test_patch_can_clear_an_optional_reference(client: httpx.AsyncClient) -> None:
    event = await create(client, "/events", type="t", user_id=str(uuid4()))

    patched = (await client.patch(f"/events/{event['id']}", json={"user_id": None})).json()

    assert patched["user_id"] is None


async def test_delete_is_204_then_404(client: httpx.AsyncClient) -> None:
    user = await create(client, "/users", email="barbara@example.com", name="Barbara")

    response = await client.delete(f"/users/{user['id']}")

    assert response.status_code == 204
    assert response.content == b""
    problem(await client.get(f"/users/{user['id']}"), 404)
    problem(await client.delete(f"/users/{user['id']}"), 404)
