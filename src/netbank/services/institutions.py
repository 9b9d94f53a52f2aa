"""Institutions, branches and staff: set-up use cases of the bank's back office (the command
line, the demo loader), each a command handled as ``handler(deps, operator, command)``."""

from __future__ import annotations

from dataclasses import dataclass, field

from netbank.domain.errors import Code, Conflict, NotFound
from netbank.domain.institution import Branch, Institution, InstitutionKind, StaffRole, Teller
from netbank.domain.ledger import Payee, PayeeCategory
from netbank.domain.policy import Policy
from netbank.services.common import Operator, id_of, institution_by_code
from netbank.services.ledger import ensure_chart
from netbank.services.ports import Deps


def sync_institutions(deps: Deps, actor: Operator) -> list[str]:
    """Create or update one institution per policy file; returns the codes created."""
    created: list[str] = []
    with deps.uow() as uow:
        for policy in deps.policies.all():
            inst = uow.institutions.get_by_code(policy.institution_code)
            if inst is None:
                inst = _institution_from(policy)
                uow.institutions.add(inst)
                uow.flush()
                created.append(policy.institution_code)
            else:
                inst.name = policy.name or inst.name
                inst.kind = InstitutionKind(policy.kind)
                inst.currency = policy.currency
                inst.timezone = policy.timezone
            ensure_chart(uow, inst)
        uow.commit()
    return created


def _institution_from(policy: Policy) -> Institution:
    return Institution(
        code=policy.institution_code,
        name=policy.name or policy.institution_code,
        kind=InstitutionKind(policy.kind),
        currency=policy.currency,
        timezone=policy.timezone,
    )


@dataclass(frozen=True, kw_only=True)
class AddBranch:
    institution_code: str
    branch_code: str
    name: str


def add_branch(deps: Deps, actor: Operator, cmd: AddBranch) -> Branch:
    institution_code, code, name = cmd.institution_code, cmd.branch_code, cmd.name
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        if uow.institutions.get_branch_by_code(id_of(inst), code) is not None:
            raise Conflict(Code.BRANCH_EXISTS, branch=code)
        branch = Branch(institution_id=id_of(inst), code=code, name=name)
        uow.institutions.add_branch(branch)
        uow.commit()
        return branch


@dataclass(frozen=True, kw_only=True)
class AddTeller:
    """A member of staff at their home branch: a teller, an institution admin or an auditor."""

    institution_code: str
    branch_code: str
    teller_number: str
    name: str
    password: str = field(repr=False)
    role: StaffRole = StaffRole.TELLER


def add_teller(deps: Deps, actor: Operator, cmd: AddTeller) -> Teller:
    institution_code, branch_code, teller_number = cmd.institution_code, cmd.branch_code, cmd.teller_number
    name, password, role = cmd.name, cmd.password, cmd.role
    policy = deps.policies.policy_for(institution_code)
    digest = deps.hasher.hash(password, policy.password)
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        branch = uow.institutions.get_branch_by_code(id_of(inst), branch_code)
        if branch is None:
            raise NotFound(Code.BRANCH_NOT_FOUND, branch=branch_code)
        teller = Teller(
            institution_id=id_of(inst),
            branch_id=id_of(branch),
            teller_number=teller_number,
            name=name,
            password_digest=digest,
            role=role,
        )
        if uow.tellers.get_by_number(id_of(inst), teller_number) is not None:
            raise Conflict(Code.TELLER_EXISTS, teller=teller_number)
        uow.tellers.add(teller)
        uow.commit()
        return teller


@dataclass(frozen=True, kw_only=True)
class AddPayee:
    """A payee bills can be paid to (utility, phone, tax)."""

    institution_code: str
    payee_code: str
    name: str
    category: PayeeCategory


def add_payee(deps: Deps, actor: Operator, cmd: AddPayee) -> Payee:
    """A payee bills can be paid to (utility, phone, tax)."""
    institution_code, code, name, category = cmd.institution_code, cmd.payee_code, cmd.name, cmd.category
    with deps.uow() as uow:
        inst = institution_by_code(uow, institution_code)
        if uow.payees.get(id_of(inst), code) is not None:
            raise Conflict(Code.PAYEE_EXISTS, payee=code)
        payee = Payee(institution_id=id_of(inst), code=code, name=name, category=category)
        uow.payees.add(payee)
        uow.commit()
        return payee
