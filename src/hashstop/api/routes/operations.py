"""Operations endpoints: liveness, readiness (index loaded and current), Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from hashstop.api.deps import RuntimeDep
from hashstop.api.problems import problem

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers (says nothing about the database or the index)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: 200 once the index is loaded and following the change log, else 503."""
    status = runtime.sync.status()
    if not status.ready:
        return problem(
            503,
            f"not ready: {status.reason}",
            slug="not-ready",
            headers={"Retry-After": "1"},
            applied_seq=status.applied_seq,
            worker=os.getpid(),
        )
    return JSONResponse(
        {
            "status": "ready",
            "applied_seq": status.applied_seq,
            "index": status.sizes,
            "worker": os.getpid(),
        }
    )


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus metrics of this worker."""
    return Response(runtime.metrics.render(runtime.sync), media_type=CONTENT_TYPE_LATEST)
