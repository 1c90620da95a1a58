"""docker/haproxy.cfg run outside docker, by Debian's haproxy: the load-balancer tests
(tests/support/balancer.py) and the scaling bench (bench/balanced.py) both run it so. Only
the listening address (LB_BIND) and the upstream servers differ from what
docker-compose.yml runs. Standard library only: the bench imports it without the test
dependencies."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CONFIG = Path(__file__).parents[2] / "docker" / "haproxy.cfg"
# The line of the file that names docker-compose's replicas: replaced by loopback servers.
COMPOSE_UPSTREAMS = "    server-template app 1-10 app:8000 resolvers docker init-addr none\n"
SERVED_BY = "X-Served-By"
# Debian puts it in /usr/sbin, which a user's PATH may lack.
HAPROXY = shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}:/usr/sbin")


def rendered(upstreams: dict[str, int]) -> str:
    """docker/haproxy.cfg with `upstreams` (server name -> loopback port) as its servers."""
    text = CONFIG.read_text()
    assert text.count(COMPOSE_UPSTREAMS) == 1, f"{CONFIG} no longer has the line {COMPOSE_UPSTREAMS!r}"
    servers = "".join(f"    server {name} 127.0.0.1:{port}\n" for name, port in upstreams.items())
    return text.replace(COMPOSE_UPSTREAMS, servers)


def command(config: Path) -> list[str]:
    """HAProxy in the foreground (-db) on `config`; LB_BIND in its environment says where
    it listens."""
    return [HAPROXY or "haproxy", "-db", "-f", str(config)]
