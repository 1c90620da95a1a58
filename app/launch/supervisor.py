"""WORKERS processes on one listening socket, under uvicorn's process manager: a worker
that dies or stops answering its health check is replaced, SIGHUP replaces every worker
(each replacement serves before the worker it replaces is stopped), SIGTTIN and SIGTTOU
add or remove one, and SIGTERM or SIGINT drain them all."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from uvicorn.config import Config
from uvicorn.supervisors import Multiprocess


def before_workers_start(app: FastAPI) -> None:
    """Everything done once, in the launching process, before any worker starts: the
    startup of `app` (migrations where AUTO_MIGRATE allows, the connection budget), run
    and closed here so that the workers find every schema at head. What the workers
    must inherit, such as a metrics directory in their environment, is set up here too."""
    asyncio.run(_start_and_stop(app))


async def _start_and_stop(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        pass


class Supervisor(Multiprocess):
    """uvicorn's Multiprocess, which also closes its own copy of the listening socket when
    it stops: once the workers have closed theirs, a new connection is refused at once
    instead of waiting in the socket's backlog for a worker that will never accept it."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def run_workers(config: Config) -> None:
    Supervisor(config, sockets=[config.bind_socket()]).run()
