"""/docs and /redoc in a real browser (Debian's headless Chromium, with its network to the
outside turned off), from the service's own files and under its Content-Security-Policy:
the operations render. A screenshot of /docs is kept in test-artifacts/docs.png."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.process import Service, service_environment

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# No sandbox (the tests may run as root), and nothing that reaches out of the machine.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=20000",  # until Swagger UI has fetched and drawn the document
)  # fmt: skip


def chromium(profile: Path, url: str, *action: str) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *action, url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


async def test_docs_and_redoc_render_the_operations_from_the_services_own_files(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("needs a browser: Debian's chromium (apt-get install chromium)")
    service = Service(service_environment(DB_TYPE="memory"), tmp_path)
    try:
        await service.wait_until_serving()
        async with httpx.AsyncClient(timeout=30) as client:
            page = await client.get(f"{service.base_url}/docs")
        assert "script-src 'self';" in page.headers["content-security-policy"]  # no inline script runs
        assert "http" not in page.text.replace('lang="en"', "")  # nothing from another host

        swagger = chromium(tmp_path / "swagger", f"{service.base_url}/docs", "--dump-dom")
        redoc = chromium(tmp_path / "redoc", f"{service.base_url}/redoc", "--dump-dom")
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "docs.png"
        screenshot.unlink(missing_ok=True)
        chromium(
            tmp_path / "shot",
            f"{service.base_url}/docs",
            "--window-size=1280,1800",
            f"--screenshot={screenshot}",
        )
    finally:
        await service.stop()

    for path in ("/users", "/users/{id}", "/products", "/events/{id}"):
        assert f'data-path="{path}"' in swagger
    for summary in ("List users", "Get a user", "Update a user", "Delete a product", "Create an event"):
        assert summary in swagger
        assert summary in redoc
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # more than an empty page
