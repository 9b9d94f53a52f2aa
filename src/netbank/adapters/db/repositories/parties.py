"""Institutions (with branches), tellers, customers, accounts and contracts (with their links)."""

from __future__ import annotations

import builtins

from sqlalchemy import bindparam, select

from netbank.adapters.db import tables as t
from netbank.adapters.db.repositories.base import SqlRepository
from netbank.domain.account import Account
from netbank.domain.customer import Customer, IdentityDocument
from netbank.domain.enrolment import AccountLink, Contract, ContractStatus, LinkStatus
from netbank.domain.institution import Branch, Institution, Teller

_INSTITUTION_CODE = select(t.institutions.c.code).where(t.institutions.c.id == bindparam("i"))


class SqlInstitutions(SqlRepository):
    def add(self, institution: Institution) -> None:
        self.s.add(institution)

    def get(self, institution_id: int) -> Institution | None:
        return self.s.get(Institution, institution_id)

    def get_by_code(self, code: str) -> Institution | None:
        return self._one(select(Institution).filter_by(code=code), False)  # type: ignore[no-any-return]

    def code_of(self, institution_id: int) -> str | None:
        """The code alone (every authenticated request asks it): no entity loaded."""
        return self.s.execute(_INSTITUTION_CODE, {"i": institution_id}).scalar_one_or_none()

    def list(self) -> list[Institution]:
        return list(self.s.scalars(select(Institution).order_by(t.institutions.c.id)))

    def add_branch(self, branch: Branch) -> None:
        self.s.add(branch)

    def get_branch(self, branch_id: int) -> Branch | None:
        return self.s.get(Branch, branch_id)

    def get_branch_by_code(self, institution_id: int, code: str) -> Branch | None:
        return self._one(select(Branch).filter_by(institution_id=institution_id, code=code), False)  # type: ignore[no-any-return]

    def list_branches(self, institution_id: int) -> builtins.list[Branch]:
        stmt = select(Branch).filter_by(institution_id=institution_id).order_by(t.branches.c.code)
        return list(self.s.scalars(stmt))


class SqlTellers(SqlRepository):
    def add(self, teller: Teller) -> None:
        self.s.add(teller)

    def get(self, teller_id: int) -> Teller | None:
        return self.s.get(Teller, teller_id)

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Teller | None:
        stmt = select(Teller).filter_by(institution_id=institution_id, teller_number=number)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]


class SqlCustomers(SqlRepository):
    def add(self, customer: Customer, document: IdentityDocument) -> None:
        self.s.add(customer)
        self.s.flush()
        document.customer_id = customer.id
        self.s.add(document)

    def get(self, customer_id: int, *, for_update: bool = False) -> Customer | None:
        return self._one(select(Customer).filter_by(id=customer_id), for_update)  # type: ignore[no-any-return]

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Customer | None:
        stmt = select(Customer).filter_by(institution_id=institution_id, customer_number=number)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]

    def document_of(self, customer_id: int) -> IdentityDocument:
        return self.s.scalars(select(IdentityDocument).filter_by(customer_id=customer_id)).one()

    def find_by_document(self, institution_id: int, digest: str) -> list[Customer]:
        stmt = (
            select(Customer)
            .join(t.identity_documents, t.identity_documents.c.customer_id == t.customers.c.id)
            .where(t.customers.c.institution_id == institution_id)
            .where(t.identity_documents.c.number_digest == digest)
        )
        return list(self.s.scalars(stmt))

    def search(self, institution_id: int, *, name: str | None, limit: int) -> list[Customer]:
        stmt = select(Customer).where(t.customers.c.institution_id == institution_id)
        if name:
            stmt = stmt.where(t.customers.c.name.contains(name, autoescape=True))
        return list(self.s.scalars(stmt.order_by(t.customers.c.customer_number).limit(limit)))


class SqlAccounts(SqlRepository):
    def add(self, account: Account) -> None:
        self.s.add(account)

    def get(self, account_id: int, *, for_update: bool = False) -> Account | None:
        if not for_update:
            return self.s.get(Account, account_id)
        return self._one(select(Account).filter_by(id=account_id), for_update)  # type: ignore[no-any-return]

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Account | None:
        stmt = select(Account).filter_by(institution_id=institution_id, number=number)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]

    def list_for_customer(self, customer_id: int) -> list[Account]:
        stmt = select(Account).filter_by(customer_id=customer_id).order_by(t.accounts.c.id)
        return list(self.s.scalars(stmt))

    def has_real_name_account(self, customer_id: int) -> bool:
        stmt = (
            select(t.accounts.c.id)
            .where(
                t.accounts.c.customer_id == customer_id,
                t.accounts.c.real_name.is_(True),
                t.accounts.c.status == "open",
            )
            .limit(1)
        )
        return self.s.execute(stmt).first() is not None


class SqlContracts(SqlRepository):
    def add(self, contract: Contract) -> None:
        self.s.add(contract)
        self.s.flush()

    def get(self, contract_id: int, *, for_update: bool = False) -> Contract | None:
        if not for_update:
            return self.s.get(Contract, contract_id)
        return self._one(select(Contract).filter_by(id=contract_id), for_update)  # type: ignore[no-any-return]

    def active_for_customer(self, customer_id: int, *, for_update: bool = False) -> Contract | None:
        stmt = select(Contract).filter_by(customer_id=customer_id, status=ContractStatus.ACTIVE)
        return self._one(stmt, for_update)  # type: ignore[no-any-return]

    def active_with_registration_account(self, account_id: int) -> Contract | None:
        stmt = select(Contract).filter_by(registration_account_id=account_id, status=ContractStatus.ACTIVE)
        return self._one(stmt, False)  # type: ignore[no-any-return]

    def add_link(self, link: AccountLink) -> None:
        self.s.add(link)
        self.s.flush()

    def links_of(self, contract_id: int, *, active_only: bool = True) -> list[AccountLink]:
        stmt = select(AccountLink).filter_by(contract_id=contract_id)
        if active_only:
            stmt = stmt.filter_by(status=LinkStatus.ACTIVE)
        return list(self.s.scalars(stmt.order_by(t.account_links.c.id)))

    def link_of(self, contract_id: int, account_id: int) -> AccountLink | None:
        stmt = select(AccountLink).filter_by(
            contract_id=contract_id, account_id=account_id, status=LinkStatus.ACTIVE
        )
        return self._one(stmt, False)  # type: ignore[no-any-return]

    def active_links_of_account(self, account_id: int) -> list[AccountLink]:
        stmt = select(AccountLink).filter_by(account_id=account_id, status=LinkStatus.ACTIVE)
        return list(self.s.scalars(stmt))
