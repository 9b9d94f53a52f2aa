"""Teller endpoints: counter transactions, in person (E12), within the teller's institution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from netbank.domain.ledger import FeeKind
from netbank.entrypoints.api import schemas as s
from netbank.entrypoints.api import statements as st
from netbank.entrypoints.api.deps import AuditorDep, DepsDep, TellerDep
from netbank.entrypoints.api.routers.customer import transfer_out
from netbank.entrypoints.api.routers.public import REFUSALS
from netbank.services import audit, customers, enrolment, ledger, queries, statements, ukey
from netbank.services.common import Receipt
from netbank.services.ports import UKEYAccess

router = APIRouter(
    prefix="/api/v1/teller", tags=["teller"], responses={**REFUSALS, 403: {"description": "Forbidden"}}
)


def _receipt(r: Receipt) -> s.ReceiptOut:
    return s.ReceiptOut.model_validate(r)


def _ukey(body: s.UKEYIn | None) -> UKEYAccess | None:
    return UKEYAccess(label=body.token_label, pin=body.pin) if body is not None else None


@router.get("/customers", response_model=list[s.CustomerSummaryOut])
def find_customers(
    actor: TellerDep, deps: DepsDep, name: Annotated[s.Name | None, Query()] = None
) -> list[s.CustomerSummaryOut]:
    return [s.CustomerSummaryOut.model_validate(c) for c in queries.find_customers(deps, actor, name=name)]


@router.get("/customers/{customer_number}", response_model=s.CustomerOut)
def customer(customer_number: s.CustomerNumber, actor: TellerDep, deps: DepsDep) -> s.CustomerOut:
    return s.CustomerOut.model_validate(queries.teller_customer_view(deps, actor, customer_number))


@router.get("/customers/{customer_number}/counter-transactions", response_model=list[s.CounterLineOut])
def history(customer_number: s.CustomerNumber, actor: TellerDep, deps: DepsDep) -> list[s.CounterLineOut]:
    return [s.CounterLineOut.model_validate(x) for x in queries.counter_history(deps, actor, customer_number)]


@router.post("/identity-checks", response_model=s.IdentityCheckOut, status_code=201)
def identity_check(body: s.IdentityCheckIn, actor: TellerDep, deps: DepsDep) -> s.IdentityCheckOut:
    """E12: record the in-person identity check that the counter transactions then cite."""
    check = customers.record_identity_check(
        deps, actor, body.customer_number, body.document_type, body.document_number
    )
    return s.IdentityCheckOut.model_validate(check)


def _medium(m: s.MediumIn) -> enrolment.MediumInput:
    return enrolment.MediumInput(
        otp_phone=m.otp_phone, ukey_serial=m.ukey_serial, ukey_generation=m.ukey_generation
    )


@router.post("/transactions/819101/add", response_model=s.ReceiptOut, status_code=201)
def contract_add(body: s.ContractAddIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819101 add: open the OTP or certificate version (E4, E5, E7, E11, E2, E3, E15)."""
    return _receipt(
        enrolment.add_contract(
            deps,
            actor,
            enrolment.ContractAdd(
                customer_number=body.customer_number,
                identity_check_id=body.identity_check_id,
                version=body.version,
                registration_account_number=body.registration_account_number,
                login_password=body.login_password,
                medium=_medium(body.medium),
            ),
        )
    )


