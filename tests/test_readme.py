"""The README's worked examples, run as they are written there."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import make_url

from app.models import PRODUCTS
from containers import Container
from tests.support import backends, stored
from tests.support.service import serve

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def section(heading: str) -> str:
    start = README.index(f"\n{heading}\n") + 1
    following = re.search(r"\n##+ ", README[start + 1 :])
    return README[start : start + 1 + following.start()] if following else README[start:]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def variables(block: str) -> dict[str, str]:
    """The variables a block sets: `export NAME=value` or `NAME=value` lines."""
    lines = (line.split("  #")[0].strip().removeprefix("export ") for line in block.splitlines())
    return dict(line.split("=", 1) for line in lines if "=" in line and " " not in line)


def point_at(readme_variables: dict[str, str], url: str) -> dict[str, str]:
    """The README's variables, with the server replaced by the one the tests have."""
    parsed = make_url(url)
    prefix = next(iter(readme_variables)).rsplit("__", 1)[0]
    located = {
        "DB_HOST": parsed.host or "",
        "DB_PORT": str(parsed.port or ""),
        "DB_USER": parsed.username or "",
        "DB_PASSWORD": parsed.password or "",
        "DB_NAME": parsed.database or "",
    }
    return {**readme_variables, **{f"{prefix}__{field}": value for field, value in located.items()}}


def shell(script: str, cwd: Path, env: dict[str, str]) -> str:
    """`script` run by bash as a person pastes it into a shell whose virtualenv is active
    (this run's); its output. Stops at the first command that fails."""
    venv = Path(sys.executable).parents[1]
    active = {**env, "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}", "VIRTUAL_ENV": str(venv)}
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=active,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{script}\n{result.stdout}{result.stderr}"
    return result.stdout


