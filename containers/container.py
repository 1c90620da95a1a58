from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dependency_injector import containers, providers
from pydantic import ValidationError

from app.controllers.base import BaseController
from app.controllers.events import EventController
from app.controllers.expansion import Expander
from app.controllers.health import HealthController
from app.controllers.products import ProductController
from app.controllers.readiness import ReadinessController
from app.controllers.users import UserController
from app.models.resource import Resource
from containers.named import adapters_by_name, named_databases
from settings import ConfigurationError, Settings, describe_validation_error


def controllers_by_resource(container: Container) -> dict[str, providers.Factory[Any]]:
    """The controller provider of each resource, by the resource's name: calling one
    follows the container's overrides, as a route's controller does."""
    return {resource.name: provider for resource, provider in controller_providers(container)}


def check_relations(container: Container) -> None:
    """Every relation of a served resource targets a resource the container serves, so
    that `?expand=` cannot fail for want of a controller at request time."""
    served = controllers_by_resource(container)
    missing = [
        f"{resource.name}.{relation.name} -> {relation.target}"
        for resource, _ in controller_providers(container)
        for relation in resource.relations
        if relation.target not in served
    ]
    if missing:
        raise ConfigurationError(
            f"relations target resources no controller of the container serves: {', '.join(missing)}"
        )


def check_tenant_shared(container: Container) -> None:
    """TENANT_SHARED names resources, each of them shared (not tenant-selected)."""
    settings = container.settings()
    if settings.TENANT_SHARED is None:
        return
    databases = {
        resource.name: container.databases.resolve_provider_name(provider.kwargs["db_adapter"])
        for resource, provider in controller_providers(container)
    }
    problems = [
        f"TENANT_SHARED: {name} is no resource (resources: {', '.join(sorted(databases))})"
        if name not in databases
        else f"TENANT_SHARED: {name} is tenant-selected ({databases[name]} is in TENANT_SELECTED)"
        for name in settings.TENANT_SHARED
        if databases.get(name) in (None, *settings.TENANT_SELECTED)
    ]
    if problems:
        raise ConfigurationError("; ".join(problems))


def controller_providers(container: Container) -> Iterator[tuple[Resource, providers.Factory[Any]]]:
    for provider in container.traverse(types=[providers.Factory]):
        cls = provider.cls
        if isinstance(cls, type) and issubclass(cls, BaseController) and hasattr(cls, "resource"):
            yield cls.resource, provider


class Container(containers.DeclarativeContainer):
    """The one place where the service's objects are built and connected.

    `databases.<name>` is the provider of each named database: `default` (the primary),
    every name in DATABASES, and every name a controller below is bound to.
    """

    wiring_config = containers.WiringConfiguration(
        modules=[
            "app.api.expansion",
            "app.api.dependencies.db",
            "app.api.routes.health",
            "app.api.routes.probes",
            "app.controllers.base",
        ],
        auto_wire=False,  # create_app() wires the container it serves
    )

    __self__ = providers.Self()
    settings = providers.Singleton(Settings)
    databases = providers.DependenciesContainer()

    users = providers.Factory(UserController, db_adapter=databases.users_db)
    products = providers.Factory(ProductController, db_adapter=databases.products_db)
    events = providers.Factory(EventController, db_adapter=databases.analytics_db)

    # Relations are loaded through the target resource's controller above, by its name.
    expander = providers.Singleton(
        Expander, controllers=providers.Callable(controllers_by_resource, __self__)
    )

    health = providers.Factory(
        HealthController,
        adapters=providers.Callable(adapters_by_name, databases.provider),
        settings=settings,
    )
    readiness = providers.Factory(
        ReadinessController,
        adapters=providers.Callable(adapters_by_name, databases.provider),
        settings=settings,
    )

    def __new__(cls, **overriding: Any) -> Container:
        container = super().__new__(cls, **overriding)
        if not container.databases.overridden:
            try:
                settings = container.settings()
            except ValidationError as error:
                raise ConfigurationError(describe_validation_error(error)) from None
            bound = list(container.databases.providers)
            container.databases.override(named_databases(settings, bound))
            check_relations(container)
            check_tenant_shared(container)
        return container
