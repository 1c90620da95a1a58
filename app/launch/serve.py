from __future__ import annotations

import uvicorn

from app.api.server import server_config
from app.heap import freeze_startup_heap
from app.launch.supervisor import before_workers_start, run_workers
from app.launch.worker import WORKER_APP
from app.main import _default_app

# How long a new worker may take to start serving, and a live one to answer the supervisor's
# ping, before it is killed (uvicorn's default, 5 s, is less than a loaded machine takes
# to import the service: a SIGHUP would then give up, and keep the old workers).
WORKER_TIMEOUT = 30


def serve() -> int:
    """Serve HOST:PORT until SIGTERM or SIGINT: the exit code of `python -m app`."""
    app = _default_app()  # the settings checked, logging set up, before anything starts
    settings = app.state.container.settings()
    if settings.WORKERS == 1:
        freeze_startup_heap()
        server = uvicorn.Server(server_config(app, settings))
        server.run()
        return 0 if server.started else 3  # uvicorn's own code for a failed start
    before_workers_start(app)
    run_workers(
        server_config(
            WORKER_APP,
            settings,
            factory=True,
            workers=settings.WORKERS,
            timeout_worker_healthcheck=WORKER_TIMEOUT,
        )
    )
    return 0
