"""What a newcomer configures is what runs: `make run`'s SQLite demo fills in only what
neither the environment nor `.env` configures, the routing table says where each
database's configuration came from, every CLI command prints it before it acts, and a
missing driver names the variable that asked for it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.adapters.factory import install_command
from containers import Container
from settings import ConfigurationError
from tests.support.service import serve

ROOT = Path(__file__).parents[1]
ENV_FILE = "DATABASES__products_db__DB_TYPE=sqlite\nDATABASES__products_db__DB_NAME=data/shop.db\n"
ROUTING_TABLE = [
    "route /events -> analytics_db -> sqlite data/analytics.db",
    "route /products -> products_db -> sqlite data/shop.db",
    "route /users -> users_db -> memory (in-process)",
    "database analytics_db: sqlite data/analytics.db, from SQLite demo default (SQLITE_DEMO=true)",
    "database default: sqlite data/app.db, from built-in default",
    "database products_db: sqlite data/shop.db, from .env",
    "database users_db: memory (in-process), from environment over .env",
]


def shell_env(**variables: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASES", "SQLITE_DEMO"))}
    return {**kept, **variables}


async def test_the_demo_fills_in_only_what_the_environment_and_env_leave_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(ENV_FILE + "DATABASES__users_db__DB_TYPE=sqlite\n")
    monkeypatch.setenv("DATABASES__users_db__DB_TYPE", "memory")  # the environment beats .env
    monkeypatch.setenv("SQLITE_DEMO", "true")

    with caplog.at_level(logging.INFO, logger="multidb"):
        async with serve(Container()) as client:
            created = await client.post("/products", json={"sku": "demo", "name": "D", "price": "1"})

    assert created.status_code == 201
    logged = [record.getMessage() for record in caplog.records if record.name == "multidb"]
    start = next(i for i, line in enumerate(logged) if line.startswith("==== routing table"))
    assert logged[start + 1 : start + 1 + len(ROUTING_TABLE)] == ROUTING_TABLE
    assert (tmp_path / "data" / "shop.db").exists()  # .env's, not the demo's products.db
    assert not (tmp_path / "data" / "products.db").exists()


def test_every_cli_command_prints_the_routing_table_first_as_make_db_runs_it(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_FILE + "DATABASES__users_db__DB_TYPE=memory\n")
    people = {"DATABASES__users_db__DB_TYPE": "sqlite", "DATABASES__users_db__DB_NAME": "data/people.db"}
    table = [line.replace("memory (in-process)", "sqlite data/people.db") for line in ROUTING_TABLE]
    make = [
        "make",
        "-f",
        str(ROOT / "Makefile"),
        "-o",
        ".venv/.run",
        f"PY={sys.executable}",
    ]  # its venv: ours

    for command in ("current", "history", "upgrade", "check", "downgrade base", "upgrade --sql"):
        done = subprocess.run(
            [*make, "db", f"ARGS={command}"],
            cwd=tmp_path,
            env=shell_env(**people),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stderr.splitlines()[1:] == table, command
    assert "CREATE TABLE products" in done.stdout  # the SQL alone on stdout


def test_databases_strict_stops_the_cli_too(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "db", "upgrade"],
        cwd=tmp_path,
        env=shell_env(DATABASES_STRICT="true", DATABASES__users_db__DB_TYPE="memory"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr == (
        "multidb: DATABASES_STRICT=true and DATABASES__analytics_db__DB_TYPE, "
        "DATABASES__products_db__DB_TYPE not set\n"
    )
    assert not (tmp_path / "data").exists()  # nothing was migrated


def test_a_missing_driver_names_the_variable_set_and_an_install_command_that_works_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pymongo", None)  # importing it fails, as without the extra
    monkeypatch.setenv("DATABASES__users_db__DB_TYPE", "mongodb")
    monkeypatch.setenv("DATABASES__users_db__CONNECTION_STRING", "mongodb://127.0.0.1:27017/users")

    for cwd, where in ((tmp_path, str(ROOT)), (ROOT, ".")):
        monkeypatch.chdir(cwd)
        with pytest.raises(ConfigurationError) as raised:
            Container()
        assert str(raised.value) == (
            f"DATABASES__users_db__DB_TYPE=mongodb needs the pymongo driver: {install_command('mongodb')}"
        )
        assert install_command("mongodb").endswith(f" -m pip install -e '{where}[mongodb]'")
