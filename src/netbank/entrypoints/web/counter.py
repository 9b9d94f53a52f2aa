"""The teller console's counter transactions (E7-E15, K1, G1), on the customer's page once the
in-person identity check is recorded (E12), and their receipts (a page and a printable PDF).

Every form posts the identity check's number with its fields; the route calls the service
function the matching route of ``api/routers/teller.py`` (or ``pki.py``) calls and shows the
receipt, or the customer's page again with the refusal above the forms. The UKEY sale and the
certificate renewal go through a confirmation page that shows the G1 fee (from the fee engine,
``ledger.quote_fee``) and the account it will be debited from; only the confirmation books."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from netbank.adapters.i18n import catalogs
from netbank.domain.certificate import RevocationReason
from netbank.domain.enrolment import Version
from netbank.domain.errors import DomainError
from netbank.domain.ledger import FeeKind
from netbank.entrypoints.api.deps import DepsDep
from netbank.entrypoints.api.errors import status_of
from netbank.entrypoints.web.common import CSRFChecked, PageRoute, WebTeller, locale_of, render
from netbank.entrypoints.web.counter_forms import counter_context
from netbank.entrypoints.web.customer import int_param
from netbank.entrypoints.web.receipt_pdf import (
    FLAG_WORDS,
    action_name,
    cjk_font,
    render_receipt,
    transaction_name,
)
from netbank.entrypoints.web.step_up import refusal_of
from netbank.entrypoints.web.teller import _customer_page
from netbank.services import customers, enrolment, ledger, queries, receipts, ukey
from netbank.services.common import Receipt, TellerActor
from netbank.services.ports import Deps, UKEYAccess

router = APIRouter(prefix="/teller", route_class=PageRoute, include_in_schema=False)

CustomerNumber = Annotated[str, Form(max_length=32)]
CheckId = Annotated[int, Form(ge=1, le=2**62)]
AccountField = Annotated[str, Form(max_length=32)]
#: The UKEY presented at the confirmation (as the API's ``UKEYIn``); both blank = none.
TokenLabel = Annotated[str, Form(pattern=r"^[A-Za-z0-9_.-]{0,32}$")]
TokenPin = Annotated[str, Form(max_length=64)]


def _customer_url(customer_number: str, check_id: int) -> str:
    return f"/teller/customers/{quote(customer_number, safe='')}?check={check_id}"


def _counter(
    request: Request,
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    check_id: int,
    form: str,
    run: Callable[[], Receipt],
) -> HTMLResponse:
    """Run one counter transaction: its receipt, or the customer's page with the refusal (the
    service changed nothing) and the form left open."""
    number = customer_number[:32]
    try:
        receipt = run()
    except DomainError as exc:
        check = queries.identity_check_in_force(deps, actor, number, check_id)
        return _customer_page(
            request,
            deps,
            actor,
            number,
            check=check,
            status=status_of(exc),
            counter_refusal=refusal_of(request, exc),
            **counter_context(check_id, form),
        )
    return _receipt_page(request, deps, actor, receipt.transaction_id, receipt, check_id)


def _receipt_page(
    request: Request,
    deps: Deps,
    actor: TellerActor,
    transaction_id: int,
    receipt: Receipt | None,
    check_id: int | None,
) -> HTMLResponse:
    printed = receipts.counter_receipt(deps, actor, transaction_id)
    locale = locale_of(request)

    def t(msgid: str) -> str:
        return catalogs().message(locale, msgid)

    return render(
        request,
        "counter_receipt.html",
        signed_in="teller",
        receipt=printed,
        transaction=transaction_name(t, printed.code),
        action=action_name(t, printed.action),
        otp=receipt.otp_enrolment if receipt else None,
        just_done=receipt is not None,
        back=_customer_url(printed.customer_number, check_id)
        if check_id
        else f"/teller/customers/{quote(printed.customer_number, safe='')}",
    )


# --- 819101 add / modify / delete -----------------------------------------------------------


def _medium(otp_phone: str, ukey_serial: str, ukey_generation: str) -> enrolment.MediumInput:
    generation = int(ukey_generation) if ukey_generation in {"1", "2"} else None
    return enrolment.MediumInput(
        otp_phone=otp_phone.strip() or None,
        ukey_serial=ukey_serial.strip() or None,
        ukey_generation=generation,
    )


@router.post("/customers/{customer_number}/counter/contract-add", response_class=HTMLResponse)
def contract_add(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    version: Annotated[Version, Form()],
    registration_account: AccountField,
    login_password: Annotated[str, Form(max_length=128)],
    otp_phone: Annotated[str, Form(max_length=32)] = "",
    ukey_serial: Annotated[str, Form(max_length=32)] = "",
    ukey_generation: Annotated[str, Form(max_length=1)] = "",
) -> HTMLResponse:
    """819101 add (``POST /api/v1/teller/transactions/819101/add``): E2-E5, E7, E11, E15."""
    command = enrolment.ContractAdd(
        customer_number=customer_number[:32],
        identity_check_id=identity_check_id,
        version=version,
        registration_account_number=registration_account.strip(),
        login_password=login_password,
        medium=_medium(otp_phone, ukey_serial, ukey_generation),
    )
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "contract-add",
        lambda: enrolment.add_contract(deps, actor, command),
    )


@router.post("/customers/{customer_number}/counter/contract-modify", response_class=HTMLResponse)
def contract_modify(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    version: Annotated[Version, Form()],
    registration_account: AccountField,
    otp_phone: Annotated[str, Form(max_length=32)] = "",
    ukey_serial: Annotated[str, Form(max_length=32)] = "",
    ukey_generation: Annotated[str, Form(max_length=1)] = "",
) -> HTMLResponse:
    """819101 modify: change version or medium, with the registration account (E7, E8)."""
    command = enrolment.ContractModify(
        customer_number=customer_number[:32],
        identity_check_id=identity_check_id,
        registration_account_number=registration_account.strip(),
        version=version,
        medium=_medium(otp_phone, ukey_serial, ukey_generation),
    )
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "contract-modify",
        lambda: enrolment.modify_contract(deps, actor, command),
    )


@router.post("/customers/{customer_number}/counter/contract-delete", response_class=HTMLResponse)
def contract_delete(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
) -> HTMLResponse:
    """819101 delete: ends the contract and every link (E14); no account needed (E7)."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "contract-delete",
        lambda: enrolment.delete_contract(deps, actor, customer_number[:32], identity_check_id),
    )


