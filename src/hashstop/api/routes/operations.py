"""Operations endpoints: liveness, readiness (index loaded and current), Prometheus metrics.

Live counts are for the operator only (issue 12, attack 6): index sizes per algorithm, case
creations and withdrawals let an outsider watching them see one victim register and withdraw a
photo. So `/metrics` and the detailed `/readyz` answer only an operator: a request bearing an
admin API key, or the operations token (`HASHSTOP_OPERATIONS_TOKEN`, for a metrics scraper that
should not hold an admin key). Anonymous `/readyz` says ready (200) or not (503), nothing else,
which is all a load balancer needs; `/healthz` is liveness.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST

from hashstop.api.deps import RuntimeDep, bearer_scheme, require_role
from hashstop.api.problems import problem
from hashstop.service.errors import Forbidden, Unauthenticated
from hashstop.service.tokens import API_KEY_PREFIX
from hashstop.storage.models import Role

router = APIRouter(tags=["operations"])
_admin = require_role(Role.ADMIN)
OPERATOR_ONLY = (
    "only the operator may read this: send an admin API key or the operations token "
    "(HASHSTOP_OPERATIONS_TOKEN) as `Authorization: Bearer ...`"
)


async def require_operator(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    runtime: RuntimeDep,
) -> bool:
    """The caller is the operator (the operations token or a live admin key), else 401/403."""
    token = credentials.credentials.strip() if credentials is not None else ""
    if token and runtime.operations_token_matches(token):
        return True
    if not token.startswith(API_KEY_PREFIX):
        raise Unauthenticated(OPERATOR_ONLY)
    await _admin(token, runtime)
    return True


async def is_operator(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    runtime: RuntimeDep,
) -> bool:
    """Whether the caller is the operator; any other caller (anonymous, or with another
    credential) is answered as anonymous."""
    if credentials is None:
        return False
    try:
        return await require_operator(credentials, runtime)
    except (Unauthenticated, Forbidden):
        return False


RequireOperator = Annotated[bool, Depends(require_operator)]
Operator = Annotated[bool, Depends(is_operator)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers (says nothing about the database or the index)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(runtime: RuntimeDep, operator: Operator) -> JSONResponse:
    """Readiness: 200 once the index is loaded and following the change log, else 503.
    Anonymous callers get the status only; the operator also gets the reason, the applied
    change-log seq, the index sizes and the worker."""
    status = runtime.sync.status()
    if not status.ready:
        if not operator:
            return problem(503, "not ready", slug="not-ready", headers={"Retry-After": "1"})
        return problem(
            503,
            f"not ready: {status.reason}",
            slug="not-ready",
            headers={"Retry-After": "1"},
            applied_seq=status.applied_seq,
            worker=os.getpid(),
        )
    if not operator:
        return JSONResponse({"status": "ready"})
    return JSONResponse(
        {
            "status": "ready",
            "applied_seq": status.applied_seq,
            "index": status.sizes,
            "worker": os.getpid(),
        }
    )


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep, _operator: RequireOperator) -> Response:
    """Prometheus metrics of this worker (the operator only: admin key or operations token)."""
    return Response(runtime.metrics.render(runtime.sync), media_type=CONTENT_TYPE_LATEST)
