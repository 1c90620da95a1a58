"""Settings read from environment variables the test sets, as the service reads them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from settings import Settings, describe_validation_error


def load(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def error_of(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    """The one-line message of the configuration error these variables make."""
    with pytest.raises(ValidationError) as raised:
        load(monkeypatch, **variables)
    return describe_validation_error(raised.value)
