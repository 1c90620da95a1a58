"""MongoDB's schema steps, one line per resource, oldest first."""

from __future__ import annotations

from app.adapters.mongodb.migrations import Step
from app.migrations.mongodb import events, products, users

STEPS: dict[str, list[Step]] = {
    "users": users.STEPS,
    "products": products.STEPS,
    "events": events.STEPS,
}
