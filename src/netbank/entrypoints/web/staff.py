"""Staff pages that are not counter work: the institution admin reads the policy in force, and
the auditor (or the admin) browses the institution's audit trail and runs the checks of the
audit chain and of the ledger (``GET /api/v1/teller/audit/verify`` and ``.../ledger/verify``
call the same services). Staff sign in on the teller sign-in page; a teller reaches none of
these pages, and an admin or auditor none of the counter's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from netbank.domain.enrolment import Version
from netbank.domain.institution import StaffRole
from netbank.entrypoints.api.deps import DepsDep
from netbank.entrypoints.web.common import CSRFChecked, PageRoute, render, session_token, signed_in_at
from netbank.entrypoints.web.customer import int_param
from netbank.services import audit, auth, ledger, oversight
from netbank.services.common import TellerActor

router = APIRouter(prefix="/teller", route_class=PageRoute, include_in_schema=False)


def web_admin(request: Request, deps: DepsDep) -> TellerActor:
    actor = auth.authenticate_teller(deps, session_token(request), StaffRole.ADMIN)
    return signed_in_at(request, deps, actor)


def web_auditor(request: Request, deps: DepsDep) -> TellerActor:
    """As the API's ``AuditorDep``: the auditor, and the admin, read the audit trail."""
    actor = auth.authenticate_teller(deps, session_token(request), StaffRole.AUDITOR, StaffRole.ADMIN)
    return signed_in_at(request, deps, actor)


WebAdmin = Annotated[TellerActor, Depends(web_admin)]
WebAuditor = Annotated[TellerActor, Depends(web_auditor)]


@router.get("/admin/policy", response_class=HTMLResponse)
def policy(request: Request, actor: WebAdmin, deps: DepsDep) -> HTMLResponse:
    """The policy in force at the admin's institution: limits (L1-L3), fees (G1-G2), lock-outs,
    session and counter times, as the services apply them."""
    in_force = oversight.policy_in_force(deps, actor)
    return render(
        request,
        "staff_policy.html",
        signed_in="staff",
        actor=actor,
        policy=in_force,
        versions=[v.value for v in Version],
        limits=[(v.value, in_force.limits_for(v)) for v in Version],
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_trail(request: Request, actor: WebAuditor, deps: DepsDep) -> HTMLResponse:
    """The institution's audit chain, newest first; "older" reads the next page."""
    before = int_param(request, "before", None, 1, 2**62)
    limit = int_param(request, "limit", oversight.AUDIT_PAGE, 1, oversight.AUDIT_PAGE_MAX)
    page = oversight.audit_trail(deps, actor, before_seq=before, limit=limit or oversight.AUDIT_PAGE)
    return render(
        request,
        "staff_audit.html",
        signed_in="staff",
        actor=actor,
        page=page,
        older=f"/teller/audit?before={page.next_before}&limit={limit or oversight.AUDIT_PAGE}"
        if page.next_before
        else None,
    )


@router.post("/audit/verify", response_class=HTMLResponse)
def verify(request: Request, actor: WebAuditor, deps: DepsDep, _csrf: CSRFChecked) -> HTMLResponse:
    """Re-hash every audit chain and prove the ledger; changes nothing."""
    return render(
        request,
        "staff_verify.html",
        signed_in="staff",
        actor=actor,
        audit_report=audit.verify_audit(deps),
        ledger_report=ledger.verify_ledger(deps),
    )
