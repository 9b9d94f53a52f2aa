"""Certificate-version maintenance at the counter with its fees (K1, G1-G2): selling a UKEY
(generation 1 or 2) and renewing its certificate. The fee is debited from the account the
customer chooses and credited to GL 5111201's sub-account in the same database transaction
as the counter transaction. Key generation on the token and certificate issuance join these
same transactions (PKI)."""

from __future__ import annotations

from netbank.domain.counter import TransactionCode
from netbank.domain.enrolment import Version
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.ledger import FeeKind
from netbank.services.common import Receipt, TellerActor, customers_account, journal
from netbank.services.enrolment import RegistrationCounter, with_registration_account
from netbank.services.ledger import charge_fee
from netbank.services.ports import Deps


def _certificate_contract(w: RegistrationCounter) -> None:
    if w.contract.version is not Version.CERTIFICATE:
        raise RuleViolation(Code.K1_NOT_CERTIFICATE_VERSION, version=w.contract.version.value)


def sell_ukey(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
    fee_account_number: str,
    generation: int,
    serial: str,
) -> Receipt:
    """Sell a UKEY of ``generation`` to a certificate-version customer (a first key or a
    replacement): 60 / 120 material cost (G1) less the policy's discount (G2)."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    if generation not in policy.ukey_generations:
        raise RuleViolation(Code.E4_UKEY_GENERATION_NOT_ALLOWED, generation=generation)
    with deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        _certificate_contract(w)
        fee_account = customers_account(uow, w.customer, fee_account_number)
        amount, _ = charge_fee(
            deps,
            uow,
            policy=policy,
            account=fee_account,
            kind=FeeKind.for_ukey(generation),
            now=now,
            reference=serial,
            contract_id=w.contract.id,
        )
        previous = w.contract.ukey_serial
        w.contract.ukey_serial = serial.strip().upper()
        w.contract.ukey_generation = generation
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.UKEY_SALE,
            action="sell",
            check=w.check,
            account=w.account,
            details={
                "ukey_serial": w.contract.ukey_serial,
                "generation": generation,
                "replaces": previous,
                "fee_minor": amount,
                "fee_account": fee_account.masked_number,
            },
            now=now,
        )
        uow.commit()
        return receipt


def renew_certificate(
    deps: Deps,
    actor: TellerActor,
    customer_number: str,
    identity_check_id: int,
    registration_account_number: str,
    fee_account_number: str,
) -> Receipt:
    """Renew the UKEY certificate: 20 certificate fee (G1) less the policy's discount (G2)."""
    policy = deps.policies.policy_for(actor.institution_code)
    now = deps.clock.now()
    with deps.uow() as uow:
        w = with_registration_account(
            uow, actor, customer_number, identity_check_id, registration_account_number, now
        )
        _certificate_contract(w)
        fee_account = customers_account(uow, w.customer, fee_account_number)
        amount, _ = charge_fee(
            deps,
            uow,
            policy=policy,
            account=fee_account,
            kind=FeeKind.CERTIFICATE_RENEWAL,
            now=now,
            reference=w.contract.ukey_serial or "",
            contract_id=w.contract.id,
        )
        receipt = journal(
            uow,
            actor,
            w.customer,
            code=TransactionCode.CERTIFICATE_RENEWAL,
            action="renew",
            check=w.check,
            account=w.account,
            details={
                "ukey_serial": w.contract.ukey_serial,
                "fee_minor": amount,
                "fee_account": fee_account.masked_number,
            },
            now=now,
        )
        uow.commit()
        return receipt
