"""The app of one of WORKERS processes: built in the worker, from the same environment
the launcher checked, with settings that leave migrations to the launcher, and its
startup heap frozen as a single process's is (app/heap.py: unfrozen, each worker's full
collections stalled its requests 104-647 ms, 2 workers' p99 ~3x one worker's)."""

from __future__ import annotations

from dependency_injector import providers
from fastapi import FastAPI

from app.heap import freeze_startup_heap
from app.logs import configure_logging_from
from app.main import create_app
from containers import Container
from settings import Settings


def worker_app() -> FastAPI:
    settings = Settings().for_worker()
    configure_logging_from(settings, with_pid=True)
    app = create_app(Container(settings=providers.Object(settings)))
    freeze_startup_heap()
    return app
