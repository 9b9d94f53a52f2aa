"""Customer endpoints: a customer sees and changes only their own data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from netbank.domain.customer import mask_phone
from netbank.domain.ledger import Transfer
from netbank.domain.locale import SUPPORTED_LOCALES
from netbank.domain.policy import VersionLimits
from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api import statements as st
from netbank.entrypoints.api.deps import CustomerDep, DepsDep
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import auth, enrolment, factors, limits, payments, preferences, queries, statements
from netbank.services.ports import Deps

router = APIRouter(
    prefix="/api/v1/me", tags=["customer"], responses={**REFUSALS, 403: {"description": "Forbidden"}}
)


@router.get("", response_model=s.CustomerOut)
def me(actor: CustomerDep, deps: DepsDep) -> s.CustomerOut:
    return s.CustomerOut.model_validate(queries.customer_overview(deps, actor))


@router.post("/linked-accounts", response_model=s.LinkOut, status_code=201)
def link_online(body: s.LinkOnlineIn, actor: CustomerDep, deps: DepsDep) -> s.LinkOut:
    """E10: link one of your accounts online; it can pay out only after 819102 at a counter."""
    link = enrolment.link_account_online(deps, actor, body.command())
    return s.LinkOut(
        origin=link.origin.value,
        status=link.status.value,
        can_pay_out=link.can_pay_out,
        created_at=link.created_at,
    )


@router.post("/password", status_code=204)
def change_password(body: s.PasswordChangeIn, actor: CustomerDep, deps: DepsDep) -> None:
    enrolment.change_login_password(deps, actor, body.command())


@router.get("/sessions", response_model=list[s.SessionInfoOut])
def sessions(actor: CustomerDep, deps: DepsDep) -> list[s.SessionInfoOut]:
    return [s.SessionInfoOut.model_validate(x) for x in auth.list_sessions(deps, actor)]


@router.delete("/sessions/{session_id}", status_code=204)
def revoke(session_id: s.RowId, actor: CustomerDep, deps: DepsDep) -> None:
    auth.revoke_session(deps, actor, auth.RevokeSession(session_id))


@router.get("/session", response_model=s.SessionLevelOut)
def session_level(actor: CustomerDep) -> s.SessionLevelOut:
    """The authentication level of this session (raised for a while by a step-up)."""
    return s.SessionLevelOut(principal=actor.principal.value, level=int(actor.level))


@router.get("/step-up/methods", response_model=list[s.StepUpMethodOut])
def step_up_methods(actor: CustomerDep, deps: DepsDep) -> list[s.StepUpMethodOut]:
    """K2: every step-up method, the level it gives and whether you can use it now (the same
    list a ``K2_STEP_UP_REQUIRED`` answer draws its ``methods`` from)."""
    return [
        s.StepUpMethodOut(name=m.name, level=int(m.level), usable=m.usable)
        for m in deps.factors.catalogue(deps, actor)
    ]


@router.post("/step-up/totp", response_model=s.StepUpOut)
def step_up_totp(body: s.TOTPIn, actor: CustomerDep, deps: DepsDep) -> s.StepUpOut:
    """K2: a TOTP code from the customer's authenticator raises the session's level."""
    result = factors.TOTP.verify(deps, actor, body.command())
    return s.StepUpOut(level=int(result.level), until=result.until)


@router.post("/challenges", response_model=s.ChallengeOut, status_code=201)
def start_challenge(body: s.ChallengeIn, actor: CustomerDep, deps: DepsDep) -> s.ChallengeOut:
    """Send a one-time code by SMS, ARS (voice call) or to the banking app."""
    challenge = factors.CODES.start(deps, actor, body.command())
    return s.ChallengeOut(
        id=challenge.id or 0,
        channel=challenge.channel.value,
        purpose=challenge.purpose.value,
        phone_masked=mask_phone(challenge.phone),
        expires_at=challenge.expires_at,
        max_attempts=challenge.max_attempts,
    )


@router.post("/challenges/{challenge_id}/verify", response_model=s.StepUpOut)
def verify_challenge(
    challenge_id: s.RowId, body: s.ChallengeVerifyIn, actor: CustomerDep, deps: DepsDep
) -> s.StepUpOut:
    result = factors.CODES.verify(deps, actor, body.command(challenge_id=challenge_id))
    return s.StepUpOut(level=int(result.level), until=result.until)


# --- payments (L1-L4, E6, E10, K2) -------------------------------------------------------


def transfer_out(
    deps: Deps, t: Transfer, *, replayed: bool = False, payer_balance_minor: int | None = None
) -> s.TransferOut:
    """A transfer as the API shows it (to the customer, and to the teller who reverses it)."""
    with deps.uow(readonly=True) as uow:
        payer = uow.accounts.get(t.payer_account_id)
        payee = uow.accounts.get(t.payee_account_id) if t.payee_account_id else None
    return s.TransferOut(
        id=t.id or 0,
        kind=t.kind.value,
        status=t.status.value,
        amount_minor=t.amount_minor,
        currency=t.currency,
        from_account=payer.number if payer else "",
        to_account=payee.number if payee else None,
        payee_code=t.payee_code,
        reference=t.reference,
        created_at=t.created_at,
        business_date=t.business_date,
        auth_level=t.auth_level,
        replayed=replayed,
        payer_balance_minor=payer_balance_minor,
    )


def _booked(result: payments.TransferResult, deps: Deps, response: Response) -> s.TransferOut:
    if result.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return transfer_out(
        deps, result.transfer, replayed=result.replayed, payer_balance_minor=result.payer_balance_minor
    )


@router.post("/transfers", response_model=s.TransferOut, status_code=201)
def transfer(body: s.TransferIn, actor: CustomerDep, deps: DepsDep, response: Response) -> s.TransferOut:
    """Transfer to one of your accounts or to another customer's account here. Needs the
    level your limits ask for: the answer may be ``K2_STEP_UP_REQUIRED``."""
    return _booked(payments.make_transfer(deps, actor, body.command()), deps, response)


@router.post("/bill-payments", response_model=s.TransferOut, status_code=201)
def bill_payment(
    body: s.BillPaymentIn, actor: CustomerDep, deps: DepsDep, response: Response
) -> s.TransferOut:
    """Pay a bill (utility, phone, tax) with its reference; the ordinary version up to its
    bill-payment limit (L2)."""
    return _booked(payments.pay_bill(deps, actor, body.command()), deps, response)


@router.get("/payees", response_model=list[s.PayeeOut])
def payees(actor: CustomerDep, deps: DepsDep) -> list[s.PayeeOut]:
    with deps.uow(readonly=True) as uow:
        return [
            s.PayeeOut(code=p.code, name=p.name, category=p.category.value)
            for p in uow.payees.list(actor.institution_id)
        ]


def _limits_out(view: limits.LimitsView) -> s.LimitsOut:
    def pair(v: VersionLimits) -> s.LimitPairOut:
        return s.LimitPairOut(
            per_transaction_minor=v.per_transaction_minor,
            daily_minor=v.daily_minor,
            bill_payment_daily_minor=v.bill_payment_daily_minor,
        )

    return s.LimitsOut(
        version=view.version,
        level=view.level,
        currency=view.currency,
        business_date=view.business_date,
        version_limits=pair(view.version_limits),
        in_force=pair(view.in_force),
        own_per_transaction_minor=view.own_per_transaction_minor,
        own_daily_minor=view.own_daily_minor,
        used_today_minor=view.used_today_minor,
        left_today_minor=view.left_today_minor,
        bill_payments_today_minor=view.bill_payments_today_minor,
        bill_payment_left_today_minor=view.bill_payment_left_today_minor,
    )


@router.get("/limits", response_model=s.LimitsOut)
def my_limits(actor: CustomerDep, deps: DepsDep) -> s.LimitsOut:
    """Your limits: the version's, yours, those in force at this session's level, and what is
    left today (the business day of your institution's time zone)."""
    return _limits_out(limits.limits_view(deps, actor))


@router.put("/limits", response_model=s.LimitsOut)
def set_limits(body: s.LimitsSetIn, actor: CustomerDep, deps: DepsDep) -> s.LimitsOut:
    return _limits_out(limits.set_own_limits(deps, actor, body.command()))


def _preferences_out(preferred_locale: str | None) -> s.PreferencesOut:
    return s.PreferencesOut(preferred_locale=preferred_locale, supported_locales=list(SUPPORTED_LOCALES))


@router.get("/preferences", response_model=s.PreferencesOut)
def my_preferences(actor: CustomerDep, deps: DepsDep) -> s.PreferencesOut:
    """Your preferred language (null: none; the web front then follows the browser)."""
    return _preferences_out(preferences.customer_locale(deps, actor))


@router.put("/preferences", response_model=s.PreferencesOut)
def set_preferences(body: s.PreferencesIn, actor: CustomerDep, deps: DepsDep) -> s.PreferencesOut:
    """Choose the language of your web pages after sign-in (the web's language switch does
    the same), or null for none."""
    return _preferences_out(preferences.set_customer_locale(deps, actor, body.command()))


StatementAccount = Annotated[s.AccountNumber | None, Query(description="Only this one of your accounts")]


@router.get("/statement", response_model=s.StatementPageOut)
def statement(
    actor: CustomerDep,
    deps: DepsDep,
    account: StatementAccount = None,
    from_date: st.FromDate = None,
    to_date: st.ToDate = None,
    kind: st.Kinds = None,
    cursor: st.Cursor = None,
    limit: st.Limit = 50,
) -> s.StatementPageOut:
    """Your transaction history, newest first, a page at a time; filter by account, business
    days and kind of posting. Money in is positive, money out negative."""
    filt = st.statement_filter(account, from_date, to_date, kind)
    return st.page_out(statements.customer_statement(deps, actor, filt, cursor=cursor, limit=limit))


@router.get("/statement.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def statement_csv(
    actor: CustomerDep,
    deps: DepsDep,
    account: StatementAccount = None,
    from_date: st.FromDate = None,
    to_date: st.ToDate = None,
    kind: st.Kinds = None,
) -> Response:
    """The same history as CSV (UTF-8 with a byte-order mark), every page of it."""
    filt = st.statement_filter(account, from_date, to_date, kind)

    def read(cursor: int | None) -> statements.StatementPage:
        return statements.customer_statement(deps, actor, filt, cursor=cursor, limit=statements.MAX_PAGE)

    return Response(
        st.csv_text(read(None), read),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="statement.csv"'},
    )
