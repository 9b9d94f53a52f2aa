"""In-memory repositories of who banks where (``services.ports.parties``): institutions with
their branches, tellers, customers with their identity documents, accounts, contracts and
their links. Each read is the filter of the SQL repository's query, in its order."""

from __future__ import annotations

import builtins

from netbank.domain.account import Account, AccountStatus
from netbank.domain.customer import Customer, IdentityDocument
from netbank.domain.enrolment import AccountLink, Contract, ContractStatus, LinkStatus
from netbank.domain.institution import Branch, Institution, Teller
from tests.fakes.store import FakeStore


class FakeRepository:
    """A repository over the unit of work's working copy of the store."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store


class FakeInstitutions(FakeRepository):
    def add(self, institution: Institution) -> None:
        self.store.insert(institution)

    def get(self, institution_id: int) -> Institution | None:
        return self.store.get(Institution, institution_id)

    def get_by_code(self, code: str) -> Institution | None:
        return self.store.first(Institution, code=code)

    def code_of(self, institution_id: int) -> str | None:
        found = self.get(institution_id)
        return found.code if found else None

    def list(self) -> builtins.list[Institution]:
        return self.store.rows(Institution)

    def add_branch(self, branch: Branch) -> None:
        self.store.insert(branch)

    def get_branch(self, branch_id: int) -> Branch | None:
        return self.store.get(Branch, branch_id)

    def get_branch_by_code(self, institution_id: int, code: str) -> Branch | None:
        return self.store.first(Branch, institution_id=institution_id, code=code)

    def list_branches(self, institution_id: int) -> builtins.list[Branch]:
        return sorted(self.store.where(Branch, institution_id=institution_id), key=lambda b: b.code)


class FakeTellers(FakeRepository):
    def add(self, teller: Teller) -> None:
        self.store.insert(teller)

    def get(self, teller_id: int) -> Teller | None:
        return self.store.get(Teller, teller_id)

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Teller | None:
        return self.store.first(Teller, institution_id=institution_id, teller_number=number)


class FakeCustomers(FakeRepository):
    def add(self, customer: Customer, document: IdentityDocument) -> None:
        self.store.insert(customer)
        document.customer_id = customer.id
        self.store.insert(document)

    def get(self, customer_id: int, *, for_update: bool = False) -> Customer | None:
        return self.store.get(Customer, customer_id)

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Customer | None:
        return self.store.first(Customer, institution_id=institution_id, customer_number=number)

    def document_of(self, customer_id: int) -> IdentityDocument:
        (document,) = self.store.where(IdentityDocument, customer_id=customer_id)  # ``.one()``
        return document

    def find_by_document(self, institution_id: int, digest: str) -> list[Customer]:
        holders = {d.customer_id for d in self.store.where(IdentityDocument, number_digest=digest)}
        return [c for c in self.store.where(Customer, institution_id=institution_id) if c.id in holders]

    def search(self, institution_id: int, *, name: str | None, limit: int) -> list[Customer]:
        found = [
            c for c in self.store.where(Customer, institution_id=institution_id) if not name or name in c.name
        ]
        return sorted(found, key=lambda c: c.customer_number)[:limit]


class FakeAccounts(FakeRepository):
    def add(self, account: Account) -> None:
        self.store.insert(account)

    def get(self, account_id: int, *, for_update: bool = False) -> Account | None:
        return self.store.get(Account, account_id)

    def get_by_number(self, institution_id: int, number: str, *, for_update: bool = False) -> Account | None:
        return self.store.first(Account, institution_id=institution_id, number=number)

    def list_for_customer(self, customer_id: int) -> list[Account]:
        return self.store.where(Account, customer_id=customer_id)

    def has_real_name_account(self, customer_id: int) -> bool:
        return bool(
            self.store.where(Account, customer_id=customer_id, real_name=True, status=AccountStatus.OPEN)
        )


class FakeContracts(FakeRepository):
    def add(self, contract: Contract) -> None:
        self.store.insert(contract)

    def get(self, contract_id: int, *, for_update: bool = False) -> Contract | None:
        return self.store.get(Contract, contract_id)

    def active_for_customer(self, customer_id: int, *, for_update: bool = False) -> Contract | None:
        return self.store.first(Contract, customer_id=customer_id, status=ContractStatus.ACTIVE)

    def active_with_registration_account(self, account_id: int) -> Contract | None:
        return self.store.first(Contract, registration_account_id=account_id, status=ContractStatus.ACTIVE)

    def add_link(self, link: AccountLink) -> None:
        self.store.insert(link)

    def links_of(self, contract_id: int, *, active_only: bool = True) -> list[AccountLink]:
        links = self.store.where(AccountLink, contract_id=contract_id)
        return [link for link in links if link.status is LinkStatus.ACTIVE or not active_only]

    def link_of(self, contract_id: int, account_id: int) -> AccountLink | None:
        return self.store.first(
            AccountLink, contract_id=contract_id, account_id=account_id, status=LinkStatus.ACTIVE
        )

    def active_links_of_account(self, account_id: int) -> list[AccountLink]:
        return self.store.where(AccountLink, account_id=account_id, status=LinkStatus.ACTIVE)
