"""python -m bench.gc_pauses [--no-freeze]: `python -m app` with every collection of the
cyclic garbage collector timed; at exit (Ctrl-C) it prints, per generation, how many ran
and how long they stalled the process, and each full (generation 2) collection with the
second it ran at. Load it meanwhile, e.g. with wrk. `--no-freeze` serves without
app.heap's freeze of the startup heap, to compare (bench/README.md).
"""

from __future__ import annotations

import atexit
import gc
import sys
import time
from typing import Any

_started = time.perf_counter()
_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
_full: list[tuple[float, float]] = []
_current: list[Any] = [0.0, 0]


def _timed(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _current[:] = [time.perf_counter(), info["generation"]]
        return
    pause = (time.perf_counter() - _current[0]) * 1000
    _pauses[_current[1]].append(pause)
    if _current[1] == 2:
        _full.append((time.perf_counter() - _started, pause))


def _report() -> None:
    for generation, pauses in _pauses.items():
        if pauses:
            print(
                f"generation {generation}: {len(pauses)} collections, {sum(pauses):.0f} ms in all, "
                f"longest {max(pauses):.1f} ms",
                file=sys.stderr,
            )
    full = ", ".join(f"{at:.1f} s: {pause:.1f} ms" for at, pause in _full)
    print(f"full collections (seconds since start: pause): {full}", file=sys.stderr)


def main(argv: list[str]) -> int:
    gc.callbacks.append(_timed)
    atexit.register(_report)
    if "--no-freeze" in argv:
        import app.heap

        vars(app.heap)["gc"] = _NoFreeze()
    from app.__main__ import main as serve

    return serve([])


class _NoFreeze:
    """gc as app.heap sees it, without the freeze."""

    def collect(self) -> int:
        return gc.collect()

    def freeze(self) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
