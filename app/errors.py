from __future__ import annotations


class DomainError(Exception):
    """An error the API turns into an HTTP answer; its message is safe to show a client."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class Unavailable(DomainError):
    """A database could not answer: down, unreachable, timed out or out of connections."""

    def __init__(self, database: str, reason: str, timed_out: bool = False) -> None:
        super().__init__(f"database {database!r} is unavailable: {reason}")
        self.database = database
        self.reason = reason
        self.timed_out = timed_out  # no answer within QUERY_TIMEOUT (the metrics' "timeout")


class PreconditionFailed(DomainError):
    """A conditional write (If-Match) whose version is no longer the current one."""


class Invalid(DomainError):
    """A value the database refused to store or compare, which validation let through:
    the client's request is at fault, not the service."""


class TenantRequired(DomainError):
    """A tenant-selected database was used, and the request names no tenant, or names
    one in a form that no tenant can have."""


class UnknownTenant(NotFound):
    """The request's tenant is not one of TENANTS: there is no database to serve it."""
