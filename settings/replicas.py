"""READ_REPLICAS: where a database's read replicas are, and the config of each."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BeforeValidator, SecretStr
from pydantic_settings import NoDecode

from settings.kinds import KINDS, kind_of
from settings.urls import check_scheme


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(entry.strip() for entry in value.split(",") if entry.strip())
    return value


# A comma-separated list: each entry a host:port sharing the primary's credentials and
# database name, or a connection string of its own.
ReplicaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split)]


def check_replicas(db_type: str, entries: tuple[str, ...]) -> None:
    if entries and kind_of(db_type).replication is None:
        *others, last = [name for name, kind in KINDS.items() if kind.replication]
        replicated = f"{', '.join(others)} and {last}" if others else last
        hint = " (a MongoDB replica set goes in the connection string, with readPreference)"
        raise ValueError(
            f"read replicas are for {replicated} databases{hint if db_type == 'mongodb' else ''}"
        )
    for entry in entries:
        if "://" in entry:
            check_scheme(db_type, entry)
        else:
            _, _, port = entry.rpartition(":")
            if ":" in entry and not port.isdigit():
                raise ValueError(f"{entry!r} is neither host:port nor a connection string")


def replica_changes(entry: str, primary_url: SecretStr | None, db_type: str) -> dict[str, Any]:
    """What changes in the primary's config (whose CONNECTION_STRING is `primary_url`)
    to point it at one replica, which it only reads: with read-only intent where the kind
    has one (a SQL Server secondary may accept no other connection)."""
    update: dict[str, Any] = {"READ_REPLICAS": (), "READ_ONLY": bool(kind_of(db_type).read_only_query)}
    host, _, port = entry.rpartition(":") if "://" not in entry and ":" in entry else (entry, "", "")
    if "://" in entry:
        update["CONNECTION_STRING"] = SecretStr(entry)
    elif primary_url is not None:
        parts = urlsplit(primary_url.get_secret_value())
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{entry}" if userinfo else entry
        update["CONNECTION_STRING"] = SecretStr(urlunsplit(parts._replace(netloc=netloc)))
    else:
        update["DB_HOST"] = host
        if port:
            update["DB_PORT"] = int(port)
    return update
