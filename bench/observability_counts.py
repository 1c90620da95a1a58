"""python -m bench.observability_counts: what the observability adds per request, counted by
callgrind rather than timed (steady on a shared, noisy machine).

    python -m bench.observability_counts [--per-turn 1 4] [--variants off metrics observed]

The real app on the store of bench.service_calls that answers at once (wrapped by the
container's observer, so its operations are measured), called in process on uvloop, the
startup heap frozen as the service freezes it, with each variant's settings: "off"
(METRICS=false, LOG_LEVEL=WARNING), "metrics" (METRICS=true, WARNING) or "observed"
(bench.variants: METRICS=true, JSON, INFO: one access line per request, to a file). The
event loop turns once every --per-turn requests, as it does under load when one turn ends
several requests (the bench's wrk load ends about 3.5 a turn on PostgreSQL: the access
log's writes against its requests, /proc/<pid>/io syscw), so that the work done once a
turn is counted as it falls.

Each variant runs in a process of its own under `valgrind --tool=callgrind
--cache-sim=yes`: after a warm-up, GET /products/{id} and then POST /products are each
called REQUESTS times between two calls of zlib.crc32, at which callgrind dumps its
counts. Per request: instructions, and the cycles callgrind estimates from them and its
simulated cache misses (Ir + 10 L1 misses + 100 last-level misses, as
callgrind_annotate estimates them): what a cold cache costs, which the instructions alone
leave out. Both are printed over "off".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REQUESTS = 500
VARIANTS = {
    "off": {"METRICS": False, "LOG_LEVEL": "WARNING"},
    "metrics": {"METRICS": True, "LOG_LEVEL": "WARNING"},
    "observed": {"METRICS": True, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"},
}
WORKLOADS = ("GET one", "POST")
# callgrind's events with --cache-sim=yes (a dump's summary leaves out trailing zeros).
EVENTS = ("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")


async def run(variant: str, per_turn: int, log: Path) -> None:
    from dependency_injector import providers

    from app.heap import freeze_startup_heap
    from app.logs import configure_logging
    from app.main import create_app
    from bench.service_calls import InstantStore, _calls
    from containers import Container
    from settings import Settings

    sys.stderr = log.open("w")  # the log's stream, for the whole run
    settings = Settings(_env_file=None, DB_TYPE="memory", **VARIANTS[variant])  # type: ignore[arg-type]
    configure_logging(settings.LOG_LEVEL, settings.secrets(), settings.LOG_FORMAT)  # as app.main does
    container = Container(settings=providers.Object(settings))
    app = create_app(container)
    with container.databases.products_db.override(InstantStore()):
        async with app.router.lifespan_context(app):
            calls = await _calls(app)
            freeze_startup_heap()
            for name in WORKLOADS:  # warm-up: every series and cache made
                for number in range(200):
                    await calls[name]()
                    if number % per_turn == 0:
                        await asyncio.sleep(0)
            for name in WORKLOADS:
                zlib.crc32(b"")
                for number in range(REQUESTS):
                    await calls[name]()
                    if number % per_turn == 0:
                        await asyncio.sleep(0)
            zlib.crc32(b"")


def counted(prefix: Path) -> list[dict[str, int]]:
    """The events of each workload, from the dumps of one run: the first dump is the
    start-up, then one per crc32 (and one for the crc32_z it calls, near empty)."""
    found = []
    dumps = [d for d in prefix.parent.glob(f"{prefix.name}.*") if d.suffix[1:].isdigit()]
    for dump in sorted(dumps, key=lambda d: int(d.suffix[1:]))[1:]:
        text = dump.read_text()
        events = re.search(r"^events: (.+)$", text, re.MULTILINE)
        summary = re.search(r"^summary: ([\d ]+)$", text, re.MULTILINE)
        if events is None or summary is None:
            continue
        values = dict(zip(events.group(1).split(), map(int, summary.group(1).split()), strict=False))
        if values.get("Ir", 0) > 1_000_000:
            found.append({event: values.get(event, 0) for event in EVENTS})
    return found[: len(WORKLOADS)]


def cycles(events: dict[str, int]) -> int:
    return (
        events["Ir"]
        + 10 * (events["I1mr"] + events["D1mr"] + events["D1mw"])
        + 100 * (events["ILmr"] + events["DLmr"] + events["DLmw"])
    )


def measured(variant: str, per_turn: int, scratch: Path) -> dict[str, tuple[float, float]]:
    """{workload: (instructions, estimated cycles) per request} of `variant`."""
    prefix = scratch / f"{variant}-{per_turn}"
    subprocess.run(
        [
            "valgrind", "--tool=callgrind", "--cache-sim=yes", "--dump-before=crc32*",
            f"--callgrind-out-file={prefix}.%p", sys.executable, "-m", "bench.observability_counts",
            "--run", variant, "--per-turn", str(per_turn), "--log", str(prefix) + ".log",
        ],
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    counts = counted(prefix)
    return {
        name: (events["Ir"] / REQUESTS, cycles(events) / REQUESTS)
        for name, events in zip(WORKLOADS, counts, strict=True)
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.observability_counts", description=__doc__)
    parser.add_argument("--per-turn", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--run", choices=list(VARIANTS), help=argparse.SUPPRESS)  # under valgrind
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run is not None:
        import uvloop

        uvloop.run(run(args.run, args.per_turn[0], args.log))
        return 0
    print(
        "| requests a turn | variant | workload | instructions/request | over off "
        "| est. cycles/request | over off |"
    )
    print("|---:|---|---|---:|---:|---:|---:|")
    runs = [(variant, per_turn) for per_turn in args.per_turn for variant in args.variants]
    with (
        tempfile.TemporaryDirectory(prefix="multidb-counts-") as scratch,
        ThreadPoolExecutor(os.cpu_count()) as pool,  # one valgrind a core
    ):
        counted_runs = pool.map(lambda run: measured(run[0], run[1], Path(scratch)), runs)
        done = dict(zip(runs, counted_runs, strict=True))
        for per_turn in args.per_turn:
            found = {variant: done[variant, per_turn] for variant in args.variants}
            off = found.get("off")
            for variant, workloads in found.items():
                for name, (instructions, estimated) in workloads.items():
                    over = ("", "")
                    if off is not None and variant != "off":
                        over = (
                            f"{instructions / off[name][0] - 1:+.1%}",
                            f"{estimated / off[name][1] - 1:+.1%}",
                        )
                    print(
                        f"| {per_turn} | {variant} | {name} | {instructions:,.0f} | {over[0]} "
                        f"| {estimated:,.0f} | {over[1]} |",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
