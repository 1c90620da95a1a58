"""Where a database's configuration came from: the environment, the `.env` file, or
neither (a default), as pydantic-settings reads them (the environment wins)."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values


def origin(prefix: str, env_file: Path | None = Path(".env")) -> str | None:
    """ "environment", ".env", both, or None when no variable starting with `prefix` is set."""
    found = []
    if any(variable.startswith(prefix) for variable in os.environ):
        found.append("environment")
    in_file = dotenv_values(env_file) if env_file is not None and env_file.is_file() else {}
    if any(variable.startswith(prefix) for variable in in_file):
        found.append(".env")
    return " over ".join(found) or None
