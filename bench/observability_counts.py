"""python -m bench.observability_counts: instructions per request that the observability
adds, counted by callgrind rather than timed (steady on a shared, noisy machine).

    valgrind --tool=callgrind --dump-before='crc32*' --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.observability_counts observed
    python -m bench.observability_counts --read /tmp/cg.<pid>

The real app on the store of bench.service_calls that answers at once (wrapped by the
container's observer, so its operations are measured), called in process on uvloop,
with the variant's settings: "off" (METRICS=false, LOG_LEVEL=WARNING), "metrics"
(METRICS=true, WARNING) or "observed" (bench.variants: METRICS=true, JSON, INFO: one
access line per request, written to /dev/null). After a warm-up, GET /products/{id} and
then POST /products are each called REQUESTS times between calls of zlib.crc32, at which
callgrind dumps its counts (twice a call: crc32 and the crc32_z it calls): the dumps
after the first that counted more than a few instructions are the two workloads.
"""

from __future__ import annotations

import os
import re
import sys
import zlib
from pathlib import Path

import uvloop
from dependency_injector import providers

from bench.service_calls import InstantStore, _calls

REQUESTS = 500
VARIANTS = {
    "off": {"METRICS": False, "LOG_LEVEL": "WARNING"},
    "metrics": {"METRICS": True, "LOG_LEVEL": "WARNING"},
    "observed": {"METRICS": True, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"},
}
WORKLOADS = ("GET one", "POST")


async def run(variant: str) -> None:
    from app.logs import configure_logging
    from app.main import create_app
    from containers import Container
    from settings import Settings

    sys.stderr = open(os.devnull, "w")  # noqa: SIM115, ASYNC230 (the log's stream, for the whole run)
    settings = Settings(_env_file=None, DB_TYPE="memory", **VARIANTS[variant])  # type: ignore[arg-type]
    configure_logging(settings.LOG_LEVEL, settings.secrets(), settings.LOG_FORMAT)  # as app.main does
    container = Container(settings=providers.Object(settings))
    app = create_app(container)
    with container.databases.products_db.override(InstantStore()):
        async with app.router.lifespan_context(app):
            calls = await _calls(app)
            for name in WORKLOADS:  # warm-up: every series and cache made
                for _ in range(200):
                    await calls[name]()
            for name in WORKLOADS:
                zlib.crc32(b"")
                for _ in range(REQUESTS):
                    await calls[name]()
            zlib.crc32(b"")


def read(prefix: str) -> None:
    """Instructions per request of each workload, from the dumps of one run."""
    counts = []
    dumps = [d for d in Path(prefix).parent.glob(f"{Path(prefix).name}.*") if d.suffix[1:].isdigit()]
    for dump in sorted(dumps, key=lambda d: int(d.suffix[1:]))[1:]:
        found = re.search(r"^summary: (\d+)", dump.read_text(), re.MULTILINE)
        if found is not None and int(found.group(1)) > 1000:
            counts.append(int(found.group(1)))
    for name, count in zip(WORKLOADS, counts, strict=True):
        print(f"{name}: {count / REQUESTS:,.0f} instructions per request")


if __name__ == "__main__":
    if sys.argv[1] == "--read":
        read(sys.argv[2])
    else:
        uvloop.run(run(sys.argv[1]))