def exports(values: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def needs(command: str) -> None:
    if shutil.which(command) is None:
        pytest.skip(f"the README's example runs {command}, which is not installed here")


def clean_env(**extra: str) -> dict[str, str]:
    service = ("DB_", "DATABASES", "SQLITE_DEMO", "API_KEYS", "PG", "MYSQL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(service)}
    return {**env, **extra}


def copy_project(destination: Path) -> Path:
    for part in ("app", "containers", "settings"):
        shutil.copytree(ROOT / part, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", destination)
    (destination / "tests").mkdir()
    (destination / "tests" / "__init__.py").touch()
    return destination


def test_every_configuration_block_works_pasted_into_a_shell_or_saved_as_env(tmp_path: Path) -> None:
    configuration = [block for block in blocks(section("## Configuration"), "sh") if "export " in block]
    assert len(configuration) == 3
    show = (
        "python -c 'from settings import Settings; s = Settings(); "
        "print({n: c.describe() for n, c in s.database_configs().items()}, len(s.api_keys))'"
    )
    for block in configuration:
        pasted = shell(f"{block}\n{show}", tmp_path, clean_env())
        (tmp_path / ".env").write_text(block)
        from_file = shell(show, tmp_path, clean_env())
        (tmp_path / ".env").unlink()

        assert pasted == from_file
        for name, value in variables(block).items():
            if name.endswith(("DB_TYPE", "DB_HOST", "DB_NAME")):
                assert value in pasted, (name, pasted)
        assert pasted.endswith(" 2\n") == ("API_KEYS" in block)


async def test_a_resource_moves_to_another_database_by_environment_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, postgres_url: str
) -> None:
    needs("createdb")
    example = section("### Point a resource at another database, by environment alone")
    settings_block, upgrade_block = blocks(example, "sh")
    where = backends.sibling(postgres_url, "readme")
    backends.run(backends.recreate_postgres_database(where, create=False))
    moved = point_at(variables(settings_block), where)
    assert moved["DATABASES__products_db__DB_TYPE"] == "postgres"
    # The README's lines as written, then the tests' server in place of db.internal.
    overrides = {k: v for k, v in moved.items() if variables(settings_block).get(k) != v}
    shell(f"{settings_block}{exports(overrides)}{upgrade_block}", tmp_path, clean_env())
    monkeypatch.chdir(tmp_path)
    for name, value in moved.items():
        monkeypatch.setenv(name, value)

    async with serve(Container()) as client:
        product = (await client.post("/products", json={"sku": "moved", "name": "M", "price": "3"})).json()
        assert (await client.get(f"/products/{product['id']}")).status_code == 200

    assert await stored.postgres_ids(where, PRODUCTS.name, [product["id"]]) == {product["id"]}
    assert stored.sqlite_ids(str(tmp_path / "data" / "app.db"), PRODUCTS.name, [product["id"]]) == set()


async def test_a_named_database_gets_a_provider_and_a_health_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mysql_url: str
) -> None:
    needs("mariadb")
    block, create = blocks(section("### Add a named database"), "sh")
    where = backends.sibling(mysql_url, "reports")
    backends.run(backends.recreate_mysql_database(where, create=False))
    located = point_at(variables(block), where)
    overrides = {k: v for k, v in located.items() if variables(block).get(k) != v}
    shell(f"{block}{exports(overrides)}{create}", tmp_path, clean_env())
    monkeypatch.chdir(tmp_path)
    for name, value in located.items():
        monkeypatch.setenv(name, value)
    container = Container()

    async with serve(container) as client:
        health = (await client.get("/health")).json()

    assert health["databases"]["reports_db"]["type"] == "mysql"
    assert health["databases"]["reports_db"]["status"] == "up"
    assert container.databases.reports_db().config.DB_NAME == make_url(where).database


def test_a_new_resource_and_a_fake_database_work_as_the_readme_shows(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    example = section("### Add a resource on a database")
    for block in blocks(example, "python"):
        path = block.splitlines()[0].removeprefix("# ").split(",")[0]
        if path == "containers/container.py":
            add_provider(project / path, block.splitlines()[-1])
        else:
            (project / path).write_text(block)
    (commands,) = blocks(example, "sh")
    shell(commands, project, clean_env())  # orders_db configured nowhere: it falls back to the primary
    assert list((project / "app/migrations/sql/versions").glob("orders_0001_*.py"))
    step = (project / "app/migrations/mongodb/orders.py").read_text()  # from the same table
    assert '"number": {"bsonType": "string", "minLength": 1, "maxLength": 32}' in step
    (fake_test,) = blocks(section("### Swap a database for a fake in a test"), "python")
    (project / "tests" / "test_users_with_a_fake.py").write_text(fake_test)
    (project / "tests" / "test_orders.py").write_text(ORDERS_TEST)

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=clean_env(PYTHONPATH=str(project)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_adding_a_column_to_one_resource_works_as_the_readme_shows(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    migrations = section("## Migrations")
    (change,) = blocks(migrations, "diff")
    env = clean_env(
        DATABASES__products_db__DB_TYPE="sqlite",
        DATABASES__products_db__DB_NAME="data/products.db",
    )
    shell("python -m app db upgrade --database products_db", project, env)  # where products stood
    subprocess.run(["git", "apply", "-"], input=change, cwd=project, text=True, check=True)

    script = shell(blocks(migrations, "sh")[-1], project, env)

    (written,) = (project / "app/migrations/sql/versions").glob("products_0002_*.py")
    assert "add_column" in written.read_text()
    assert "colour" in written.read_text()
    assert "ADD COLUMN colour" in script
    columns = sqlite3.connect(project / "data/products.db").execute("PRAGMA table_info(products)").fetchall()
    assert "colour" in {column[1] for column in columns}
    shell("python -m app db check --database products_db", project, env)


def add_provider(container_module: Path, line: str) -> None:
    source = container_module.read_text()
    anchor = "    events = providers.Factory(EventController, db_adapter=databases.analytics_db)\n"
    assert anchor in source
    source = source.replace(anchor, anchor + f"    {line}\n")
    events_import = "from app.controllers.events import EventController\n"
    orders_import = "from app.controllers.base import controller_for\nfrom app.models.orders import ORDERS\n"
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