# --- 819102 / 819103 ------------------------------------------------------------------------


@router.post("/customers/{customer_number}/counter/linked-add", response_class=HTMLResponse)
def linked_add(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    account: AccountField,
) -> HTMLResponse:
    """819102: add a linked account (E9, E10, E11)."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "linked-add",
        lambda: enrolment.add_linked_account(
            deps, actor, customer_number[:32], identity_check_id, account.strip()
        ),
    )


@router.post("/customers/{customer_number}/counter/linked-remove", response_class=HTMLResponse)
def linked_remove(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    account: AccountField,
) -> HTMLResponse:
    """819103: remove a linked account (E9); no status flag is checked (E11)."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "linked-remove",
        lambda: enrolment.remove_linked_account(
            deps, actor, customer_number[:32], identity_check_id, account.strip()
        ),
    )


# --- login password and OTP maintenance -----------------------------------------------------


@router.post("/customers/{customer_number}/counter/password-reset", response_class=HTMLResponse)
def password_reset(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
    new_password: Annotated[str, Form(max_length=128)],
) -> HTMLResponse:
    """E13: reset the login password and lift its lock-out (E7, E11)."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "password-reset",
        lambda: enrolment.reset_login_password(
            deps, actor, customer_number[:32], identity_check_id, registration_account.strip(), new_password
        ),
    )


@router.post("/customers/{customer_number}/counter/otp-phone", response_class=HTMLResponse)
def otp_phone(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
    phone: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Replace the OTP phone (E15), with the registration account (E7, E11)."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "otp-phone",
        lambda: enrolment.replace_otp_phone(
            deps, actor, customer_number[:32], identity_check_id, registration_account.strip(), phone.strip()
        ),
    )


@router.post("/customers/{customer_number}/counter/otp-reseed", response_class=HTMLResponse)
def otp_reseed(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
) -> HTMLResponse:
    """K2: a new TOTP seed; the receipt page shows its QR code, this once."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "otp-reseed",
        lambda: enrolment.reprovision_totp(
            deps, actor, customer_number[:32], identity_check_id, registration_account.strip()
        ),
    )


@router.post("/customers/{customer_number}/counter/otp-unlock", response_class=HTMLResponse)
def otp_unlock(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
) -> HTMLResponse:
    """K2: lift the TOTP lock-out after too many wrong codes."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "otp-unlock",
        lambda: enrolment.unlock_totp(
            deps, actor, customer_number[:32], identity_check_id, registration_account.strip()
        ),
    )


# --- K1 certificate maintenance with the G1 fee ---------------------------------------------


def _confirm_page(
    request: Request,
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    *,
    action: str,
    kind: FeeKind,
    fields: dict[str, str],
) -> HTMLResponse:
    """The confirmation step: the fee in force (G1-G2) and the account it is debited from."""
    number = customer_number[:32]
    view = queries.teller_customer_view(deps, actor, number)
    fee_account = next((a for a in view.accounts if a.number == fields["fee_account"]), None)
    return render(
        request,
        "counter_confirm.html",
        signed_in="teller",
        customer=view,
        action=action,
        heading="web.counter.ukey_sale" if kind is not FeeKind.CERTIFICATE_RENEWAL else "web.counter.renewal",
        fee_minor=ledger.quote_fee(deps, actor.institution_code, kind),
        currency=deps.policies.policy_for(actor.institution_code).currency,
        fee_account=fee_account,
        fields=fields,
        back=_customer_url(number, int(fields["identity_check_id"])),
    )


def _ukey_access(token_label: str, pin: str) -> UKEYAccess | None:
    return UKEYAccess(label=token_label.strip(), pin=pin) if token_label.strip() else None


@router.post("/customers/{customer_number}/counter/ukey-sale/quote", response_class=HTMLResponse)
def ukey_sale_quote(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
    fee_account: AccountField,
    ukey_generation: Annotated[int, Form(ge=1, le=2)],
    ukey_serial: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Step 1 of the UKEY sale: the material-cost fee of that generation (G1), to confirm."""
    return _confirm_page(
        request,
        deps,
        actor,
        customer_number,
        action="ukey-sale",
        kind=FeeKind.for_ukey(ukey_generation),
        fields={
            "identity_check_id": str(identity_check_id),
            "registration_account": registration_account.strip(),
            "fee_account": fee_account.strip(),
            "ukey_generation": str(ukey_generation),
            "ukey_serial": ukey_serial.strip(),
        },
    )