@router.post("/transactions/819101/modify", response_model=s.ReceiptOut)
def contract_modify(body: s.ContractModifyIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819101 modify: upgrade or change version / medium, with the registration account (E7, E8)."""
    return _receipt(
        enrolment.modify_contract(
            deps,
            actor,
            enrolment.ContractModify(
                customer_number=body.customer_number,
                identity_check_id=body.identity_check_id,
                registration_account_number=body.registration_account_number,
                version=body.version,
                medium=_medium(body.medium),
            ),
        )
    )


@router.post("/transactions/819101/delete", response_model=s.ReceiptOut)
def contract_delete(body: s.CounterIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819101 delete: end the contract and all its links (E14); no account needed (E7)."""
    return _receipt(enrolment.delete_contract(deps, actor, body.customer_number, body.identity_check_id))


@router.post("/transactions/819102", response_model=s.ReceiptOut, status_code=201)
def add_linked(body: s.AccountCounterIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819102: add a linked account (E9, E10, E11)."""
    return _receipt(
        enrolment.add_linked_account(
            deps, actor, body.customer_number, body.identity_check_id, body.account_number
        )
    )


@router.post("/transactions/819103", response_model=s.ReceiptOut)
def remove_linked(body: s.AccountCounterIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819103: remove a linked account (E9); no status flag is checked (E11)."""
    return _receipt(
        enrolment.remove_linked_account(
            deps, actor, body.customer_number, body.identity_check_id, body.account_number
        )
    )


@router.post("/transactions/password-reset", response_model=s.ReceiptOut)
def password_reset(body: s.PasswordResetIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """E13: reset the login password and lift the lock-out (E7, E11)."""
    return _receipt(
        enrolment.reset_login_password(
            deps,
            actor,
            body.customer_number,
            body.identity_check_id,
            body.registration_account_number,
            body.new_password,
        )
    )


@router.post("/transactions/otp-phone", response_model=s.ReceiptOut)
def otp_phone(body: s.OTPPhoneIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Replace the OTP phone number (E15); the registration account is presented (E7, E11)."""
    return _receipt(
        enrolment.replace_otp_phone(
            deps,
            actor,
            body.customer_number,
            body.identity_check_id,
            body.registration_account_number,
            body.otp_phone,
        )
    )


@router.post("/transactions/otp-reseed", response_model=s.ReceiptOut)
def otp_reseed(body: s.RegistrationCounterIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Re-provision the TOTP seed: the receipt carries the new otpauth URI and QR, once."""
    return _receipt(
        enrolment.reprovision_totp(
            deps, actor, body.customer_number, body.identity_check_id, body.registration_account_number
        )
    )


@router.post("/transactions/otp-unlock", response_model=s.ReceiptOut)
def otp_unlock(body: s.RegistrationCounterIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Lift the TOTP lock-out after too many wrong codes."""
    return _receipt(
        enrolment.unlock_totp(
            deps, actor, body.customer_number, body.identity_check_id, body.registration_account_number
        )
    )


@router.get("/fees/{kind}", response_model=int)
def fee_quote(kind: FeeKind, actor: TellerDep, deps: DepsDep) -> int:
    """G1-G2: the fee in force (minor units), to show before the teller confirms."""
    return ledger.quote_fee(deps, actor.institution_code, kind)


@router.post("/transactions/ukey-sale", response_model=s.ReceiptOut)
def ukey_sale(body: s.UkeySaleIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Sell a UKEY (generation 1 or 2) to a certificate-version customer; the material-cost fee
    is posted to GL 5111201.01 in the same transaction (G1)."""
    return _receipt(
        ukey.sell_ukey(
            deps,
            actor,
            body.customer_number,
            body.identity_check_id,
            body.registration_account_number,
            body.fee_account_number,
            body.ukey_generation,
            body.ukey_serial,
            ukey=_ukey(body.ukey),
        )
    )


@router.post("/transactions/certificate-renewal", response_model=s.ReceiptOut)
def certificate_renewal(body: s.CertificateRenewalIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Renew the UKEY certificate; the certificate fee is posted to GL 5111201.02 (G1). With
    the UKEY presented, a new key pair and certificate are put on it (K1)."""
    return _receipt(
        ukey.renew_certificate(
            deps,
            actor,
            body.customer_number,
            body.identity_check_id,
            body.registration_account_number,
            body.fee_account_number,
            ukey=_ukey(body.ukey),
        )
    )


@router.post("/transfers/{transfer_id}/reversal", response_model=s.TransferOut, tags=["ledger"])
def reversal(transfer_id: s.RowId, body: s.ReversalIn, actor: TellerDep, deps: DepsDep) -> s.TransferOut:
    """Correct a transfer by a reversing posting (the original stays as it was)."""
    return transfer_out(deps, ledger.reverse_transfer(deps, actor, transfer_id, body.reason))


@router.get("/accounts/{account_number}/postings", response_model=s.StatementPageOut, tags=["ledger"])
def account_postings(
    account_number: s.AccountNumber,
    actor: TellerDep,
    deps: DepsDep,
    from_date: st.FromDate = None,
    to_date: st.ToDate = None,
    kind: st.Kinds = None,
    cursor: st.Cursor = None,
    limit: st.Limit = 50,
) -> s.StatementPageOut:
    """The postings of an account of your institution, newest first, with the balance after each."""
    filt = st.statement_filter(None, from_date, to_date, kind)
    return st.page_out(
        statements.account_postings(deps, actor, account_number, filt, cursor=cursor, limit=limit)
    )


@router.get("/ledger/verify", response_model=s.LedgerReportOut, tags=["audit"])
def ledger_verify(actor: AuditorDep, deps: DepsDep) -> s.LedgerReportOut:
    """Every posting balances; every stored balance equals the sum of its entries."""
    r = ledger.verify_ledger(deps)
    return s.LedgerReportOut(
        ok=r.ok,
        postings=r.postings,
        entries=r.entries,
        unbalanced=[(u.posting_id, u.currency, u.total_minor) for u in r.unbalanced],
        short_postings=r.short_postings,
        account_mismatches=[(m.account, m.stored_minor, m.summed_minor) for m in r.account_mismatches],
        gl_mismatches=[(m.account, m.stored_minor, m.summed_minor) for m in r.gl_mismatches],
    )


@router.post("/transactions/card-loss", response_model=s.ReceiptOut)
def card_loss(body: s.CardLossIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    return _receipt(
        customers.report_loss(
            deps, actor, body.customer_number, body.identity_check_id, body.account_number, body.kind
        )
    )


@router.post("/transactions/card-replacement", response_model=s.ReceiptOut)
def card_replacement(body: s.AccountCounterIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """E14: same-number replacement after a loss; links are kept."""
    return _receipt(
        customers.replace_card(deps, actor, body.customer_number, body.identity_check_id, body.account_number)
    )


@router.post("/transactions/account-closure", response_model=s.ReceiptOut)
def account_closure(body: s.AccountCounterIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """E14: close an account; a registration account needs the contract ended first."""
    return _receipt(
        customers.close_account(
            deps, actor, body.customer_number, body.identity_check_id, body.account_number
        )
    )


@router.post("/transactions/status-flags", response_model=s.ReceiptOut)
def status_flags(body: s.StatusFlagIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """C3: set or clear an account status flag."""
    return _receipt(
        customers.change_status_flag(
            deps,
            actor,
            body.account_number,
            body.flag,
            set_flag=body.action == "set",
            identity_check_id=body.identity_check_id,
        )
    )


@router.get("/audit/verify", response_model=s.AuditReportOut, tags=["audit"])
def audit_verify(actor: AuditorDep, deps: DepsDep) -> s.AuditReportOut:
    report = audit.verify_audit(deps)
    return s.AuditReportOut(
        ok=report.ok, chains=report.chains, breaks=[s.ChainBreakOut.model_validate(b) for b in report.breaks]
    )
