from __future__ import annotations

import uvicorn

from app.api.server import server_config
from app.launch.supervisor import before_workers_start, run_workers
from app.launch.worker import WORKER_APP
from app.main import _default_app


def serve() -> int:
    """Serve HOST:PORT until SIGTERM or SIGINT: the exit code of `python -m app`."""
    app = _default_app()  # the settings checked, logging set up, before anything starts
    settings = app.state.container.settings()
    if settings.WORKERS == 1:
        server = uvicorn.Server(server_config(app, settings))
        server.run()
        return 0 if server.started else 3  # uvicorn's own code for a failed start
    before_workers_start(app)
    run_workers(server_config(WORKER_APP, settings, factory=True, workers=settings.WORKERS))
    return 0
