"""`python -m app`: the service, or one of its commands (`db`, `shards`). A command is
imported only when it runs, so that a serving process holds none of it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pkgutil import resolve_name

from app.launch.serve import serve

COMMANDS = {"db": "app.cli:main", "shards": "app.shards:main"}


def main(argv: list[str]) -> int:
    if argv[:1] and argv[0] in COMMANDS:
        command: Callable[[Sequence[str]], int] = resolve_name(COMMANDS[argv[0]])
        return command(argv[1:])
    return serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
