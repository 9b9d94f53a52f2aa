"""Test data builders on top of the real services (no rows written behind their back)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from netbank.adapters.db.tables import metadata
from netbank.demo import cn_id, kr_rrn, years_ago
from netbank.domain.account import AccountKind
from netbank.domain.customer import CustomerKind
from netbank.domain.identity import DocumentType
from netbank.domain.institution import StaffRole
from netbank.services import auth, customers, institutions
from netbank.services.common import Operator, TellerActor, Visitor
from netbank.services.counter import accounts
from netbank.services.customers import OpenAccount, RegisterCustomer
from netbank.services.institutions import AddBranch, AddTeller
from netbank.services.ports import Deps

#: Who the test set-up acts as: the back office, and a visitor for its sign-ins.
OPERATOR = Operator("test")
VISITOR = Visitor("test")
STAFF_PASSWORD = "Teller#2026"
LOGIN_PASSWORD = "Netbank#2026"
PIN = "123456"
_seq = count(1)


@dataclass
class Person:
    institution: str
    number: str
    name: str
    birth: date
    doc_type: DocumentType
    doc_number: str
    mobile: str
    accounts: dict[str, str] = field(default_factory=dict)


def setup_institutions(deps: Deps, *codes: str) -> None:
    """Institutions from the policies, with two branches and staff each."""
    institutions.sync_institutions(deps, OPERATOR)
    for code in codes or ("edb", "kb"):
        for branch, name in (("B1", "Branch one"), ("B2", "Branch two")):
            institutions.add_branch(
                deps, OPERATOR, AddBranch(institution_code=code, branch_code=branch, name=name)
            )
        for branch, number, name, role in (
            ("B1", "T001", "Teller One", StaffRole.TELLER),
            ("B2", "T002", "Teller Two", StaffRole.TELLER),
            ("B1", "U001", "Auditor", StaffRole.AUDITOR),
        ):
            institutions.add_teller(
                deps,
                OPERATOR,
                AddTeller(
                    institution_code=code,
                    branch_code=branch,
                    teller_number=number,
                    name=name,
                    password=STAFF_PASSWORD,
                    role=role,
                ),
            )


def make_customer(
    deps: Deps,
    institution: str = "edb",
    *,
    age_years: int = 30,
    age_days: int = 10,
    own_income: bool = False,
    doc_expires: date | None = None,
    kind: CustomerKind = CustomerKind.PERSONAL,
    name: str = "测试客户",
) -> Person:
    n = next(_seq)
    today = deps.today_in("Asia/Shanghai" if institution == "edb" else "Asia/Seoul")
    birth = years_ago(today, age_years, age_days)
    if institution == "edb":
        doc_type, doc_number, mobile = DocumentType.CN_RESIDENT_ID, cn_id(birth, n % 1000), f"139{n:08d}"
    else:
        doc_type, doc_number = (
            DocumentType.KR_RESIDENT_REGISTRATION,
            kr_rrn(birth, True, f"{n % 1000000:06d}"),
        )
        mobile = f"010{n:08d}"
    number = f"C{n:06d}"
    customers.register_customer(
        deps,
        OPERATOR,
        RegisterCustomer(
            institution_code=institution,
            customer_number=number,
            name=name,
            birth_date=birth,
            mobile=mobile,
            document_type=doc_type,
            document_number=doc_number,
            document_expires_on=doc_expires if doc_expires is not None else today + timedelta(days=3650),
            own_income=own_income,
            kind=kind,
        ),
    )
    return Person(institution, number, name, birth, doc_type, doc_number, mobile)


def make_account(
    deps: Deps,
    person: Person,
    kind: AccountKind = AccountKind.DEBIT_MAIN_CARD,
    *,
    flags: tuple[str, ...] = (),
    balance_minor: int = 100_000,
    real_name: bool = True,
    main_card_number: str | None = None,
    label: str | None = None,
) -> str:
    number = f"62{next(_seq):014d}"
    customers.open_account(
        deps,
        OPERATOR,
        OpenAccount(
            institution_code=person.institution,
            customer_number=person.number,
            number=number,
            kind=kind,
            pin=PIN,
            balance_minor=balance_minor,
            flags=flags,
            real_name=real_name,
            main_card_number=main_card_number,
        ),
    )
    person.accounts[label or kind.value] = number
    return number


def teller(
    deps: Deps, institution: str = "edb", number: str = "T001", branch: str | None = None
) -> TellerActor:
    issued = auth.login_teller(
        deps,
        VISITOR,
        auth.TellerLogin(
            institution_code=institution, teller_number=number, password=STAFF_PASSWORD, branch_code=branch
        ),
    )
    return auth.authenticate_teller(deps, issued.token)


def check_identity(deps: Deps, actor: TellerActor, person: Person) -> int:
    check = accounts.record_identity_check(
        deps,
        actor,
        accounts.RecordIdentityCheck(
            customer_number=person.number, document_type=person.doc_type, document_number=person.doc_number
        ),
    )
    if check.id is None:
        raise RuntimeError("identity check without id")
    return check.id


def csrf_of(client: TestClient, path: str, lang: str = "en") -> str:
    """The CSRF token the web page at ``path`` gives this browser (its secret set as a cookie)."""
    page = client.get(path, headers={"accept-language": lang})
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert found is not None
    return found.group(1)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: the 'byte for byte' state of the database."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            stmt = select(table).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in conn.execute(stmt)]
    return out


class Api:
    """A thin client for the HTTP API used by the integration tests."""

    def __init__(self, client: TestClient, engine: Engine) -> None:
        self.client = client
        self.engine = engine

    def teller_token(self, institution: str = "edb", number: str = "T001", branch: str | None = None) -> str:
        body: dict[str, Any] = {
            "institution_code": institution,
            "teller_number": number,
            "password": STAFF_PASSWORD,
        }
        if branch:
            body["branch_code"] = branch
        r = self.client.post("/api/v1/teller/login", json=body)
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def customer_token(self, institution: str, login_id: str, password: str = LOGIN_PASSWORD) -> str:
        r = self.client.post(
            f"/api/v1/institutions/{institution}/login", json={"login_id": login_id, "password": password}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    def check(self, token: str, person: Person) -> int:
        r = self.client.post(
            "/api/v1/teller/identity-checks",
            headers=bearer(token),
            json={
                "customer_number": person.number,
                "document_type": person.doc_type.value,
                "document_number": person.doc_number,
            },
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def post(self, url: str, token: str | None = None, lang: str = "en", **body: Any) -> Any:
        headers = {"Accept-Language": lang, **(bearer(token) if token else {})}
        return self.client.post(url, json=body, headers=headers)

    def get(self, url: str, token: str | None = None, lang: str = "en") -> Any:
        headers = {"Accept-Language": lang, **(bearer(token) if token else {})}
        return self.client.get(url, headers=headers)

    def refused(
        self, status: int, code: str, url: str, token: str | None = None, lang: str = "en", **body: Any
    ) -> dict[str, Any]:
        """POST that must be refused with ``status``/``code`` and change nothing at all."""
        before = snapshot(self.engine)
        r = self.post(url, token, lang, **body)
        assert r.status_code == status, r.text
        error = r.json()["error"]
        assert error["code"] == code, r.text
        assert error["message"] and error["message"] != code
        assert snapshot(self.engine) == before, "a refused request changed the database"
        return dict(error)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def otp_customer(api: Api, deps: Deps, *, phone: str = "13912345678") -> tuple[Person, str, str]:
    """An OTP-version customer enrolled at the counter: (person, card, otpauth URI)."""
    p = make_customer(deps)
    card = make_account(deps, p, label="card")
    token = api.teller_token()
    check = api.check(token, p)
    r = api.post(
        "/api/v1/teller/transactions/819101/add",
        token,
        customer_number=p.number,
        identity_check_id=check,
        version="otp",
        registration_account_number=card,
        login_password=LOGIN_PASSWORD,
        otp_phone=phone,
    )
    assert r.status_code == 201, r.text
    return p, card, str(r.json()["otp_enrolment"]["otpauth_uri"])
