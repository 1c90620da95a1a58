"""The README's worked examples, run as they are written there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import make_url

from app.models import PRODUCTS
from containers import Container
from tests.support import stored
from tests.support.service import serve

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"### {title}")
    following = re.search(r"\n##+ ", README[start + 1 :])
    return README[start : start + 1 + following.start()] if following else README[start:]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def environment(title: str) -> dict[str, str]:
    (block,) = blocks(section(title), "sh")
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


def point_at(variables: dict[str, str], url: str) -> dict[str, str]:
    """The README's variables, with the server replaced by the one the tests have."""
    parsed = make_url(url)
    prefix = next(iter(variables)).rsplit("__", 1)[0]
    located = {
        "DB_HOST": parsed.host or "",
        "DB_PORT": str(parsed.port or ""),
        "DB_USER": parsed.username or "",
        "DB_PASSWORD": parsed.password or "",
        "DB_NAME": parsed.database or "",
    }
    return {**variables, **{f"{prefix}__{field}": value for field, value in located.items()}}


async def test_a_resource_moves_to_another_database_by_environment_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, postgres_url: str
) -> None:
    variables = environment("Point a resource at another database, by environment alone")
    assert variables["DATABASES__products_db__DB_TYPE"] == "postgres"
    monkeypatch.chdir(tmp_path)
    for name, value in point_at(variables, postgres_url).items():
        monkeypatch.setenv(name, value)

    async with serve(Container()) as client:
        product = (await client.post("/products", json={"sku": "moved", "name": "M", "price": "3"})).json()
        assert (await client.get(f"/products/{product['id']}")).status_code == 200

    assert await stored.postgres_ids(postgres_url, PRODUCTS.name, [product["id"]]) == {product["id"]}
    assert stored.sqlite_ids(str(tmp_path / "data" / "app.db"), PRODUCTS.name, [product["id"]]) == set()


async def test_a_named_database_gets_a_provider_and_a_health_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mysql_url: str
) -> None:
    variables = environment("Add a named database")
    monkeypatch.chdir(tmp_path)
    for name, value in point_at(variables, mysql_url).items():
        monkeypatch.setenv(name, value)
    container = Container()

    async with serve(container) as client:
        health = (await client.get("/health")).json()

    assert health["databases"]["reports_db"]["type"] == "mysql"
    assert health["databases"]["reports_db"]["status"] == "up"
    assert container.databases.reports_db().config.DB_NAME == make_url(mysql_url).database


def test_a_new_resource_and_a_fake_database_work_as_the_readme_shows(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for part in ("app", "containers", "settings"):
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", project)
    (project / "tests").mkdir()
    (project / "tests" / "__init__.py").touch()

    for block in blocks(section("Add a resource on a database"), "python"):
        path = block.splitlines()[0].removeprefix("# ").split(",")[0]
        if path == "containers/container.py":
            add_provider(project / path, block.splitlines()[-1])
        else:
            (project / path).write_text(block)
    (fake_test,) = blocks(section("Swap a database for a fake in a test"), "python")
    (project / "tests" / "test_users_with_a_fake.py").write_text(fake_test)
    (project / "tests" / "test_orders.py").write_text(ORDERS_TEST)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASES"))}
    env["PYTHONPATH"] = str(project)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def add_provider(container_module: Path, line: str) -> None:
    source = container_module.read_text()
    anchor = "    events = providers.Factory(EventController, db_adapter=databases.analytics_db)\n"
    assert anchor in source
    source = source.replace(anchor, anchor + f"    {line}\n")
    events_import = "from app.controllers.events import EventController\n"
    orders_import = "from app.controllers.orders import OrderController\n"
    source = source.replace(events_import, events_import + orders_import)
    container_module.write_text(source)


ORDERS_TEST = textwrap.dedent(
    """
    import os

    from fastapi.testclient import TestClient

    import app
    from app.main import create_app
    from containers import Container


    def test_this_is_the_copy() -> None:
        assert os.path.dirname(app.__file__).startswith(os.getcwd())


    def test_orders_are_served_from_orders_db(tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("DATABASES__orders_db__DB_TYPE", "sqlite")
        monkeypatch.setenv("DATABASES__orders_db__DB_NAME", str(tmp_path / "orders.db"))
        monkeypatch.setenv("DB_NAME", str(tmp_path / "app.db"))
        with TestClient(create_app(Container())) as client:
            created = client.post("/orders", json={"number": "A-1", "total": "12.50"})
            assert created.status_code == 201, created.text
            assert client.get(created.headers["location"]).json()["total"] == "12.50"
            assert client.post("/orders", json={"number": "A-1", "total": "1"}).status_code == 409
        assert (tmp_path / "orders.db").exists()
    """
)
