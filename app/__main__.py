from __future__ import annotations

import sys

from app.cli import main as db
from app.launch.serve import serve
from app.shards import main as shards


def main(argv: list[str]) -> int:
    if argv[:1] == ["db"]:
        return db(argv[1:])
    if argv[:1] == ["shards"]:
        return shards(argv[1:])
    return serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
