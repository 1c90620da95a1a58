"""docker-compose.yml as a user will run it: a valid file, every variable the service reads
in it one the settings know (a misspelt one would be ignored in silence), a start order in
which each step waits for what it needs, and the app scaled behind HAProxy's `lb`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.environment import known, load
from tests.support.haproxy import COMPOSE_UPSTREAMS, CONFIG, HAPROXY

ROOT = Path(__file__).parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DATABASES = ("postgres", "mongodb", "mysql", "sqlserver")


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


def test_the_app_scales_behind_the_balancer_the_load_balancer_test_runs() -> None:
    app, lb = SERVICES["app"], SERVICES["lb"]
    assert "ports" not in app  # `--scale app=3` would have three replicas claim one host port
    assert app["expose"] == ["8000"]
    assert int(app["environment"]["WORKERS"]) >= 2
    assert "/health/ready" in " ".join(app["healthcheck"]["test"])
    # The very file tests/test_load_balancer.py runs, its upstreams the app's replicas.
    volumes = dict(volume.rsplit(":", 2)[:2] for volume in lb["volumes"])
    assert volumes == {"./docker/haproxy.cfg": "/usr/local/etc/haproxy/haproxy.cfg"}
    assert (ROOT / "docker/haproxy.cfg").resolve() == CONFIG.resolve()
    assert " app:8000 " in COMPOSE_UPSTREAMS
    assert "option httpchk GET /health/ready" in CONFIG.read_text()
    assert lb["environment"] == {"LB_BIND": ":8000"}
    assert lb["ports"] == ["8000:8000"]
    assert lb["depends_on"] == {"app": {"condition": "service_healthy"}}


def test_the_balancer_accepts_its_configuration_as_compose_runs_it() -> None:
    if HAPROXY is None:
        pytest.skip("needs Debian's haproxy (apt-get install haproxy) to check docker/haproxy.cfg")
    bind = SERVICES["lb"]["environment"]["LB_BIND"]
    done = subprocess.run(
        [HAPROXY, "-c", "-f", str(CONFIG)],
        env={"LB_BIND": bind}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
