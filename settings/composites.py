"""Databases made of other named databases: a name whose database the request's
tenant chooses (TENANTS, TENANT_SELECTED), and a name sharded over several (SHARDS)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator
from pydantic_settings import NoDecode

TenantSource = Literal["header", "path", "api_key"]
# What a tenant's name may be, in settings and in a request: safe in a path, a header,
# a log line and an error message.
TENANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
TENANT_NAME_RULE = "1 to 63 letters, digits, - or _, starting with a letter or digit"


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(entry.strip() for entry in value.split(",") if entry.strip())
    return value


# A comma-separated list of database names.
NameList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split)]


def composite_problems(
    configured: Mapping[str, object],
    shards: Mapping[str, tuple[str, ...]],
    tenants: Mapping[str, str],
    tenant_selected: tuple[str, ...],
) -> list[str]:
    """What is wrong with SHARDS, TENANTS and TENANT_SELECTED, given the names of the
    configured databases, one message per problem."""
    problems = []
    for name, members in shards.items():
        if name in configured:
            problems.append(f"SHARDS__{name}: {name} is configured as one database; a sharded name is not")
        if len(set(members)) < 2 or len(set(members)) != len(members):
            problems.append(f"SHARDS__{name}: name two or more distinct databases, comma-separated")
        problems += [
            f"SHARDS__{name}: {member} is not a configured database (DATABASES__{member}__DB_TYPE)"
            for member in members
            if member not in configured
        ]
    for tenant, database in tenants.items():
        if not TENANT_NAME.fullmatch(tenant):
            problems.append(f"TENANTS__{tenant}: a tenant's name is {TENANT_NAME_RULE}")
        if database not in configured:
            problems.append(
                f"TENANTS__{tenant}: {database} is not a configured database (DATABASES__{database}__DB_TYPE)"
            )
    if tenant_selected and not tenants:
        problems.append("TENANT_SELECTED is set but TENANTS maps no tenant to a database")
    for name in tenant_selected:
        if name in configured or name in shards:
            problems.append(
                f"TENANT_SELECTED: {name} is configured as a database; a tenant-selected name is not"
            )
    return problems


def key_tenant_problems(
    source: TenantSource, key_tenants: Sequence[str | None], tenants: Mapping[str, str]
) -> list[str]:
    """What is wrong with the tenants API keys carry (`<key>@<tenant>`, in key order),
    given TENANT_FROM and TENANTS."""
    if source == "api_key" and not key_tenants:
        return ["TENANT_FROM=api_key reads the tenant of the caller's API key: set API_KEYS (<key>@<tenant>)"]
    problems = []
    for position, tenant in enumerate(key_tenants, start=1):
        if tenant is not None and source != "api_key":
            problems.append(
                f"API_KEYS: key {position} carries a tenant, which only TENANT_FROM=api_key reads; "
                f"set TENANT_FROM=api_key or drop the @{tenant}"
            )
        elif tenant is not None and tenant not in tenants:
            problems.append(f"API_KEYS: key {position} carries tenant {tenant}, which is not in TENANTS")
    return problems
