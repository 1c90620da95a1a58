from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from settings.kinds import kind_of


def scheme_of(url: str) -> str:
    return url.partition("://")[0].lower() if "://" in url else ""


def check_scheme(db_type: str, url: str) -> None:
    scheme = scheme_of(url)
    allowed = kind_of(db_type).schemes
    if scheme not in allowed:
        raise ValueError(
            f"a {db_type} connection string must start with one of "
            f"{', '.join(sorted(s + '://' for s in allowed))}, not {scheme or 'no scheme'!r}"
        )
    if kind_of(db_type).server:
        check_port(db_type, url)


def check_port(db_type: str, url: str) -> None:
    """A port in the URL (each host's, for MongoDB's lists of hosts) is 1 to 65535, so
    that a typo stops the start here rather than failing in a driver."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]  # never the password
    for host in netloc.split(",") if db_type == "mongodb" else [netloc]:
        port = host.rpartition("]")[2] if host.startswith("[") else host
        _, colon, port = port.rpartition(":")
        if colon and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError("the connection string's port is not a number from 1 to 65535")


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, for logs and /health."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo = f"{parts.username}:***" if parts.username else ":***"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))
