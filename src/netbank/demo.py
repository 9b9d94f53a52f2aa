"""Demo data: six institutions with branches, staff and customers that walk every path of the
SPEC. Birth dates are computed from the clock, so the 17-year-olds stay 17.

Demo credentials (also in the README):
  staff            password ``Teller#2026``   (tellers T001/T002, admin A001, auditor U001)
  customer login   password ``Netbank#2026``
  account PINs     ``123456``
  blank UKEYs      ``demo-ukey-1`` to ``demo-ukey-3`` (``make run``), user PIN ``123456``
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from netbank.domain.account import AccountKind
from netbank.domain.enrolment import Version
from netbank.domain.errors import Code, DomainError
from netbank.domain.identity import DocumentType, cn_resident_id_check_char
from netbank.domain.institution import StaffRole
from netbank.domain.ledger import PayeeCategory
from netbank.services import auth, customers, enrolment, fincert, institutions, pki
from netbank.services.common import Operator, TellerActor, Visitor
from netbank.services.counter import accounts, contract
from netbank.services.customers import OpenAccount, RegisterCustomer
from netbank.services.institutions import AddBranch, AddPayee, AddTeller
from netbank.services.ports import Deps

STAFF_PASSWORD = "Teller#2026"  # noqa: S105 - published demo credential
LOGIN_PASSWORD = "Netbank#2026"  # noqa: S105 - published demo credential
PIN = "123456"
#: The demo loader as it acts: the back office, and a visitor (its sign-ins).
LOADER = Operator("demo-loader")
VISITOR = Visitor("demo-loader")
#: Blank UKEYs of ``netbank demo-hsm`` for the counter to sell (K1); their user PIN is ``PIN``.
UKEYS = ("demo-ukey-1", "demo-ukey-2", "demo-ukey-3")


def cn_id(birth: date, seq: int, region: str = "310115") -> str:
    """A structurally valid mainland resident ID for a demo person (GB 11643 check char)."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + cn_resident_id_check_char(body)


def kr_rrn(birth: date, male: bool, tail: str) -> str:
    """A resident registration number (13 digits, century digit from the birth year)."""
    digit = ("3" if male else "4") if birth.year >= 2000 else ("1" if male else "2")
    return f"{birth:%y%m%d}{digit}{tail}"


def years_ago(today: date, years: int, days: int = 0) -> date:
    try:
        d = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        d = today.replace(year=today.year - years, day=28)
    return d - timedelta(days=days)


@dataclass
class Person:
    number: str
    name: str
    birth: date
    mobile: str
    doc_type: DocumentType
    doc_number: str
    doc_expires: date | None
    own_income: bool = False


def _add_person(deps: Deps, inst: str, p: Person) -> None:
    customers.register_customer(
        deps,
        LOADER,
        RegisterCustomer(
            institution_code=inst,
            customer_number=p.number,
            name=p.name,
            birth_date=p.birth,
            mobile=p.mobile,
            document_type=p.doc_type,
            document_number=p.doc_number,
            document_expires_on=p.doc_expires,
            own_income=p.own_income,
        ),
    )


def _account(
    deps: Deps,
    inst: str,
    customer: str,
    number: str,
    kind: AccountKind,
    balance: int,
    flags: tuple[str, ...] = (),
    main: str | None = None,
) -> None:
    customers.open_account(
        deps,
        LOADER,
        OpenAccount(
            institution_code=inst,
            customer_number=customer,
            number=number,
            kind=kind,
            pin=PIN,
            balance_minor=balance,
            flags=flags,
            main_card_number=main,
        ),
    )


