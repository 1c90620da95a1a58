from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from app.models.resource import Resource


@dataclass(frozen=True)
class SchemaStatus:
    """Each resource's applied revision (None: nothing applied) and its head."""

    current: dict[str, str | None]
    head: dict[str, str | None]
    unversioned: tuple[str, ...] = ()  # resources with no migration at all yet
    # Resources whose table or collection is not in the database (dropped, or a database
    # recreated empty), whatever the record of applied revisions says.
    missing: tuple[str, ...] = ()

    @property
    def behind(self) -> bool:
        return bool(self.unversioned or self.missing) or any(
            self.current[name] != self.head[name] for name in self.head
        )

    def describe(self) -> str:
        return ", ".join(self._describe(name) for name in self.head)

    def _describe(self, name: str) -> str:
        if name in self.unversioned:
            return f"{name} has no migration yet: write one with `python -m app db revision --autogenerate`"
        if name in self.missing and self.current[name]:
            return f"{name}'s table or collection is missing (dropped?)"
        return f"{name} at {self.current[name] or 'base'}, head {self.head[name] or 'base'}"


class Migrations(ABC):
    """Versioned schema changes of one family of databases. Each resource has its own
    line of revisions, applied to the database its routes are bound to, so a resource
    can move to another database by configuration and take its schema with it."""

    @abstractmethod
    async def status(self, resources: Sequence[Resource]) -> SchemaStatus: ...

    @abstractmethod
    async def upgrade(self, resources: Sequence[Resource], to: str | None = None) -> None:
        """To each resource's head, or to the revision `to` (of one of them)."""

    @abstractmethod
    async def downgrade(self, resources: Sequence[Resource], to: str) -> None:
        """To `to`: "base" takes every resource back to nothing, else one revision."""

    @abstractmethod
    def history(self, resources: Sequence[Resource]) -> list[str]:
        """One line per revision, newest first."""

    def script(self, resources: Sequence[Resource]) -> str:
        """The SQL that an upgrade from nothing would run, for review before it runs."""
        raise NotImplementedError("only SQL databases have an offline script; their steps run online")

    async def drift(self, resources: Sequence[Resource]) -> list[str]:
        """What differs between the models and the database: empty when they agree."""
        raise NotImplementedError("only SQL schemas are compared with their models")

    async def revision(self, resource: Resource, message: str) -> str:
        """Write the next revision of `resource` from its models; the new file's path."""
        raise NotImplementedError(f"{type(self).__name__} has no revisions to write")


class NoMigrations(Migrations):
    """For stores with no schema to version (the in-memory one)."""

    async def status(self, resources: Sequence[Resource]) -> SchemaStatus:
        return SchemaStatus(current={r.name: None for r in resources}, head={r.name: None for r in resources})

    async def upgrade(self, resources: Sequence[Resource], to: str | None = None) -> None:
        pass

    async def downgrade(self, resources: Sequence[Resource], to: str) -> None:
        pass

    def history(self, resources: Sequence[Resource]) -> list[str]:
        return []
