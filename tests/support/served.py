"""What the service serves, read from its container (the one list of what exists), and
a valid body for any of it, read from the resource's create model: tests name no
resource or database by hand, so a new resource is tested without editing them."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers

from app.controllers.base import BaseController
from app.models.resource import Resource
from containers import Container
from containers.databases import bindings
from settings import Settings


def _bindings(container_class: type[Container] = Container) -> dict[Resource, str]:
    settings = Settings(_env_file=None, DB_TYPE="memory")
    built = container_class(settings=providers.Object(settings))
    return {binding.resource: binding.database for binding in bindings(built)}


def resources(container_class: type[Container] = Container) -> list[Resource]:
    """The resources a controller provider of the container serves, by name."""
    return list(_bindings(container_class))


def databases(container_class: type[Container] = Container) -> list[str]:
    """The database names the controller providers are bound to, each once, by name."""
    return sorted(set(_bindings(container_class).values()))


def home(container_class: type[Container] = Container) -> dict[str, str]:
    """Each served resource's name, with the name of the database it is bound to."""
    return {resource.name: database for resource, database in _bindings(container_class).items()}


def body(resource: Resource, n: int) -> dict[str, Any]:
    """A body that creates a row of `resource`: its required fields, distinct per `n`
    (so unique fields do not collide) and within each field's length."""
    schema = resource.create.model_json_schema()
    return {name: _value(schema["properties"][name], n) for name in schema.get("required", [])}


def _value(field: dict[str, Any], n: int) -> Any:
    if "anyOf" in field:
        return _value(next(option for option in field["anyOf"] if option.get("type") != "null"), n)
    kind = field.get("type")
    if field.get("format") == "email":
        return f"sample-{n}@example.com"
    if kind == "string":
        return f"sample-{n}"[: field.get("maxLength", 64)]
    if kind in ("integer", "number"):
        return n
    if kind == "object":
        return {"n": n}
    raise ValueError(f"no sample value for a field of schema {field}")


def with_controller(name: str, controller: type[BaseController], database: str) -> type[Container]:
    """Container with one more line, as a new resource's reads in containers/container.py:
    `<name> = providers.Factory(<controller>, db_adapter=databases.<database>)`. Its
    providers are copies, so that Container itself is left as it is."""
    memo: dict[int, Any] = {}
    copied = {key: providers.deepcopy(provider, memo) for key, provider in Container.cls_providers.items()}
    line = providers.Factory(controller, db_adapter=getattr(copied["databases"], database))
    return type(f"ContainerWith{controller.__name__}", (Container,), {**copied, name: line})
