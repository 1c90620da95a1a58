"""The figures the reliability tests measure, printed at the end of the run: what the
README's reliability section quotes, and how to see it again (`pytest -k ...`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_FIGURES: list[tuple[str, str]] = []


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """`figure("what was measured")`: one line of the summary, under the test's name."""

    def record(text: str) -> None:
        _FIGURES.append((request.node.nodeid, text))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("reliability figures")
        for nodeid, text in _FIGURES:
            terminalreporter.write_line(f"{nodeid}: {text}")
