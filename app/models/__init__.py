from app.models.events import EVENTS
from app.models.products import PRODUCTS
from app.models.resource import Relation, Resource
from app.models.users import USERS

RESOURCES = {resource.name: resource for resource in (USERS, PRODUCTS, EVENTS)}

__all__ = ["EVENTS", "PRODUCTS", "RESOURCES", "USERS", "Relation", "Resource"]
