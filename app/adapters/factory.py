from __future__ import annotations

import os
import sys
from importlib import import_module, metadata
from pathlib import Path
from typing import Any, TypeVar

from app.adapters.interface import Store
from app.adapters.observed import Observer
from app.adapters.sql.adapter import SQLAdapter
from app.adapters.sql.replicated import ReplicatedAdapter
from app.adapters.sql.replication import Replication
from app.adapters.store import StoreAdapter
from settings import ConfigurationError, DatabaseConfig
from settings.kinds import kind_of

S = TypeVar("S", bound=StoreAdapter)


def _load(path: str) -> Any:
    """The object at "module:Name", importing its module now."""
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


class DatabaseAdapterFactory:
    """Adapters of the kinds settings/kinds.py declares: a kind's adapter module, and its
    driver, are imported only when a database of that kind is configured, so a deployment
    installs only the drivers it uses."""

    @staticmethod
    def get_adapter(db_type: str, variable: str = "DB_TYPE") -> type[StoreAdapter]:
        """The adapter class of `db_type`, which `variable` set: named in the errors."""
        try:
            kind = kind_of(db_type)
        except ValueError as error:
            raise ConfigurationError(f"{variable}: {error}") from None
        if kind.driver is not None:
            try:
                import_module(kind.driver)
            except ImportError:
                install = install_command(kind.extra) if kind.extra else f"pip install {kind.driver}"
                raise ConfigurationError(
                    f"{variable}={db_type} needs the {kind.driver} driver: {install}"
                ) from None
        adapter: type[StoreAdapter] = _load(kind.adapter)
        return adapter

    @classmethod
    def create(cls, name: str, config: DatabaseConfig, observer: Observer | None = None) -> Store:
        """The store `name`: its operations measured by `observer`, its replicas' too."""
        adapter = cls.get_adapter(config.DB_TYPE)
        watch = observer.watch if observer is not None else _unwatched
        if not config.READ_REPLICAS:
            return watch(adapter(name, config))
        # Settings allow READ_REPLICAS only for kinds that name how positions are read.
        assert config.kind.replication is not None
        assert issubclass(adapter, SQLAdapter), f"{config.DB_TYPE}: replicas are read through SQLAlchemy"
        replication: Replication = _load(config.kind.replication)()
        replicas = [
            watch(adapter(f"{name} replica {i}", replica)) for i, replica in enumerate(config.replicas(), 1)
        ]
        return ReplicatedAdapter(watch(adapter(name, config)), replicas, replication)


def _unwatched(store: S) -> S:
    return store


def install_command(extra: str) -> str:
    """The command that installs `extra` into the Python that runs this: from the checkout
    this code was loaded from, or from the package index when it was installed from there."""
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        where = "." if checkout == Path.cwd().resolve() else str(checkout)
        return f"{python} -m pip install -e '{where}[{extra}]'"
    (distribution, *_) = metadata.packages_distributions().get("app", ["multidb-service"])
    return f"{python} -m pip install '{distribution}[{extra}]'"
