from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def cores_available() -> int:
    """The cores this process may run on (its CPU affinity, which a container's cpuset
    narrows), not the machine's count."""
    return len(os.sched_getaffinity(0))


def _auto(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return cores_available()
    return value


# WORKERS=4, or WORKERS=auto for one per core available to the process.
WorkerCount = Annotated[int, BeforeValidator(_auto), Field(ge=1)]
