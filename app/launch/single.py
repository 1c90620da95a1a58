"""The service in this one process (WORKERS=1): the app built, its startup heap frozen
(app/heap.py), and served."""

from __future__ import annotations

import uvicorn

from app.api.server import server_config
from app.heap import freeze_startup_heap
from app.main import _default_app


def serve_here() -> int:
    """Serve until SIGTERM or SIGINT: the exit code of `python -m app`."""
    app = _default_app()  # the settings checked, logging set up, before anything starts
    freeze_startup_heap()
    server = uvicorn.Server(server_config(app, app.state.container.settings()))
    server.run()
    return 0 if server.started else 3  # uvicorn's own code for a failed start
