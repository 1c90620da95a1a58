"""No `from __future__ import annotations`: @inject reads the Annotated markers at run time."""

from typing import Annotated

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.api.auth import AUTHENTICATED, CHALLENGE, presents
from app.api.dependencies.container import Provided
from app.api.problems import problem, problem_responses
from app.controllers.metrics import MetricsController
from containers import Container
from settings import Settings

PATH = "/metrics"
# prometheus_client.CONTENT_TYPE_LATEST, written here so that the route does not import
# prometheus-client with METRICS=false (tests/test_serving_imports.py checks they agree).
CONTENT_TYPE = "text/plain; version=1.0.0; charset=utf-8"
EXAMPLE = 'multidb_db_up{database="products_db",type="postgres"} 1.0\n'
router = APIRouter()


@router.get(
    PATH,
    operation_id="get_metrics",
    summary="Prometheus metrics",
    description='Every metric of the service in the Prometheus text format (README "Operating it"): '
    "HTTP requests, and each named database's operations, errors, availability, pool, replicas and "
    "members; of every worker process together. With API keys on, any key or METRICS_KEY; without "
    "them, METRICS_KEY when it is set (else 401). 404 with METRICS=false.",
    response_class=Response,
    responses={
        200: {
            "description": "The metrics",
            "content": {CONTENT_TYPE: {"schema": {"type": "string"}, "example": EXAMPLE}},
        },
        **problem_responses(404),  # and 401: declared with the API keys, or said above for METRICS_KEY
    },
    tags=["operations"],
)
@inject
async def metrics(
    request: Request,
    controller: Annotated[MetricsController, Depends(Provided[Container.metrics_report])],
    settings: Annotated[Settings, Depends(Provided[Container.settings])],
) -> Response:
    # With METRICS_KEY set, the path is let through the API key check: an API key or
    # METRICS_KEY will do.
    key = settings.METRICS_KEY
    if (
        key is not None
        and not request.scope.get(AUTHENTICATED)
        and not presents(request.scope, key.get_secret_value())
    ):
        return problem(
            401, "/metrics needs METRICS_KEY or an API key: Authorization: Bearer <key>", CHALLENGE
        )
    text = controller.render()
    if text is None:
        return problem(404, "metrics are off (METRICS=false)")
    return Response(text, media_type=CONTENT_TYPE)


def metrics_public(settings: Settings) -> frozenset[str]:
    """/metrics gets past the API key check when METRICS_KEY is set: the route checks either key."""
    return frozenset({PATH}) if settings.METRICS_KEY is not None else frozenset()
