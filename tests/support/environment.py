"""Settings read from environment variables the test sets, as the service reads them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from settings import DatabaseConfig, Settings, describe_validation_error


def load(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def error_of(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    """The one-line message of the configuration error these variables make."""
    with pytest.raises(ValidationError) as raised:
        load(monkeypatch, **variables)
    return describe_validation_error(raised.value)


def known(variable: str) -> bool:
    """Whether the settings read `variable` (case-sensitively, as they do): a misspelt one
    in a deployment file would be ignored in silence."""
    if variable in Settings.model_fields:
        return True
    parts = variable.split("__")
    if parts[0] == "DATABASES" and len(parts) == 3:
        return parts[2] in DatabaseConfig.model_fields
    return parts[0] in ("SHARDS", "TENANTS") and len(parts) == 2
