"""The cyclic garbage collector and a long-running server.

What startup builds (the modules, the app and its routes, the models' validators and
serializers: about 130,000 objects) lives as long as the process. A full collection walks
all of it, and stalls every request in flight while it does: 68-110 ms on the bench
machine, which is the service's p99 (bench/README.md). Frozen once the app is built, it is
never walked again; what requests allocate is collected as before. It changes no
memory figure (bench/README.md, "Issue 11: memory").
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    gc.collect()  # startup's own garbage first, so that none of it is kept for good
    gc.freeze()
