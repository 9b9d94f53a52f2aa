"""A bank in a fake store, built without the API: institutions with branches and tellers,
customers with their identity documents and accounts (through the back office's own use
cases, so their rules and the opening deposits' postings hold), enrolled contracts with their
links and TOTP seed, identity checks, and the actors a handler takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import count
from typing import TypeVar, cast

import pytest

from netbank.adapters.clock import SettableClock
from netbank.adapters.crypto import Argon2Hasher
from netbank.demo import cn_id, kr_rrn, years_ago
from netbank.domain.account import Account, AccountKind
from netbank.domain.customer import Customer, CustomerKind
from netbank.domain.enrolment import AccountLink, Channel, Contract, LinkOrigin, Version
from netbank.domain.errors import Code, DomainError
from netbank.domain.identity import DocumentType
from netbank.domain.institution import Branch, Institution, InstitutionKind, StaffRole, Teller
from netbank.domain.otp import TOTPCredential
from netbank.domain.policy import PasswordPolicy
from netbank.domain.session import AuthLevel, PrincipalKind, Session
from netbank.services import customers
from netbank.services.common import CustomerActor, Operator, TellerActor, id_of
from netbank.services.counter import accounts
from netbank.services.ledger import ensure_chart
from netbank.services.ports import Deps
from netbank.services.strong_auth import seed_purpose, totp_parameters
from tests.builders import LOGIN_PASSWORD, STAFF_PASSWORD
from tests.fakes.deps import fake_deps
from tests.fakes.store import FakeStore, Snapshot
from tests.fakes.uow import FakeUnitOfWorkFactory

T = TypeVar("T")
OPERATOR = Operator("fake")
#: Each institution's branches and staff, as ``tests.builders.setup_institutions`` makes them.
BRANCHES = (("B1", "Branch one"), ("B2", "Branch two"))
STAFF = (
    ("B1", "T001", StaffRole.TELLER),
    ("B2", "T002", StaffRole.TELLER),
    ("B1", "U001", StaffRole.AUDITOR),
)
PHONES = {"edb": "13912345678", "kb": "01012345678"}
_seq = count(1)


@cache
def _digest(secret: str) -> str:
    """argon2 at the cheapest cost, once per process (any hasher verifies it)."""
    return Argon2Hasher().hash(secret, PasswordPolicy(argon2_time_cost=1, argon2_memory_kib=256))


@dataclass(frozen=True)
class Holder:
    """A customer in the store and the identity document they carry (in clear: a teller's
    identity check types it, E12)."""

    customer: Customer
    institution: str
    document_type: DocumentType
    document_number: str

    @property
    def id(self) -> int:
        return id_of(self.customer)

    @property
    def number(self) -> str:
        return self.customer.customer_number


@dataclass(frozen=True)
class Enrolled:
    """An enrolled customer: who, their registration card and their contract."""

    holder: Holder
    card: Account
    contract: Contract


class FakeBank:
    """Builders over ``deps`` (its ``uow`` a :class:`FakeUnitOfWorkFactory`); every builder runs
    in a unit of work of its own and commits."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @classmethod
    def open(cls, *codes: str, deps: Deps | None = None) -> FakeBank:
        """A bank with the institutions ``codes`` (default edb and kb) set up."""
        bank = cls(deps or fake_deps())
        for code in codes or ("edb", "kb"):
            bank.institution(code)
        return bank

    # --- the store -------------------------------------------------------------------------
    @property
    def factory(self) -> FakeUnitOfWorkFactory:
        return cast(FakeUnitOfWorkFactory, self.deps.uow)

    @property
    def store(self) -> FakeStore:
        """What is committed now (read it; never change it)."""
        return self.factory.committed

    @property
    def clock(self) -> SettableClock:
        return cast(SettableClock, self.deps.clock)

    def snapshot(self) -> Snapshot:
        return self.store.snapshot()

    def refuses(self, code: Code, call: Callable[[], object]) -> DomainError:
        """``call`` is refused with ``code`` and changes nothing: no commit, the store as it was
        (the fake's ``Api.refused``)."""
        before, commits = self.snapshot(), self.factory.commits
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code is code, repr(refused.value)
        assert self.factory.commits == commits, "a refused use case committed"
        assert self.snapshot() == before, "a refused use case changed the store"
        return refused.value

    def now_of(self, row: T) -> T:
        """The committed state of ``row`` (an object a builder or a use case handed back)."""
        found = self.store.get(type(row), row.id)  # type: ignore[attr-defined]
        if found is None:
            raise LookupError(f"{type(row).__name__} {row.id} is not committed")  # type: ignore[attr-defined]
        return found

    # --- institutions and staff ------------------------------------------------------------
    def institution(self, code: str) -> Institution:
        """The institution of policy ``code`` with its chart of accounts, branches B1 and B2,
        tellers T001 (B1) and T002 (B2) and auditor U001."""
        policy = self.deps.policies.policy_for(code)
        with self.deps.uow() as uow:
            inst = Institution(
                code, policy.name, InstitutionKind(policy.kind), policy.currency, policy.timezone
            )
            uow.institutions.add(inst)
            ensure_chart(uow, inst)
            for branch_code, name in BRANCHES:
                uow.institutions.add_branch(Branch(id_of(inst), branch_code, name))
            for branch_code, number, role in STAFF:
                branch = uow.institutions.get_branch_by_code(id_of(inst), branch_code)
                teller = Teller(id_of(inst), id_of(branch), number, number, _digest(STAFF_PASSWORD), role)
                uow.tellers.add(teller)
            uow.commit()
            return inst

    def teller(self, code: str = "edb", number: str = "T001", *, branch: str | None = None) -> TellerActor:
        """A signed-in teller (with a session in the store), at ``branch`` (default: their own)."""
        now = self.clock.now()
        with self.deps.uow() as uow:
            inst = uow.institutions.get_by_code(code)
            teller = uow.tellers.get_by_number(id_of(inst), number)
            if inst is None or teller is None:
                raise LookupError(f"no teller {code}/{number}")
            at = uow.institutions.get_branch_by_code(id_of(inst), branch) if branch else None
            at = at or uow.institutions.get_branch(teller.branch_id)
            session = Session(
                "",
                PrincipalKind.TELLER,
                id_of(inst),
                now,
                now + timedelta(hours=4),
                now,
                AuthLevel.PASSWORD,
                teller_id=id_of(teller),
                branch_id=id_of(at),
            )
            uow.sessions.add(session)
            uow.commit()
            return TellerActor(
                id_of(session),
                id_of(teller),
                number,
                id_of(inst),
                code,
                id_of(at),
                at.code if at else "",
                teller.role,
            )

    # --- customers and accounts ------------------------------------------------------------
    def customer(
        self,
        code: str = "edb",
        *,
        age_years: int = 30,
        own_income: bool = False,
        doc_expires: date | None = None,
        kind: CustomerKind = CustomerKind.PERSONAL,
        mobile: str | None = None,
    ) -> Holder:
        """A core customer registered by the back office (C1), their document valid ten years
        unless ``doc_expires`` says otherwise."""
        n = next(_seq)
        policy = self.deps.policies.policy_for(code)
        today = self.deps.today_in(policy.timezone)
        birth = years_ago(today, age_years, 10)
        if policy.phone_region == "CN":
            doc_type, doc_number = DocumentType.CN_RESIDENT_ID, cn_id(birth, n % 1000)
        else:
            doc_type, doc_number = DocumentType.KR_RESIDENT_REGISTRATION, kr_rrn(birth, True, f"{n:06d}")
        command = customers.RegisterCustomer(
            institution_code=code,
            customer_number=f"C{n:06d}",
            name="测试客户",
            birth_date=birth,
            mobile=mobile or PHONES.get(code, PHONES["edb"]),
            document_type=doc_type,
            document_number=doc_number,
            document_expires_on=doc_expires or today + timedelta(days=3650),
            own_income=own_income,
            kind=kind,
        )
        registered = customers.register_customer(self.deps, OPERATOR, command)
        return Holder(registered, code, doc_type, doc_number)

    def account(
        self,
        holder: Holder,
        kind: AccountKind = AccountKind.DEBIT_MAIN_CARD,
        *,
        balance_minor: int = 100_000,
        flags: tuple[str, ...] = (),
        currency: str | None = None,
        real_name: bool = True,
        main_card: Account | None = None,
    ) -> Account:
        """An account opened by the back office (C2): its balance arrives by an opening
        posting, so the books prove (``verify_ledger``). A sub-card needs its ``main_card``."""
        command = customers.OpenAccount(
            institution_code=holder.institution,
            customer_number=holder.number,
            number=f"62{next(_seq):014d}",
            kind=kind,
            currency=currency,
            balance_minor=balance_minor,
            real_name=real_name,
            flags=flags,
            main_card_number=main_card.number if main_card else None,
        )
        return customers.open_account(self.deps, OPERATOR, command)

    # --- e-banking -------------------------------------------------------------------------
    def contract(self, holder: Holder, registration: Account, version: Version = Version.OTP) -> Contract:
        """An active contract with ``registration`` as its registration account (E5), the
        version's medium (E4), and for the OTP version an active TOTP seed (K2)."""
        policy = self.deps.policies.policy_for(holder.institution)
        now = self.clock.now()
        with self.deps.uow() as uow:
            contract = Contract(
                institution_id=holder.customer.institution_id,
                customer_id=holder.id,
                version=version,
                registration_account_id=id_of(registration),
                channel=Channel.COUNTER if version.counter_only else Channel.ONLINE,
                password_digest=_digest(LOGIN_PASSWORD),
                enrolled_at=now,
                otp_phone=PHONES.get(holder.institution) if version is Version.OTP else None,
                ukey_serial=f"UK2-{next(_seq):06d}" if version is Version.CERTIFICATE else None,
                ukey_generation=2 if version is Version.CERTIFICATE else None,
            )
            uow.contracts.add(contract)
            origin = LinkOrigin.REGISTRATION
            uow.contracts.add_link(AccountLink(id_of(contract), id_of(registration), origin, now))
            if version is Version.OTP:
                params = totp_parameters(policy)
                seed = self.deps.secrets.seal(self.deps.tokens.new_seed(20), seed_purpose(id_of(contract)))
                uow.otp.add_credential(
                    TOTPCredential(
                        id_of(contract),
                        contract.institution_id,
                        seed,
                        params.algorithm,
                        params.digits,
                        params.step_seconds,
                        now,
                    )
                )
            uow.commit()
            return contract

    def enrolled(
        self, code: str = "edb", version: Version = Version.OTP, *, balance_minor: int = 5_000_000
    ) -> Enrolled:
        """A customer of ``version`` whose registration card holds ``balance_minor``."""
        holder = self.customer(code)
        card = self.account(holder, balance_minor=balance_minor)
        return Enrolled(holder, card, self.contract(holder, card, version))

    def link(
        self, contract: Contract, account: Account, origin: LinkOrigin = LinkOrigin.COUNTER
    ) -> AccountLink:
        """A linked account (E6): added at the counter (819102) or by the customer online (E10)."""
        with self.deps.uow() as uow:
            link = AccountLink(id_of(contract), id_of(account), origin, self.clock.now())
            uow.contracts.add_link(link)
            uow.commit()
            return link

    def identity_check(self, teller: TellerActor, holder: Holder) -> int:
        """E12: the teller checks the holder's document in person (the counter's own use case)."""
        command = accounts.RecordIdentityCheck(
            customer_number=holder.number,
            document_type=holder.document_type,
            document_number=holder.document_number,
        )
        return id_of(accounts.record_identity_check(self.deps, teller, command))

    def customer_actor(self, contract: Contract, level: AuthLevel = AuthLevel.PASSWORD) -> CustomerActor:
        """The contract's customer signed in, their session at ``level``."""
        return self._signed_in(
            PrincipalKind.CUSTOMER, contract.customer_id, level, contract_id=id_of(contract)
        )

    def card_actor(self, account: Account) -> CustomerActor:
        """E1: a card/passbook login with ``account`` (query only, no contract)."""
        return self._signed_in(
            PrincipalKind.CARD, account.customer_id, AuthLevel.CARD_PIN, account_id=id_of(account)
        )

    def _signed_in(
        self,
        principal: PrincipalKind,
        customer_id: int,
        level: AuthLevel,
        *,
        contract_id: int | None = None,
        account_id: int | None = None,
    ) -> CustomerActor:
        now = self.clock.now()
        with self.deps.uow() as uow:
            customer = uow.customers.get(customer_id)
            if customer is None:
                raise LookupError(f"no customer {customer_id}")
            session = Session(
                self.deps.tokens.new_key(),
                principal,
                customer.institution_id,
                now,
                now + timedelta(hours=4),
                now,
                level,
                customer_id=customer_id,
                contract_id=contract_id,
                account_id=account_id,
            )
            uow.sessions.add(session)
            uow.commit()
            code = uow.institutions.code_of(customer.institution_id) or ""
        return CustomerActor(
            id_of(session),
            principal,
            customer.institution_id,
            code,
            customer_id,
            level,
            contract_id=contract_id,
            account_id=account_id,
        )
