from app.models.events import EVENTS
from app.models.products import PRODUCTS
from app.models.resource import Relation, Resource
from app.models.users import USERS

__all__ = ["EVENTS", "PRODUCTS", "USERS", "Relation", "Resource"]
