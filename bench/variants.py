"""The servers of one backend: the service as `python -m app` runs it, and its baselines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.backends import OBSERVED, SERVICE, Target
from bench.servers import Server, clean_environment
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
# The service with its observability on (README "Operating it"): metrics, and JSON logs at
# the service's default LOG_LEVEL, so one JSON access line per request (request ids are
# always on); "service" has metrics off and, at WARNING as its baselines, no access line.
# Against the service's defaults (text access lines at INFO): python -m bench.observability.
OBSERVED_SETTINGS = {"LOG_FORMAT": "json", "METRICS": "true"}
OBSERVED_LOG_LEVEL = "INFO"
OBSERVABILITY_OFF = {"METRICS": "false"}


def python_environment() -> dict[str, str]:
    """The bench's environment, cleaned of service settings, importing this checkout first."""
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**clean_environment(), "PYTHONPATH": os.pathsep.join(paths)}


def service_environment(target: Target, workdir: Path, pool_size: int) -> dict[str, str]:
    """The service's environment: the primary on SQLite, products_db on the target, one pool
    as large as each baseline's, and no log line per request."""
    return {
        **python_environment(),
        "DB_TYPE": "sqlite",
        "DB_NAME": str(workdir / "primary.db"),
        **target.settings,
        "DATABASES__products_db__POOL_SIZE": str(pool_size),
        "DATABASES__products_db__MAX_OVERFLOW": "0",
        "LOG_LEVEL": "WARNING",
        **OBSERVABILITY_OFF,
    }


def servers(target: Target, service: dict[str, str], workdir: Path, backend: str) -> list[Server]:
    found = [service_server(SERVICE, service, workdir / f"{backend}-service.log")]
    observed = {**service, **OBSERVED_SETTINGS, "LOG_LEVEL": OBSERVED_LOG_LEVEL}
    found.append(service_server(OBSERVED, observed, workdir / f"{backend}-service-observed.log"))
    for baseline in target.baselines:
        log = workdir / f"{backend}-{baseline.variant.replace(' ', '-')}.log"
        found.append(baseline_server(baseline.variant, baseline.module, baseline.environment, log))
    return found


def service_server(name: str, environment: dict[str, str], log: Path) -> Server:
    """The service as `python -m app` runs it, with `environment`, on a free port."""
    port = free_port()
    return Server(
        name=name,
        command=(sys.executable, "-m", "app"),
        environment={**environment, "HOST": "127.0.0.1", "PORT": str(port)},
        port=port,
        log=log,
        cwd=ROOT,
    )


def baseline_server(name: str, module: str, environment: dict[str, str], log: Path) -> Server:
    """A hand-written app, `<module>:create_app` under one uvicorn worker, on a free port."""
    port = free_port()
    command = (
        *(sys.executable, "-m", "uvicorn", "--factory", f"{module}:create_app"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    )
    return Server(
        name=name,
        command=command,
        environment={**python_environment(), **environment},
        port=port,
        log=log,
        cwd=ROOT,
    )


def imported_app(environment: dict[str, str]) -> str:
    """Where the service's processes import `app` from: this checkout, not another."""
    command = [sys.executable, "-c", "import app; print(app.__file__)"]
    done = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()