def _staff(deps: Deps, inst: str, branches: list[tuple[str, str]]) -> None:
    for code, name in branches:
        institutions.add_branch(deps, LOADER, AddBranch(institution_code=inst, branch_code=code, name=name))
    home, other = branches[0][0], branches[-1][0]
    for branch, number, name, role in (
        (home, "T001", "Teller One", StaffRole.TELLER),
        (other, "T002", "Teller Two", StaffRole.TELLER),
        (home, "A001", "Institution Admin", StaffRole.ADMIN),
        (home, "U001", "Auditor", StaffRole.AUDITOR),
    ):
        institutions.add_teller(
            deps,
            LOADER,
            AddTeller(
                institution_code=inst,
                branch_code=branch,
                teller_number=number,
                name=name,
                password=STAFF_PASSWORD,
                role=role,
            ),
        )


def _counter_enrol(deps: Deps, inst: str, p: Person, card: str, version: Version, **medium: Any) -> None:
    token, teller = _teller(deps, inst)
    check = _identity_check(deps, teller, p)
    contract.add_contract(
        deps,
        teller,
        contract.AddContract(
            customer_number=p.number,
            identity_check_id=check,
            version=version,
            registration_account_number=card,
            login_password=LOGIN_PASSWORD,
            **medium,
        ),
    )
    auth.logout(deps, VISITOR, auth.Logout(token))


def _identity_check(deps: Deps, teller: TellerActor, p: Person) -> int:
    check = accounts.record_identity_check(
        deps,
        teller,
        accounts.RecordIdentityCheck(
            customer_number=p.number, document_type=p.doc_type, document_number=p.doc_number
        ),
    )
    return check.id or 0


def _teller(deps: Deps, inst: str) -> tuple[str, TellerActor]:
    issued = auth.login_teller(
        deps, VISITOR, auth.TellerLogin(institution_code=inst, teller_number="T001", password=STAFF_PASSWORD)
    )
    return issued.token, auth.authenticate_teller(deps, issued.token)


