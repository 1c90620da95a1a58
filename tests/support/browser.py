"""Debian's headless Chromium, with its network to the outside turned off: what a page
looks like in a real browser, under the headers the service sends with it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "needs a browser: Debian's chromium (apt-get install chromium)"
# No sandbox (the tests may run as root), and nothing that reaches out of the machine.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


def chromium(profile: Path, url: str, *action: str, budget_ms: int = 20000) -> str:
    """Chromium's output for `url` after `budget_ms` of virtual time (for a page's scripts
    to fetch and draw), with `action` (--dump-dom, --screenshot=...)."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--virtual-time-budget={budget_ms}", f"--user-data-dir={profile}", *action, url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
