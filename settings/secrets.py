"""Secrets that come from files (Docker secrets style) and the API keys syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, SecretStr

from settings.composites import TENANT_NAME, TENANT_NAME_RULE

READ_ONLY_PREFIX = "ro:"
TENANT_SEPARATOR = "@"  # not a Bearer token character, so never part of a key
MIN_KEY_LENGTH = 16
# RFC 6750's b64token: what a Bearer credential may contain.
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def read_secret_file(path: object) -> SecretStr:
    """The contents of the file at `path`, without its trailing newline. The error
    names the file, never its contents; the caller's variable name is added by the
    settings' error message."""
    if isinstance(path, SecretStr):
        return path
    try:
        return SecretStr(Path(str(path)).read_text(encoding="utf-8").rstrip("\r\n"))
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise ValueError(f"cannot read {path}: {reason}") from None


# A setting whose value is the path of a file holding the secret.
SecretFile = Annotated[SecretStr, BeforeValidator(read_secret_file)]


@dataclass(frozen=True)
class ApiKey:
    secret: SecretStr
    read_only: bool = False
    tenant: str | None = None  # with TENANT_FROM=api_key, the only tenant the key reaches


def parse_api_keys(text: str) -> tuple[ApiKey, ...]:
    """`key1,ro:key2,key3@acme`: keys separated by commas or new lines (one a line in a
    file); `ro:` makes a key read-only; `@<tenant>` binds it to a tenant (TENANT_FROM=api_key).
    Errors say which key by position, never its value."""
    parts = [part.strip() for part in re.split(r"[,\n]", text)]
    keys: list[ApiKey] = []
    for position, part in enumerate((part for part in parts if part), start=1):
        read_only = part.startswith(READ_ONLY_PREFIX)
        value, separator, tenant = part.removeprefix(READ_ONLY_PREFIX).partition(TENANT_SEPARATOR)
        if separator and not TENANT_NAME.fullmatch(tenant):
            raise ValueError(f"key {position}: the tenant after @ must be {TENANT_NAME_RULE}")
        if len(value) < MIN_KEY_LENGTH:
            raise ValueError(f"key {position} is shorter than {MIN_KEY_LENGTH} characters")
        if not _TOKEN.fullmatch(value):
            raise ValueError(f"key {position} may hold only A-Z a-z 0-9 - . _ ~ + / and a final =")
        key = ApiKey(SecretStr(value), read_only, tenant if separator else None)
        for earlier, other in enumerate(keys, start=1):
            if other.secret == key.secret and other != key:
                raise ValueError(
                    f"key {position} is key {earlier} again with another tenant or access; keep one"
                )
        keys.append(key)
    if not keys:
        raise ValueError("no key given; unset it to serve without keys")
    return tuple(keys)
