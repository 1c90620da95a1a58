"""How `python -m app` runs the service: in this process, or in WORKERS processes under
uvicorn's process manager. Which of the two is read from the settings alone, so that the
supervisor of WORKERS processes never imports the app (app/launch/supervisor.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pkgutil import resolve_name

from pydantic import ValidationError

from settings import Settings, describe_validation_error

# Each way of serving is imported only when it runs: one process (WORKERS=1) holds none
# of the supervisor, the supervisor of WORKERS processes none of the app.
IN_THIS_PROCESS = "app.launch.single:serve_here"
UNDER_A_SUPERVISOR = "app.launch.supervisor:supervise"


def serve() -> int:
    """Serve HOST:PORT until SIGTERM or SIGINT: the exit code of `python -m app`."""
    settings = launch_settings()
    if settings.WORKERS > 1:
        supervise: Callable[[Settings], int] = resolve_name(UNDER_A_SUPERVISOR)
        return supervise(settings)
    serve_here: Callable[[], int] = resolve_name(IN_THIS_PROCESS)
    return serve_here()


def launch_settings() -> Settings:
    """The settings, checked before anything starts: a mistake in them ends the start in
    one line."""
    try:
        return Settings()
    except ValidationError as error:
        sys.exit(f"multidb: {describe_validation_error(error)}")
