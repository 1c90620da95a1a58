"""No `from __future__ import annotations`: @inject reads the Annotated markers at run time."""

from typing import Annotated

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app.api.auth import AUTHENTICATED
from app.api.dependencies.container import Provided
from app.api.problems import retry_after_header
from app.controllers.health import HealthController, HealthReport
from containers import Container

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    operation_id="get_health",
    summary="Health of every database",
    description="Pings every named database at once, each bounded by HEALTH_TIMEOUT, and reports "
    "each one's type, status (`up`, `down`, `schema_behind`), latency and replicas. Answers 200 while "
    "every database with REQUIRED=true is up (behind or not), else 503 with `Retry-After`. Never needs "
    "an API key.",
    response_model=HealthReport,
    responses={
        503: {
            "model": HealthReport,
            "description": "A required database is down",
            "headers": retry_after_header("Seconds to wait before asking again"),
        }
    },
)
@inject
async def health(
    request: Request,
    controller: Annotated[HealthController, Depends(Provided[Container.health])],
) -> JSONResponse:
    report = await controller.check()
    # With API keys on, a caller without one learns up or down, not which databases exist.
    if not request.scope.get(AUTHENTICATED, True):
        report.databases = None
    if report.ready:
        return JSONResponse(report.model_dump())
    retry_after = str(request.app.state.retry_after)
    return JSONResponse(report.model_dump(), status_code=503, headers={"Retry-After": retry_after})
