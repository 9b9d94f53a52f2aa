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
from netbank.services import audit, ledger, payments, queries, statements
from netbank.services.common import Receipt
from netbank.services.counter import accounts, certificates, contract, maintenance

router = APIRouter(
    prefix="/api/v1/teller", tags=["teller"], responses={**REFUSALS, 403: {"description": "Forbidden"}}
)


def _receipt(r: Receipt) -> s.ReceiptOut:
    return s.ReceiptOut.model_validate(r)


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
    return s.IdentityCheckOut.model_validate(accounts.record_identity_check(deps, actor, body.command()))


@router.post("/transactions/819101/add", response_model=s.ReceiptOut, status_code=201)
def contract_add(body: s.ContractAddIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819101 add: open the OTP or certificate version (E4, E5, E7, E11, E2, E3, E15)."""
    return _receipt(contract.add_contract(deps, actor, body.command()))


@router.post("/transactions/819101/modify", response_model=s.ReceiptOut)
def contract_modify(body: s.ContractModifyIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819101 modify: upgrade or change version / medium, with the registration account (E7, E8)."""
    return _receipt(contract.modify_contract(deps, actor, body.command()))


@router.post("/transactions/819101/delete", response_model=s.ReceiptOut)
def contract_delete(body: s.ContractDeleteIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819101 delete: end the contract and all its links (E14); no account needed (E7)."""
    return _receipt(contract.delete_contract(deps, actor, body.command()))


@router.post("/transactions/819102", response_model=s.ReceiptOut, status_code=201)
def add_linked(body: s.LinkedAccountAddIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819102: add a linked account (E9, E10, E11)."""
    return _receipt(contract.add_linked_account(deps, actor, body.command()))


@router.post("/transactions/819103", response_model=s.ReceiptOut)
def remove_linked(body: s.LinkedAccountRemoveIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """819103: remove a linked account (E9); no status flag is checked (E11)."""
    return _receipt(contract.remove_linked_account(deps, actor, body.command()))


@router.post("/transactions/password-reset", response_model=s.ReceiptOut)
def password_reset(body: s.PasswordResetIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """E13: reset the login password and lift the lock-out (E7, E11)."""
    return _receipt(maintenance.reset_login_password(deps, actor, body.command()))


@router.post("/transactions/otp-phone", response_model=s.ReceiptOut)
def otp_phone(body: s.OTPPhoneIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Replace the OTP phone number (E15); the registration account is presented (E7, E11)."""
    return _receipt(maintenance.replace_otp_phone(deps, actor, body.command()))


@router.post("/transactions/otp-reseed", response_model=s.ReceiptOut)
def otp_reseed(body: s.OTPReseedIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Re-provision the TOTP seed: the receipt carries the new otpauth URI and QR, once."""
    return _receipt(maintenance.reprovision_totp(deps, actor, body.command()))


@router.post("/transactions/otp-unlock", response_model=s.ReceiptOut)
def otp_unlock(body: s.OTPUnlockIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Lift the TOTP lock-out after too many wrong codes."""
    return _receipt(maintenance.unlock_totp(deps, actor, body.command()))


@router.get("/fees/{kind}", response_model=int)
def fee_quote(kind: FeeKind, actor: TellerDep, deps: DepsDep) -> int:
    """G1-G2: the fee in force (minor units), to show before the teller confirms."""
    return ledger.quote_fee(deps, actor.institution_code, kind)


@router.post("/transactions/ukey-sale", response_model=s.ReceiptOut)
def ukey_sale(body: s.UkeySaleIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Sell a UKEY (generation 1 or 2) to a certificate-version customer; the material-cost fee
    is posted to GL 5111201.01 in the same transaction (G1)."""
    return _receipt(certificates.sell_ukey(deps, actor, body.command()))


@router.post("/transactions/ukey-replacement", response_model=s.ReceiptOut)
def ukey_replacement(body: s.UKEYReplacementIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """K1 + G1: replace a lost UKEY: material-cost fee, new key pair and certificate on the
    new UKEY, the old certificate revoked."""
    return _receipt(certificates.sell_ukey(deps, actor, body.command()))


@router.post("/transactions/certificate-renewal", response_model=s.ReceiptOut)
def certificate_renewal(body: s.CertificateRenewalIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """Renew the UKEY certificate; the certificate fee is posted to GL 5111201.02 (G1). With
    the UKEY presented, a new key pair and certificate are put on it (K1)."""
    return _receipt(certificates.renew_certificate(deps, actor, body.command()))


@router.post("/transactions/certificate-revocation", response_model=s.ReceiptOut)
def certificate_revocation(body: s.CertificateRevocationIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """K1: revoke the customer's UKEY certificate; the CRL is re-published at once."""
    return _receipt(certificates.revoke_certificate(deps, actor, body.command()))


@router.post("/transfers/{transfer_id}/reversal", response_model=s.TransferOut, tags=["ledger"])
def reversal(transfer_id: s.RowId, body: s.ReversalIn, actor: TellerDep, deps: DepsDep) -> s.TransferOut:
    """Correct a transfer by a reversing posting (the original stays as it was)."""
    return transfer_out(deps, payments.reverse_transfer(deps, actor, body.command(transfer_id=transfer_id)))


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
    """C3: a verbal, written or PIN loss report."""
    return _receipt(accounts.report_loss(deps, actor, body.command()))


@router.post("/transactions/card-replacement", response_model=s.ReceiptOut)
def card_replacement(body: s.CardReplacementIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """E14: same-number replacement after a loss; links are kept."""
    return _receipt(accounts.replace_card(deps, actor, body.command()))


@router.post("/transactions/account-closure", response_model=s.ReceiptOut)
def account_closure(body: s.AccountClosureIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """E14: close an account; a registration account needs the contract ended first."""
    return _receipt(accounts.close_account(deps, actor, body.command()))


@router.post("/transactions/status-flags", response_model=s.ReceiptOut)
def status_flags(body: s.StatusFlagIn, actor: TellerDep, deps: DepsDep) -> s.ReceiptOut:
    """C3: set or clear an account status flag."""
    return _receipt(accounts.change_status_flag(deps, actor, body.command()))


@router.get("/audit/verify", response_model=s.AuditReportOut, tags=["audit"])
def audit_verify(actor: AuditorDep, deps: DepsDep) -> s.AuditReportOut:
    report = audit.verify_audit(deps)
    return s.AuditReportOut(
        ok=report.ok, chains=report.chains, breaks=[s.ChainBreakOut.model_validate(b) for b in report.breaks]
    )