def load_edb(deps: Deps, today: date) -> int:
    inst = "edb"
    _staff(deps, inst, [("0101", "总行营业部 Head Office"), ("0102", "浦东支行 Pudong Branch")])
    valid = today + timedelta(days=5 * 365)
    people = [
        Person("100001", "王芳", date(1990, 3, 7), "13800138001", DocumentType.CN_RESIDENT_ID, "", valid),
        Person("100002", "李明", date(1985, 11, 20), "13800138002", DocumentType.CN_RESIDENT_ID, "", valid),
        Person("100003", "张伟", date(1978, 6, 1), "13800138003", DocumentType.CN_RESIDENT_ID, "", valid),
        Person("100004", "刘洋", date(1995, 1, 15), "13800138004", DocumentType.CN_RESIDENT_ID, "", valid),
        Person("100005", "陈静", date(1982, 9, 9), "13800138005", DocumentType.CN_RESIDENT_ID, "", valid),
        Person(
            "100006",
            "赵磊",
            years_ago(today, 17, 40),
            "13800138006",
            DocumentType.CN_RESIDENT_ID,
            "",
            valid,
            own_income=True,
        ),
        Person(
            "100007", "孙悦", years_ago(today, 17, 60), "13800138007", DocumentType.CN_RESIDENT_ID, "", valid
        ),
        Person(
            "100008",
            "周强",
            date(1970, 2, 2),
            "13800138008",
            DocumentType.CN_RESIDENT_ID,
            "",
            today - timedelta(days=10),
        ),
        Person("100009", "吴敏", date(1992, 12, 12), "13800138009", DocumentType.CN_RESIDENT_ID, "", valid),
    ]
    for i, p in enumerate(people, start=1):
        p.doc_number = cn_id(p.birth, 100 + i)
        _add_person(deps, inst, p)
    main = AccountKind.DEBIT_MAIN_CARD
    # 100001 ordinary version, self-registered online.
    _account(deps, inst, "100001", "6222020000000001", main, 1_250_000)
    _account(deps, inst, "100001", "6222020000000002", AccountKind.DEMAND_PASSBOOK, 300_000)
    enrolment.self_register(
        deps,
        VISITOR,
        enrolment.SelfRegister(
            institution_code=inst,
            card_number="6222020000000001",
            account_pin=PIN,
            name="王芳",
            document_type=DocumentType.CN_RESIDENT_ID,
            document_number=people[0].doc_number,
            login_password=LOGIN_PASSWORD,
        ),
    )
    # 100002 OTP version with a counter-linked sub-card and an online link awaiting the counter (E10).
    _account(deps, inst, "100002", "6222020000000011", main, 5_000_000)
    _account(deps, inst, "100002", "6222020000000012", AccountKind.DEBIT_SUB_CARD, 0, main="6222020000000011")
    _account(deps, inst, "100002", "6222020000000013", main, 800_000)
    _account(deps, inst, "100002", "6222020000000014", AccountKind.DEMAND_PASSBOOK, 100_000)
    _counter_enrol(deps, inst, people[1], "6222020000000011", Version.OTP, otp_phone="13800138002")
    token, teller = _teller(deps, inst)
    contract.add_linked_account(
        deps,
        teller,
        contract.AddLinkedAccount(
            customer_number="100002",
            identity_check_id=_identity_check(deps, teller, people[1]),
            account_number="6222020000000012",
        ),
    )
    auth.logout(deps, VISITOR, auth.Logout(token))
    session = auth.login_with_password(
        deps,
        VISITOR,
        auth.PasswordLogin(institution_code=inst, login_id="6222020000000011", password=LOGIN_PASSWORD),
    )
    actor = auth.authenticate_customer(deps, session.token)
    enrolment.link_account_online(
        deps, actor, enrolment.LinkAccountOnline(account_number="6222020000000013", account_pin=PIN)
    )
    auth.logout(deps, VISITOR, auth.Logout(session.token))
    # 100003 certificate version, UKEY generation 2.
    _account(deps, inst, "100003", "6222020000000021", main, 120_000_000)
    _counter_enrol(
        deps,
        inst,
        people[2],
        "6222020000000021",
        Version.CERTIFICATE,
        ukey_serial="UK2-000301",
        ukey_generation=2,
    )
    # 100004 eligible, not enrolled: the README tour self-registers and upgrades them.
    _account(deps, inst, "100004", "6222020000000031", main, 2_000_000)
    _account(deps, inst, "100004", "6222020000000032", main, 50_000)
    _account(deps, inst, "100004", "6222020000000033", AccountKind.TIME_DEPOSIT_ALL_IN_ONE, 10_000_000)
    # 100005 one main card in each blocking status (C3 / E11).
    flags = [
        "verbal_loss",
        "written_loss",
        "pin_loss",
        "initial_pin",
        "wrong_pin_exceeded",
        "under_watch",
        "fraud_hold",
    ]
    for n, flag in enumerate(flags, start=41):
        _account(deps, inst, "100005", f"62220200000000{n}", main, 10_000, flags=(flag,))
    # 100006 17 with own income (E2 allows), 100007 17 without (E2 refuses).
    _account(deps, inst, "100006", "6222020000000061", main, 30_000)
    _account(deps, inst, "100007", "6222020000000071", main, 30_000)
    # 100008 expired identity document (E2 refuses).
    _account(deps, inst, "100008", "6222020000000081", main, 30_000)
    # 100009 only cards that cannot be a registration account (E5 refuses).
    _account(deps, inst, "100009", "6222020000000091", AccountKind.MERCHANT_CARD, 0)
    _account(deps, inst, "100009", "6222020000000092", AccountKind.FOUR_BANK_CARD, 0)
    _account(deps, inst, "100009", "6222020000000093", AccountKind.CREDIT_CARD, 0)
    return len(people)


KOREAN = {
    "kb": ("9100", [("001", "여의도본점 Yeouido HQ"), ("002", "강남지점 Gangnam")]),
    "shinhan": ("1100", [("001", "본점 Head Office"), ("002", "광화문지점 Gwanghwamun")]),
    "woori": ("1002", [("001", "본점 Head Office"), ("002", "종로지점 Jongno")]),
    "hana": ("3910", [("001", "본점 Head Office"), ("002", "명동지점 Myeongdong")]),
    "ksfc": ("7700", [("001", "여의도본사 Yeouido HQ")]),
}


