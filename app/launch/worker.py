"""The app of one of WORKERS processes: built in the worker, from the same environment
the launcher checked, with settings that leave migrations to the launcher."""

from __future__ import annotations

from dependency_injector import providers
from fastapi import FastAPI

from app.logs import configure_logging
from app.main import create_app
from containers import Container
from settings import Settings

# uvicorn imports it by this name in each worker (Config(factory=True)).
WORKER_APP = f"{__name__}:worker_app"


def worker_app() -> FastAPI:
    settings = Settings().for_worker()
    configure_logging(settings.LOG_LEVEL, settings.secrets(), with_pid=True)
    return create_app(Container(settings=providers.Object(settings)))
