"""MongoDB's schema steps, one line per resource, oldest first."""

from __future__ import annotations

from app.migrations.mongodb import events, products, users
from app.migrations.mongodb_op import Step

STEPS: dict[str, list[Step]] = {
    "users": users.STEPS,
    "products": products.STEPS,
    "events": events.STEPS,
}