def load_korean(deps: Deps, inst: str, today: date) -> int:
    prefix, branches = KOREAN[inst]
    _staff(deps, inst, branches)
    valid = None  # Korean resident registration has no expiry
    hong = Person(
        "K0001",
        "홍길동",
        date(1985, 3, 15),
        "01012345678",
        DocumentType.KR_RESIDENT_REGISTRATION,
        kr_rrn(date(1985, 3, 15), True, "234567"),
        valid,
    )
    kim = Person(
        "K0002",
        "김영희",
        date(2001, 7, 9),
        "01098765432",
        DocumentType.KR_RESIDENT_REGISTRATION,
        kr_rrn(date(2001, 7, 9), False, "123456"),
        valid,
    )
    for p in (hong, kim):
        _add_person(deps, inst, p)
    main = AccountKind.DEBIT_MAIN_CARD
    _account(deps, inst, "K0001", f"{prefix}000000001", main, 25_000_000)
    _account(deps, inst, "K0002", f"{prefix}000000002", main, 3_000_000)
    # The same person is an OTP-version customer at every member institution.
    _counter_enrol(deps, inst, hong, f"{prefix}000000001", Version.OTP, otp_phone=hong.mobile)
    return 2


PAYEES = {
    "edb": [
        ("SH-POWER", "上海电力 Shanghai Electric Power", PayeeCategory.UTILITY),
        ("SH-WATER", "上海自来水 Shanghai Water", PayeeCategory.UTILITY),
        ("CMCC", "中国移动 China Mobile", PayeeCategory.PHONE),
        ("SH-TAX", "上海税务 Shanghai Tax Service", PayeeCategory.TAX),
    ],
    "*": [
        ("KEPCO", "한국전력 KEPCO", PayeeCategory.UTILITY),
        ("SKT", "SK텔레콤 SK Telecom", PayeeCategory.PHONE),
        ("NTS", "국세청 National Tax Service", PayeeCategory.TAX),
    ],
}


def load(deps: Deps) -> str:
    """Load everything; returns a one-line summary."""
    institutions.sync_institutions(deps, LOADER)
    for policy in deps.policies.all():
        for code, name, category in PAYEES.get(policy.institution_code, PAYEES["*"]):
            institutions.add_payee(
                deps,
                LOADER,
                AddPayee(
                    institution_code=policy.institution_code, payee_code=code, name=name, category=category
                ),
            )
    codes = {p.institution_code for p in deps.policies.all()}
    counts: dict[str, int] = {}
    if "edb" in codes:
        counts["edb"] = load_edb(deps, deps.today_in("Asia/Shanghai"))
    for inst in KOREAN:
        if inst in codes:
            counts[inst] = load_korean(deps, inst, deps.today_in("Asia/Seoul"))
    return ", ".join(f"{k}: {v} customers" for k, v in counts.items())


def init_certificate_authorities(deps: Deps) -> list[str]:
    """The CAs the configured HSM tokens can hold and do not hold yet: each institution's PKI
    (K1) and the financial certificate service's CA (F1). What exists is left alone, so that
    ``make run`` may call this every time. Returns one line per CA hierarchy created."""
    made: list[str] = []
    if deps.pki is not None:
        with deps.uow(readonly=True) as uow:
            codes = [i.code for i in uow.institutions.list()]
        for code in codes:
            try:
                pki.init_pki(deps, LOADER, pki.InitPKI(institution_code=code))
            except DomainError as exc:
                if exc.code is not Code.K1_PKI_ALREADY_INITIALISED:
                    raise
            else:
                made.append(f"{code} PKI")
    if deps.fincert is not None:
        try:
            fincert.init_service_ca(deps, LOADER, fincert.InitServiceCA())
        except DomainError as exc:
            if exc.code is not Code.F1_CA_ALREADY_INITIALISED:
                raise
        else:
            made.append("financial certificate CA")
    return made
