from __future__ import annotations

from pydantic import ValidationError

# Values of these fields are never echoed back in an error message (a *_FILE's
# message names its file already).
_SECRET_FIELDS = {
    "DB_PASSWORD",
    "CONNECTION_STRING",
    "DB_CONNECTION_STRING",
    "API_KEYS",
    "DB_PASSWORD_FILE",
    "API_KEYS_FILE",
}


class ConfigurationError(Exception):
    """Configuration that the service refuses to start with; the message is one line."""


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each bad environment variable, without secret values."""
    parts = []
    for item in error.errors(include_url=False):
        loc = [str(part) for part in item["loc"]]
        variable = "__".join(loc)
        message = item["msg"].removeprefix("Value error, ")
        shown = f"{variable}: {message}" if variable else message
        value = item.get("input")
        if loc and loc[-1] not in _SECRET_FIELDS and isinstance(value, str | int | float):
            shown += f" (got {value!r})"
        parts.append(shown)
    return "invalid configuration: " + "; ".join(parts)
