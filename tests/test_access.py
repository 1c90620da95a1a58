"""Optional API keys: with API_KEYS set, everything but /health and the /docs page needs a Bearer key,
read-only keys cannot write, and every refusal is problem+json and documented.
Keys and passwords may come from files, Docker-secrets style."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.api.auth import PUBLIC_PATHS
from app.main import create_app
from tests.contract.helpers import problem
from tests.support.environment import error_of, load
from tests.support.process import service_environment
from tests.support.service import container, serve, settings

KEY = "full-key-0123456789abcdef"
READ_ONLY_KEY = "read-only-key-0123456789"
FULL = {"Authorization": f"Bearer {KEY}"}
READ_ONLY = {"Authorization": f"Bearer {READ_ONLY_KEY}"}
PRODUCT = {"sku": "k", "name": "K", "price": "1"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    config = settings(DB_TYPE="memory", API_KEYS=f"{KEY},ro:{READ_ONLY_KEY}")
    async with serve(container(config)) as served:
        yield served


def unauthorized(response: httpx.Response) -> None:
    problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_without_a_valid_key_everything_but_health_is_401(client: httpx.AsyncClient) -> None:
    product = (await client.post("/products", json=PRODUCT, headers=FULL)).json()
    wrong = [
        {},
        {"Authorization": "Bearer not-a-key-of-ours-at-all"},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": f"Bearer {KEY[:-1]}"},
        {"Authorization": f"Bearer {KEY}x"},
        {"Authorization": "Bearer"},
        {"X-API-Key": KEY},
    ]
    for headers in wrong:
        for method, path in [
            ("GET", "/products"),
            ("GET", f"/products/{product['id']}"),
            ("POST", "/products"),
            ("DELETE", f"/products/{product['id']}"),
            ("GET", "/openapi.json"),
            # /docs and /redoc are public: their pages ask for a key (test_http_semantics)
            ("GET", "/no-such-path"),
        ]:
            unauthorized(await client.request(method, path, headers=headers, json=PRODUCT))
    health = await client.get("/health")
    assert health.status_code == 200
    assert (await client.get(f"/products/{product['id']}", headers=FULL)).json() == product


async def test_a_full_key_reads_and_writes(client: httpx.AsyncClient) -> None:
    created = await client.post("/products", json=PRODUCT, headers=FULL)
    assert created.status_code == 201
    id = created.json()["id"]
    assert (await client.patch(f"/products/{id}", json={"stock": 3}, headers=FULL)).status_code == 200
    assert (await client.get("/products", headers={"Authorization": f"bearer {KEY}"})).json()["total"] == 1
    assert (await client.delete(f"/products/{id}", headers=FULL)).status_code == 204


async def test_a_read_only_key_reads_and_every_write_is_403(client: httpx.AsyncClient) -> None:
    product = (await client.post("/products", json=PRODUCT, headers=FULL)).json()
    id = product["id"]

    assert (await client.get("/products", headers=READ_ONLY)).json()["total"] == 1
    assert (await client.get(f"/products/{id}", headers=READ_ONLY)).json() == product
    assert (await client.get("/openapi.json", headers=READ_ONLY)).status_code == 200
    for method, path, body in [
        ("POST", "/products", {**PRODUCT, "sku": "other"}),
        ("PUT", f"/products/{id}", {**PRODUCT, "name": "changed"}),
        ("PATCH", f"/products/{id}", {"name": "changed"}),
        ("DELETE", f"/products/{id}", None),
    ]:
        assert (
            "read-only"
            in problem(await client.request(method, path, json=body, headers=READ_ONLY), 403)["detail"]
        )
    assert (await client.get("/products", headers=FULL)).json()["items"] == [product]


def test_the_openapi_document_declares_the_keys_when_they_are_on() -> None:
    document = create_app(container(settings(DB_TYPE="memory", API_KEYS=KEY))).openapi()

    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert document["security"] == [{"bearerAuth": []}]
    # Public, and a key shows more: OpenAPI's `{}` is "no key needed".
    assert document["paths"]["/health"]["get"]["security"] == [{}, {"bearerAuth": []}]
    assert not {"401", "403"} & set(document["paths"]["/health"]["get"]["responses"])
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path in PUBLIC_PATHS:  # /health and its probes: tests/test_probes.py
                continue
            responses = operation["responses"]
            assert "401" in responses, (method, path)
            assert ("403" in responses) == (method != "get"), (method, path)
            for status in ("401", "403"):
                if status in responses:
                    schema = responses[status]["content"]["application/problem+json"]["schema"]
                    assert schema["$ref"].endswith("/Problem")


def test_without_keys_nothing_is_declared() -> None:
    document = create_app(container(settings(DB_TYPE="memory"))).openapi()

    assert "security" not in document
    assert all(
        not {"401", "403"} & set(operation["responses"])
        for operations in document["paths"].values()
        for operation in operations.values()
    )


# --- configuration -------------------------------------------------------------------


def test_keys_are_separated_by_commas_and_ro_makes_one_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = load(monkeypatch, API_KEYS=f" {KEY} , ro:{READ_ONLY_KEY}").api_keys

    assert [(key.secret.get_secret_value(), key.read_only) for key in keys] == [
        (KEY, False),
        (READ_ONLY_KEY, True),
    ]
    assert KEY not in repr(keys)


def test_keys_and_passwords_come_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "keys").write_text(f"{KEY}\nro:{READ_ONLY_KEY}\n")
    (tmp_path / "primary").write_text("primary-password\n")
    (tmp_path / "users").write_text("users-password")
    loaded = load(
        monkeypatch,
        API_KEYS_FILE=str(tmp_path / "keys"),
        DB_TYPE="postgres",
        DB_USER="u",
        DB_NAME="n",
        DB_PASSWORD_FILE=str(tmp_path / "primary"),
        DATABASES__users_db__DB_TYPE="mysql",
        DATABASES__users_db__DB_HOST="h",
        DATABASES__users_db__DB_USER="u",
        DATABASES__users_db__DB_NAME="n",
        DATABASES__users_db__DB_PASSWORD_FILE=str(tmp_path / "users"),
    )

    assert [key.read_only for key in loaded.api_keys] == [False, True]
    assert loaded.primary.password == "primary-password"
    assert loaded.DATABASES["users_db"].password == "users-password"
    assert {KEY, READ_ONLY_KEY, "primary-password", "users-password"} <= loaded.secrets()
    assert "primary-password" not in repr(loaded)


@pytest.mark.parametrize(
    "variable",
    ["API_KEYS_FILE", "DB_PASSWORD_FILE", "DATABASES__users_db__DB_PASSWORD_FILE"],
)
def test_an_unreadable_secret_file_is_one_line_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str
) -> None:
    extra = {"DATABASES__users_db__DB_TYPE": "sqlite"} if variable.startswith("DATABASES") else {}

    message = error_of(monkeypatch, **extra, **{variable: str(tmp_path / "missing")})

    assert message.startswith(f"invalid configuration: {variable}: cannot read ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Xq7-tiny", "key 1 is shorter than 16 characters"),
        (f"{KEY},ro:Zz9-tiny", "key 2 is shorter than 16 characters"),
        (f"{KEY},Wq8 with a space inside", "key 2 may hold only"),
        (" , ", "no key given"),
    ],
)
def test_a_bad_key_is_refused_without_being_echoed(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    message = error_of(monkeypatch, API_KEYS=value)

    assert message.startswith("invalid configuration: API_KEYS: ")
    assert expected in message
    assert all(part.strip() not in message for part in value.split(",") if part.strip())


def test_a_password_and_its_file_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "p").write_text("x")

    message = error_of(monkeypatch, DB_PASSWORD="y", DB_PASSWORD_FILE=str(tmp_path / "p"))

    assert "DB_PASSWORD and DB_PASSWORD_FILE are both set" in message


def test_the_service_refuses_to_start_on_an_unreadable_key_file(tmp_path: Path) -> None:
    env = service_environment(API_KEYS_FILE=str(tmp_path / "missing"))

    result = subprocess.run(
        [sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode != 0
    missing = tmp_path / "missing"
    assert result.stderr.strip().splitlines() == [
        f"multidb: invalid configuration: API_KEYS_FILE: cannot read {missing}: No such file or directory"
    ]
