"""/docs and /redoc in a real browser (Debian's headless Chromium, with its network to the
outside turned off), from the service's own files and under its Content-Security-Policy:
the operations render. A screenshot of /docs is kept in test-artifacts/docs.png."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.browser import ARTIFACTS, CHROMIUM, NO_CHROMIUM, chromium
from tests.support.process import Service, service_environment


async def test_docs_and_redoc_render_the_operations_from_the_services_own_files(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
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