@router.post("/customers/{customer_number}/counter/ukey-sale", response_class=HTMLResponse)
def ukey_sale(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
    fee_account: AccountField,
    ukey_generation: Annotated[int, Form(ge=1, le=2)],
    ukey_serial: Annotated[str, Form(max_length=32)],
    token_label: TokenLabel = "",
    token_pin: TokenPin = "",
) -> HTMLResponse:
    """Step 2 (``POST /api/v1/teller/transactions/ukey-sale``): the fee is posted to GL
    5111201.01 (G1); with the UKEY presented its key pair and certificate are made (K1)."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "ukey-sale",
        lambda: ukey.sell_ukey(
            deps,
            actor,
            customer_number[:32],
            identity_check_id,
            registration_account.strip(),
            fee_account.strip(),
            ukey_generation,
            ukey_serial,
            ukey=_ukey_access(token_label, token_pin),
        ),
    )


@router.post("/customers/{customer_number}/counter/renewal/quote", response_class=HTMLResponse)
def renewal_quote(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
    fee_account: AccountField,
) -> HTMLResponse:
    """Step 1 of the certificate renewal: the certificate fee (G1), to confirm."""
    return _confirm_page(
        request,
        deps,
        actor,
        customer_number,
        action="renewal",
        kind=FeeKind.CERTIFICATE_RENEWAL,
        fields={
            "identity_check_id": str(identity_check_id),
            "registration_account": registration_account.strip(),
            "fee_account": fee_account.strip(),
        },
    )


@router.post("/customers/{customer_number}/counter/renewal", response_class=HTMLResponse)
def renewal(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
    fee_account: AccountField,
    token_label: TokenLabel = "",
    token_pin: TokenPin = "",
) -> HTMLResponse:
    """Step 2 (``POST /api/v1/teller/transactions/certificate-renewal``): GL 5111201.02 (G1)."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "renewal",
        lambda: ukey.renew_certificate(
            deps,
            actor,
            customer_number[:32],
            identity_check_id,
            registration_account.strip(),
            fee_account.strip(),
            ukey=_ukey_access(token_label, token_pin),
        ),
    )


@router.post("/customers/{customer_number}/counter/revocation", response_class=HTMLResponse)
def revocation(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    registration_account: AccountField,
    reason: Annotated[RevocationReason, Form()],
) -> HTMLResponse:
    """K1 (``POST /api/v1/teller/transactions/certificate-revocation``): no fee."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "revocation",
        lambda: ukey.revoke_certificate(
            deps, actor, customer_number[:32], identity_check_id, registration_account.strip(), reason
        ),
    )


# --- cards and status flags -----------------------------------------------------------------


@router.post("/customers/{customer_number}/counter/card-loss", response_class=HTMLResponse)
def card_loss(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    account: AccountField,
    kind: Annotated[str, Form(pattern="^(verbal|written|pin)$")],
) -> HTMLResponse:
    """C3: a verbal, written or PIN loss report."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "card-loss",
        lambda: customers.report_loss(
            deps, actor, customer_number[:32], identity_check_id, account.strip(), kind
        ),
    )


@router.post("/customers/{customer_number}/counter/card-replacement", response_class=HTMLResponse)
def card_replacement(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    account: AccountField,
) -> HTMLResponse:
    """E14: same-number replacement after a loss; links are kept."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "card-replacement",
        lambda: customers.replace_card(deps, actor, customer_number[:32], identity_check_id, account.strip()),
    )


@router.post("/customers/{customer_number}/counter/status-flag", response_class=HTMLResponse)
def status_flag(
    request: Request,
    customer_number: str,
    actor: WebTeller,
    deps: DepsDep,
    _csrf: CSRFChecked,
    identity_check_id: CheckId,
    account: AccountField,
    flag: Annotated[str, Form(pattern="^(" + "|".join(FLAG_WORDS) + ")$")],
    change: Annotated[str, Form(pattern="^(set|clear)$")],
) -> HTMLResponse:
    """C3: set or clear a status flag of one of this customer's accounts."""
    return _counter(
        request,
        deps,
        actor,
        customer_number,
        identity_check_id,
        "status-flag",
        # the identity check is this customer's: the service refuses an account of anyone else
        lambda: customers.change_status_flag(
            deps, actor, account.strip(), flag, set_flag=change == "set", identity_check_id=identity_check_id
        ),
    )


# --- receipts -------------------------------------------------------------------------------


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
    return _receipt_page(request, deps, actor, transaction_id, None, check_id)
