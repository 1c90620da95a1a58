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


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, for logs and /health."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo = f"{parts.username}:***" if parts.username else ":***"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))
