from __future__ import annotations

import sys

import uvicorn

from app.cli import main as db
from app.main import _default_app
from app.shards import main as shards


def main(argv: list[str]) -> int:
    if argv[:1] == ["db"]:
        return db(argv[1:])
    if argv[:1] == ["shards"]:
        return shards(argv[1:])
    app = _default_app()
    settings = app.state.container.settings()
    uvicorn.run(app, host=settings.HOST, port=settings.PORT, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
