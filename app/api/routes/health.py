"""No `from __future__ import annotations`: @inject reads the Annotated markers at run time."""

from typing import Annotated

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app.api.auth import AUTHENTICATED
from app.api.dependencies.container import Provided
from app.controllers.health import HealthController, HealthReport
from containers import Container

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "A required database is down"}},
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
    return JSONResponse(report.model_dump(), status_code=200 if report.ready else 503)
