"""A SecantusDB server (MongoDB's wire protocol) in a process of its own, so that its CPU is
not the bench's: prints its URI, then serves until it is terminated."""

from __future__ import annotations

import signal
import sys
import threading

from secantus import SecantusDBServer


def main(storage_path: str) -> None:
    server = SecantusDBServer(port=0, storage_path=storage_path)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    try:
        print(server.uri, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main(sys.argv[1])
