"""Victim endpoints: open a case, look at it, add hashes, withdraw it (case secret as bearer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from hashstop.api.deps import (
    CaseSecret,
    DistancesDep,
    Runtime,
    RuntimeDep,
    SessionDep,
    client_address,
    limit_case_creation,
)
from hashstop.api.schemas import (
    CaseCreatedOut,
    CaseOut,
    HashesIn,
    SubmissionOut,
)
from hashstop.service.cases import CaseCaps, CaseService
from hashstop.service.errors import PayloadTooLarge
from hashstop.service.rules import SubmittedHash

router = APIRouter(prefix="/v1/cases", tags=["victim"])


def _caps(runtime: Runtime) -> CaseCaps:
    settings = runtime.settings
    return CaseCaps(hashes=settings.max_hashes_per_case, photos=settings.max_photos_per_case)


def _submitted(body: HashesIn, limit: int) -> list[SubmittedHash]:
    if len(body.hashes) > limit:
        raise PayloadTooLarge(
            f"at most {limit} hashes per request, got {len(body.hashes)}; send the rest with "
            "POST /v1/cases/{case_id}/hashes"
        )
    return [SubmittedHash(h.algorithm, h.value, h.quality, h.photo, h.variant) for h in body.hashes]


@router.post(
    "",
    status_code=201,
    dependencies=[Depends(limit_case_creation)],
    response_model=CaseCreatedOut,
)
def open_case(
    body: HashesIn,
    session: SessionDep,
    runtime: RuntimeDep,
    distances: DistancesDep,
    response: Response,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=128,
            description="43 base64url characters (32 random bytes), new for each submission: "
            "a retry with the same key and body gets the same case and secret (200) for 24 h",
        ),
    ] = None,
) -> CaseCreatedOut:
    """Open a case with hashes; the answer holds the case secret, shown this once."""
    hashes = _submitted(body, runtime.settings.max_hashes_per_case_request)
    runtime.write_budget.spend(client_address(request), len(hashes))
    opened = CaseService(session, runtime.keyring, distances, _caps(runtime)).open(
        hashes, idempotency_key
    )
    if opened.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return CaseCreatedOut.of_opened(opened)


@router.get("/{case_id}", response_model=CaseOut)
def get_case(case_id: str, secret: CaseSecret, session: SessionDep, runtime: RuntimeDep) -> CaseOut:
    """Show your case: its status, how many hashes and photos, how many matches."""
    service = CaseService(session, runtime.keyring)
    return CaseOut.of(service.view(service.authorise(case_id, secret)))


@router.post("/{case_id}/hashes", response_model=SubmissionOut)
def add_hashes(
    case_id: str,
    body: HashesIn,
    secret: CaseSecret,
    session: SessionDep,
    runtime: RuntimeDep,
    distances: DistancesDep,
    request: Request,
) -> SubmissionOut:
    """Add hashes to your case (same rules, hourly budget and per-case caps as opening it)."""
    hashes = _submitted(body, runtime.settings.max_hashes_per_case_request)
    runtime.write_budget.spend(client_address(request), len(hashes))
    service = CaseService(session, runtime.keyring, distances, _caps(runtime))
    case = service.authorise(case_id, secret, for_update=True)
    return SubmissionOut.of(case, service.add_hashes(case, hashes))


@router.delete("/{case_id}", response_model=CaseOut)
def withdraw_case(
    case_id: str, secret: CaseSecret, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """Withdraw your case: its hashes stop matching now and their values are erased."""
    service = CaseService(
        session, runtime.keyring, retraction_days=runtime.settings.retraction_days
    )
    case = service.authorise(case_id, secret, for_update=True)
    return CaseOut.of(service.withdraw(case))
