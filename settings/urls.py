from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306, "sqlserver": 1433, "mongodb": 27017}
SERVER_TYPES = frozenset(DEFAULT_PORTS)

# The schemes a CONNECTION_STRING may use for each DB_TYPE.
SCHEMES = {
    "postgres": {"postgres", "postgresql", "postgresql+asyncpg"},
    "mysql": {"mysql", "mysql+aiomysql", "mariadb", "mariadb+aiomysql"},
    "sqlserver": {"mssql", "mssql+aioodbc", "sqlserver"},
    "mongodb": {"mongodb", "mongodb+srv"},
    "sqlite": {"sqlite", "sqlite+aiosqlite"},
    "memory": {"memory"},
}


def scheme_of(url: str) -> str:
    return url.partition("://")[0].lower() if "://" in url else ""


def check_scheme(db_type: str, url: str) -> None:
    scheme = scheme_of(url)
    allowed = SCHEMES[db_type]
    if scheme not in allowed:
        raise ValueError(
            f"a {db_type} connection string must start with one of "
            f"{', '.join(sorted(s + '://' for s in allowed))}, not {scheme or 'no scheme'!r}"
        )


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, for logs and /health."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo = f"{parts.username}:***" if parts.username else ":***"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))
