from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers
from pydantic import ValidationError

from app.controllers.events import EventController
from app.controllers.expansion import Expander
from app.controllers.health import HealthController
from app.controllers.products import ProductController
from app.controllers.users import UserController
from containers.databases import (
    adapters_by_name,
    check_relations,
    check_tenant_shared,
    controllers_by_resource,
    named_databases,
)
from settings import ConfigurationError, Settings, describe_validation_error


class Container(containers.DeclarativeContainer):
    """The one place where the service's objects are built and connected.

    `databases.<name>` is the provider of each named database: `default` (the primary),
    every name in DATABASES, and every name a controller below is bound to.
    """

    wiring_config = containers.WiringConfiguration(
        modules=[
            "app.api.crud",
            "app.api.expansion",
            "app.api.dependencies.db",
            "app.api.routes.health",
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

    def __new__(cls, **overriding: Any) -> Any:
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
