"""The one place where the bench creates the products table or collection: the
service's own migrations, `python -m app db upgrade`, in the service's environment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

COMMAND = ("-m", "app", "db", "upgrade")


def create_schema(environment: Mapping[str, str], cwd: Path) -> None:
    subprocess.run([sys.executable, *COMMAND], env=dict(environment), cwd=cwd, check=True, timeout=120)
