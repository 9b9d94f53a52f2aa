"""The teller console's counter transactions (E7-E15, K1, G1), on the customer's page once the
in-person identity check is recorded (E12), and their receipts (a page and a printable PDF).

Each form posts the fields of the API's input model of its transaction (``FORMS``: the form's
name, the model, the service handler), under the same names, with the identity check's number;
``POST /teller/customers/{number}/counter/{form}`` validates them with that model, runs the
handler the API's route runs, and shows the receipt, or the customer's page again with the
refusal above the forms. The UKEY sale and the certificate renewal go through a confirmation
page (``.../{form}/quote``) that shows the G1 fee (from the fee engine, ``ledger.quote_fee``)
and the account it will be debited from; only the confirmation books."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from netbank.adapters.i18n import catalogs
from netbank.domain.ledger import FeeKind
from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api.deps import DepsDep
from netbank.entrypoints.web.common import CSRFChecked, PageRoute, WebTeller, locale_of, render
from netbank.entrypoints.web.counter_forms import counter_context
from netbank.entrypoints.web.customer import int_param
from netbank.entrypoints.web.forms import Refusal, read_form
from netbank.entrypoints.web.receipt_pdf import action_name, cjk_font, render_receipt, transaction_name
from netbank.entrypoints.web.submit import run
from netbank.entrypoints.web.teller import customer_page
from netbank.services import ledger, queries, receipts
from netbank.services.common import Receipt, TellerActor
from netbank.services.counter import accounts, certificates, contract, maintenance
from netbank.services.ports import Deps

router = APIRouter(prefix="/teller", route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True)
class CounterForm:
    """A counter transaction as the customer's page offers it: the API's input model its
    fields are read with, the service handler, and for a transaction with a G1 fee the fee
    the confirmation page shows first."""

    model: type[s.CounterIn]
    handle: Callable[[Deps, TellerActor, Any], Receipt]
    fee: Callable[[Any], FeeKind] | None = None
    #: The confirmation page's heading (transactions with a fee).
    heading: str = ""


FORMS: dict[str, CounterForm] = {
    "contract-add": CounterForm(s.ContractAddIn, contract.add_contract),
    "contract-modify": CounterForm(s.ContractModifyIn, contract.modify_contract),
    "contract-delete": CounterForm(s.ContractDeleteIn, contract.delete_contract),
    "linked-add": CounterForm(s.LinkedAccountAddIn, contract.add_linked_account),
    "linked-remove": CounterForm(s.LinkedAccountRemoveIn, contract.remove_linked_account),
    "password-reset": CounterForm(s.PasswordResetIn, maintenance.reset_login_password),
    "otp-phone": CounterForm(s.OTPPhoneIn, maintenance.replace_otp_phone),
    "otp-reseed": CounterForm(s.OTPReseedIn, maintenance.reprovision_totp),
    "otp-unlock": CounterForm(s.OTPUnlockIn, maintenance.unlock_totp),
    "ukey-sale": CounterForm(
        s.UkeySaleIn,
        certificates.sell_ukey,
        fee=lambda body: FeeKind.for_ukey(body.ukey_generation),
        heading="web.counter.ukey_sale",
    ),
    "renewal": CounterForm(
        s.CertificateRenewalIn,
        certificates.renew_certificate,
        fee=lambda body: FeeKind.CERTIFICATE_RENEWAL,
        heading="web.counter.renewal",
    ),
    "revocation": CounterForm(s.CertificateRevocationIn, certificates.revoke_certificate),
    "card-loss": CounterForm(s.CardLossIn, accounts.report_loss),
    "card-replacement": CounterForm(s.CardReplacementIn, accounts.replace_card),
    "account-closure": CounterForm(s.AccountClosureIn, accounts.close_account),
    "status-flag": CounterForm(s.StatusFlagIn, accounts.change_status_flag),
}


@dataclass(frozen=True)
class Posted:
    """A counter form as posted: its name, what it is, and its fields as the model read them."""

    name: str
    form: CounterForm
    body: s.CounterIn


async def posted_form(request: Request, customer_number: str, form: str) -> Posted:
    """The counter form named in the path, read with its model (the customer number is the
    path's)."""
    found = FORMS.get(form)
    if found is None:
        raise HTTPException(status_code=404)
    return Posted(form, found, await read_form(request, found.model))


PostedDep = Annotated[Posted, Depends(posted_form)]


def _customer_url(customer_number: str, check_id: int | None) -> str:
    url = f"/teller/customers/{quote(customer_number, safe='')}"
    return f"{url}?check={check_id}" if check_id else url


def _again(
    request: Request, deps: Deps, actor: TellerActor, posted: Posted, *, refusal: Refusal, status: int
) -> HTMLResponse:
    """The customer's page with the refusal above the forms (the service changed nothing) and
    the form left open."""
    body = posted.body
    check = queries.identity_check_in_force(deps, actor, body.customer_number, body.identity_check_id)
    return customer_page(
        request,
        deps,
        actor,
        body.customer_number,
        check=check,
        status=status,
        counter_refusal=refusal,
        **counter_context(body.identity_check_id, posted.name),
    )


@router.post("/customers/{customer_number}/counter/{form}", response_class=HTMLResponse)
def counter_transaction(
    request: Request, actor: WebTeller, deps: DepsDep, _csrf: CSRFChecked, posted: PostedDep
) -> Response:
    """One counter transaction, as ``POST /api/v1/teller/transactions/...`` runs it."""
    return run(
        request,
        lambda: posted.form.handle(deps, actor, posted.body.command()),
        done=lambda receipt: _receipt_page(request, deps, actor, receipt.transaction_id, receipt, posted),
        again=partial(_again, request, deps, actor, posted),
    )


@router.post("/customers/{customer_number}/counter/{form}/quote", response_class=HTMLResponse)
def counter_quote(
    request: Request, actor: WebTeller, deps: DepsDep, _csrf: CSRFChecked, posted: PostedDep
) -> HTMLResponse:
    """Step 1 of a transaction with a fee: the fee in force (G1-G2) and the account it is
    debited from, to confirm; the confirmation posts the same fields to the transaction."""
    fee = posted.form.fee
    if fee is None:
        raise HTTPException(status_code=404)
    body = posted.body
    view = queries.teller_customer_view(deps, actor, body.customer_number)
    fields = {
        name: str(value.value if hasattr(value, "value") else value)
        for name, value in body
        if value is not None and name != "customer_number"
    }
    fee_number = fields.get("fee_account_number")
    return render(
        request,
        "counter_confirm.html",
        signed_in="teller",
        customer=view,
        action=posted.name,
        heading=posted.form.heading,
        fee_minor=ledger.quote_fee(deps, actor.institution_code, fee(body)),
        currency=deps.policies.policy_for(actor.institution_code).currency,
        fee_account=next((a for a in view.accounts if a.number == fee_number), None),
        fields=fields,
        back=_customer_url(body.customer_number, body.identity_check_id),
    )


# --- receipts -------------------------------------------------------------------------------


def _receipt_page(
    request: Request,
    deps: Deps,
    actor: TellerActor,
    transaction_id: int,
    receipt: Receipt | None,
    posted: Posted | None,
    check_id: int | None = None,
) -> HTMLResponse:
    printed = receipts.counter_receipt(deps, actor, transaction_id)
    locale = locale_of(request)

    def t(msgid: str) -> str:
        return catalogs().message(locale, msgid)

    if posted is not None:
        check_id = posted.body.identity_check_id
    return render(
        request,
        "counter_receipt.html",
        signed_in="teller",
        receipt=printed,
        transaction=transaction_name(t, printed.code),
        action=action_name(t, printed.action),
        otp=receipt.otp_enrolment if receipt else None,
        just_done=receipt is not None,
        back=_customer_url(printed.customer_number, check_id),
    )


@router.get("/receipts/{transaction_id}.pdf")
def receipt_pdf(request: Request, transaction_id: int, actor: WebTeller, deps: DepsDep) -> Response:
    """The printable receipt (E12), in the teller's language when the CJK font is installed."""
    printed = receipts.counter_receipt(deps, actor, transaction_id)
    body = render_receipt(printed, locale_of(request), cjk_font())
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{printed.transaction_id}.pdf"'},
    )


@router.get("/receipts/{transaction_id}", response_class=HTMLResponse)
def receipt_page(request: Request, transaction_id: int, actor: WebTeller, deps: DepsDep) -> HTMLResponse:
    """A counter transaction's receipt again (a teller of the same institution only)."""
    check_id = int_param(request, "check", None, 1, 2**62)
    return _receipt_page(request, deps, actor, transaction_id, None, None, check_id)
