"""What the HTTP limits cost (README "Reliability and security"): the same app, as
`python -m app` serves it, on its limited protocol and on uvicorn's plain httptools
protocol, alternated under `wrk` on GET /products/{id} (memory database, so the server's
own work is most of the time).

    PYTHONPATH=. .venv/bin/python -m bench.http_limits [--rounds 5] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench.servers import Server
from bench.variants import python_environment
from tests.support.ports import free_port

# The service as python -m app configures it, but on uvicorn's own protocol.
PLAIN = """
import uvicorn
from app.api.server import server_config
from app.main import _default_app
app = _default_app()
config = server_config(app, app.state.container.settings())
config.http = "httptools"
uvicorn.Server(config).run()
"""


def server(name: str, command: tuple[str, ...], workdir: Path) -> Server:
    port = free_port()
    environment = {**python_environment(), "DB_TYPE": "memory", "LOG_LEVEL": "WARNING", "PORT": str(port)}
    return Server(name, command, environment, port, workdir / f"{name}.log", Path.cwd())


def load(each: Server, url: str, seconds: int) -> tuple[float, float]:
    """Requests/s, and the server's CPU µs per request (steadier than the rate on a
    machine shared with other work)."""
    cpu = each.cpu_seconds()
    done = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    )
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    count = re.search(r"([0-9]+) requests in", done.stdout)
    assert rate, done.stdout
    assert count, done.stdout
    return float(rate[1]), (each.cpu_seconds() - cpu) * 1e6 / int(count[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        servers = [
            server("limited", (sys.executable, "-m", "app"), workdir),
            server("plain", (sys.executable, "-c", PLAIN), workdir),
        ]
        try:
            urls = []
            for each in servers:
                each.start()
                body = json.dumps({"sku": "bench", "name": "Bench", "price": "1"}).encode()
                request = urllib.request.Request(
                    each.url + "/products", body, {"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request) as response:
                    urls.append(f"{each.url}/products/{json.load(response)['id']}")
            rounds = []
            for number in range(1, options.rounds + 1):
                limited, plain = (
                    load(each, url, options.seconds) for each, url in zip(servers, urls, strict=True)
                )
                rounds.append((limited, plain))
                print(
                    f"round {number}: limited {limited[0]:,.0f} req/s {limited[1]:,.0f} µs CPU/req, "
                    f"plain {plain[0]:,.0f} req/s {plain[1]:,.0f} µs CPU/req"
                )
        finally:
            for each in servers:
                each.stop()
    rate = statistics.median(limited[0] / plain[0] for limited, plain in rounds)
    cpu = statistics.median(limited[1] / plain[1] for limited, plain in rounds)
    print(f"median per-round ratio, limited / plain: requests/s {rate:.2f}, CPU per request {cpu:.2f}")


if __name__ == "__main__":
    main()
