from __future__ import annotations

from importlib import import_module
from pkgutil import iter_modules

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """The `router` of every module in this package: a new resource's routes module
    is served without being listed anywhere else."""
    modules = sorted(info.name for info in iter_modules(__path__))
    return [import_module(f"{__name__}.{name}").router for name in modules]
