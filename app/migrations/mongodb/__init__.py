"""MongoDB's schema steps: the module named after a resource holds its line of steps
(`STEPS`, oldest first). A new resource's module is found here without a registry."""

from __future__ import annotations

from importlib import import_module
from pkgutil import iter_modules

from app.migrations.mongodb_op import Step

STEPS: dict[str, list[Step]] = {
    info.name: import_module(f"{__name__}.{info.name}").STEPS for info in iter_modules(__path__)
}
