from __future__ import annotations

import sys

import uvicorn

from app.api.server import server_config
from app.cli import main as db
from app.heap import freeze_startup_heap
from app.main import _default_app
from app.shards import main as shards


def main(argv: list[str]) -> int:
    if argv[:1] == ["db"]:
        return db(argv[1:])
    if argv[:1] == ["shards"]:
        return shards(argv[1:])
    app = _default_app()
    freeze_startup_heap()
    server = uvicorn.Server(server_config(app, app.state.container.settings()))
    server.run()
    return 0 if server.started else 3  # uvicorn's own code for a failed start


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
