"""WORKERS processes on one listening socket, under uvicorn's process manager: a worker
that dies or stops answering its health check is replaced, SIGHUP replaces every worker
(each replacement serves before the worker it replaces is stopped), SIGTTIN and SIGTTOU
add or remove one, and SIGTERM or SIGINT drain them all.

The supervisor imports none of the app: it has the settings, uvicorn and the HTTP protocol
of app/api/server.py, and 45 MiB where it had 100. Each worker builds the app
(WORKER_APP); the startup done once for all (app/launch/prepare.py) runs in a process of
its own before them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from uvicorn.supervisors import Multiprocess

from app.api.server import server_config
from app.logs import configure_logging_from
from app.observability.multiprocess import share_between_workers, shared_directory, worker_exited
from settings import Settings

# uvicorn imports it by this name in each worker (Config(factory=True)).
WORKER_APP = "app.launch.worker:worker_app"
# Run as `python -m`, once, before the workers start.
PREPARE = "app.launch.prepare"
# How long a new worker may take to start serving, and a live one to answer the supervisor's
# ping, before it is killed (uvicorn's default, 5 s, is less than a loaded machine takes
# to import the service: a SIGHUP would then give up, and keep the old workers).
WORKER_TIMEOUT = 30


def supervise(settings: Settings) -> int:
    """Serve HOST:PORT with WORKERS processes until SIGTERM or SIGINT: the exit code of
    `python -m app`."""
    configure_logging_from(settings, with_pid=True)
    prepared = subprocess.run([sys.executable, "-m", PREPARE], check=False)
    if prepared.returncode != 0:  # it said why
        return prepared.returncode
    # The workers write their metrics into one directory, which /metrics adds up: the one
    # PROMETHEUS_MULTIPROC_DIR names (emptied), else a new one.
    share_between_workers(shared_directory())
    config = server_config(
        WORKER_APP,
        settings,
        factory=True,
        workers=settings.WORKERS,
        timeout_worker_healthcheck=WORKER_TIMEOUT,
    )
    Supervisor(config, sockets=[config.bind_socket()]).run()
    return 0


class Supervisor(Multiprocess):
    """uvicorn's Multiprocess, which also closes its own copy of the listening socket when
    it stops: once the workers have closed theirs, a new connection is refused at once
    instead of waiting in the socket's backlog for a worker that will never accept it."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()

    # A worker that is replaced or removed no longer counts in the live gauges of /metrics.
    def keep_subprocess_alive(self) -> None:
        with self._forgetting_exited():
            super().keep_subprocess_alive()

    def restart_all(self) -> None:
        with self._forgetting_exited():
            super().restart_all()

    def handle_ttou(self) -> None:
        with self._forgetting_exited():
            super().handle_ttou()

    @contextmanager
    def _forgetting_exited(self) -> Iterator[None]:
        before = {process.pid for process in self.processes}
        yield
        for pid in before - {process.pid for process in self.processes}:
            if pid is not None:
                worker_exited(pid)
