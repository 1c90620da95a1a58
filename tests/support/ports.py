"""Free ports for the servers the tests start."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path


def free_port() -> int:
    """A port nothing listens on, below the kernel's ephemeral range. bind(0) hands out one
    from that range, where any outgoing connection (a pool's, a client's, a replica's) can
    take it as its own before the server that was given it binds it: a server that then
    cannot start ("address already in use") once in a while."""
    below = ephemeral_start()
    for _ in range(200):
        port = 10_000 + secrets.randbelow(below - 10_000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise OSError(f"no free port between 10000 and {below}")


def ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (Linux), 32768 where it cannot be read."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
