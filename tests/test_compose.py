"""docker-compose.yml as a user will run it: a valid file, every variable the service reads
in it one the settings know (a misspelt one would be ignored in silence), and a start
order in which each step waits for what it needs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings import DatabaseConfig, Settings
from tests.support.environment import load

ROOT = Path(__file__).parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DATABASES = ("postgres", "mongodb", "mysql", "sqlserver")


def known(variable: str) -> bool:
    """Whether the settings read `variable` (case-sensitively, as they do)."""
    if variable in Settings.model_fields:
        return True
    parts = variable.split("__")
    if parts[0] == "DATABASES" and len(parts) == 3:
        return parts[2] in DatabaseConfig.model_fields
    return parts[0] in ("SHARDS", "TENANTS") and len(parts) == 2


def test_compose_validates() -> None:
    command = shutil.which("docker-compose")
    if command is None:
        pytest.skip(
            "needs Debian's docker-compose (apt-get install docker-compose), which checks without an engine"
        )
    done = subprocess.run(
        [command, "-f", "docker-compose.yml", "config", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_every_variable_the_service_reads_in_compose_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("migrate", "app"):
        environment: dict[str, str] = SERVICES[name]["environment"]
        assert [variable for variable in environment if not known(variable)] == [], name
        settings = load(monkeypatch, **environment)  # and the values pass validation
        assert set(settings.DATABASES) == {"users_db", "products_db", "analytics_db", "orders_db"}
    assert known("DATABASES__users_db__DB_HOST")
    assert not known("DATABASES__users_db__DB_HOSTNAME")
    assert not known("DB_PASWORD")


def test_migrate_waits_for_healthy_databases_and_the_app_for_migrate() -> None:
    for database in DATABASES:
        check = SERVICES[database]["healthcheck"]["test"]
        # A query as the app's user: pg_isready and mysqladmin ping answer during the init phase.
        assert "pg_isready" not in check, database
        assert "mysqladmin" not in check, database
        assert SERVICES["migrate"]["depends_on"][database] == {"condition": "service_healthy"}
    assert SERVICES["migrate"]["depends_on"]["sqlserver-init"] == {
        "condition": "service_completed_successfully"
    }
    assert SERVICES["app"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
