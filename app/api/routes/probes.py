"""Probes for orchestrators and load balancers. Both are public with API keys on (a probe
sends no key) and answer a status word only: which databases exist is for /health with a key.

No `from __future__ import annotations`: @inject reads the Annotated markers at run time."""

from typing import Annotated, Literal

from dependency_injector.wiring import inject
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from app.api.dependencies.container import Provided
from app.api.problems import retry_after_header
from app.controllers.readiness import ReadinessController
from containers import Container

LIVE, READY = "/health/live", "/health/ready"

router = APIRouter(tags=["health"])


class Probe(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ready"}]})

    status: Literal["live", "ready", "not_ready"]


@router.get(
    LIVE,
    operation_id="get_liveness",
    summary="The process answers",
    description="Always 200 while the process serves HTTP; asks no database. For a liveness "
    "probe: a database that is down is no reason to restart the service. Never needs an API key.",
    response_model=Probe,
)
async def live() -> Probe:
    return Probe(status="live")


@router.get(
    READY,
    operation_id="get_readiness",
    summary="Every required database answers at schema head",
    description="200 while every database with REQUIRED=true answers within HEALTH_TIMEOUT and its "
    "schema is at head; else 503 with `Retry-After`. For a readiness probe or a load balancer's "
    "health check. Never needs an API key, and names no database: `/health` tells which one is not.",
    response_model=Probe,
    responses={
        503: {
            "model": Probe,
            "description": "A required database is down, or its schema is behind head",
            "headers": retry_after_header("Seconds to wait before asking again"),
        }
    },
)
@inject
async def ready(
    request: Request,
    controller: Annotated[ReadinessController, Depends(Provided[Container.readiness])],
) -> JSONResponse:
    if await controller.ready():
        return JSONResponse(Probe(status="ready").model_dump())
    headers = {"Retry-After": str(request.app.state.retry_after)}
    return JSONResponse(Probe(status="not_ready").model_dump(), status_code=503, headers=headers)
