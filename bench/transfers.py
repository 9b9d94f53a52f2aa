"""Transfer throughput: the service layer and the HTTP API against a bare SQL baseline.

Run: ``.venv/bin/python bench/transfers.py`` (3 to 5 minutes, one of them seeding a
million postings) or ``--quick`` for a smoke run with small sizes.

Two SQLite databases in a temp dir, one with 10 thousand and one with 1 million postings
already in the ledger (seeded with bulk Core inserts: each posting with its two entries, its
transfer row and the day-usage rows, balances brought in line), each with eight OTP-version
customers signed in at the one-time-code level and its own ``netbank serve``. On each:

* **bare**: a SQLAlchemy Core loop that writes exactly the rows a transfer writes — the
  contract's day-usage update, the two balance updates, the posting, its two entries and the
  transfer row — one transaction each, on the engine netbank uses (``make_engine``: WAL,
  ``BEGIN IMMEDIATE``, pooled connections), with no checks and no reads;
* **service**: ``netbank.services.payments.make_transfer`` in-process with the Deps
  ``bootstrap`` wires (as the tests build them): idempotency look-up, payer and payee, the
  E6/C3 checks, limits, locks, the posting, the usage, the transfer row and its audit entry;
* **http**: ``POST /api/v1/me/transfers`` on the real server (uvicorn, one worker), from 8
  concurrent httpx client threads in this process (they share the two cores with the server:
  the HTTP figure is a floor).

Bare and service run one transfer after the other (SQLite has one writer). Rounds alternate
the two databases, so a change in the machine's load falls on both; figures are medians over
rounds: transfers per second and p50 / p99 latency; every ratio (to the bare baseline, or
1M to 10k) is the median of the ratios measured within each round (the machines are shared
and their load drifts by 2x within minutes; only ratios of neighbours in time travel).

Targets: service >= 0.50 of bare; every throughput at 1M postings within 20 % of the same at
10k. The last line, ``ratio=X.XX``, is the headline: service / bare at 1M postings, the price
of the service layer (13 statements against the bare loop's 7: the reads and locks that the
checks need, the idempotency look-up and the audit entry) over the storage work itself. Read
it with the history lines: those show whether a million postings cost anything (a missing
index, a count or a scan over history would).
"""

from __future__ import annotations

import argparse
import base64
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pyotp
from benchserver import serve
from sqlalchemy import Engine, func, insert, select, update

from netbank.adapters.db import tables as t
from netbank.adapters.db.migrate import upgrade
from netbank.bootstrap import bootstrap
from netbank.config import Settings
from netbank.demo import cn_id, years_ago
from netbank.domain.account import AccountKind
from netbank.domain.enrolment import Version
from netbank.domain.identity import DocumentType
from netbank.services import auth, customers, factors, institutions, ledger, payments
from netbank.services.common import CustomerActor, Operator, Visitor
from netbank.services.counter import accounts, contract
from netbank.services.customers import OpenAccount, RegisterCustomer
from netbank.services.factors.totp import VerifyTOTP
from netbank.services.institutions import AddBranch, AddTeller
from netbank.services.ports import Deps

REPO = Path(__file__).resolve().parents[1]
INSTITUTION = "edb"
PAYERS = 8
STAFF_PASSWORD = "Teller#2026"  # noqa: S105 - a throwaway bench database
LOGIN_PASSWORD = "Netbank#2026"  # noqa: S105 - a throwaway bench database
OPENING_MINOR = 10**12
HTTP_CLIENTS = 8
#: Sign in again after this long: the step-up to the one-time-code level lasts 5 minutes.
STEP_UP_REFRESH_SECONDS = 180


@dataclass(frozen=True)
class Sizes:
    histories: tuple[int, ...]
    transfers: int  # per measurement and round
    http_transfers: int
    rounds: int


FULL = Sizes(histories=(10_000, 1_000_000), transfers=1000, http_transfers=600, rounds=5)
QUICK = Sizes(histories=(200, 2_000), transfers=60, http_transfers=40, rounds=1)


class Holder(NamedTuple):
    """A payer's card and contract, by database id."""

    account_id: int
    contract_id: int


@dataclass(frozen=True)
class Payer:
    card: str
    account_id: int
    contract_id: int
    token: str
    actor: CustomerActor


@dataclass
class Figure:
    per_second: list[float]
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return statistics.median(self.per_second)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def relative_to(self, other: Figure) -> float:
        """The median over rounds of this figure's throughput over ``other``'s in the same
        round: measured minutes apart, the two would mostly compare the machine's load."""
        return statistics.median(a / b for a, b in zip(self.per_second, other.per_second, strict=True))


# --- the world -------------------------------------------------------------------------


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def make_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        policy_dir=REPO / "policies",
        identity_seal_key=_new_key(),
        identity_lookup_key=_new_key(),
        secrets_key=_new_key(),
        outbox_in_process=False,
    )


OPERATOR = Operator("bench")
VISITOR = Visitor("bench")


def enrol_payers(deps: Deps) -> list[tuple[str, str]]:
    """An institution with a teller, and OTP-version customers with a well-filled card each:
    (card number, otpauth URI)."""
    institutions.sync_institutions(deps, OPERATOR)
    institutions.add_branch(
        deps, OPERATOR, AddBranch(institution_code=INSTITUTION, branch_code="B1", name="B1")
    )
    institutions.add_teller(
        deps,
        OPERATOR,
        AddTeller(
            institution_code=INSTITUTION,
            branch_code="B1",
            teller_number="T001",
            name="Teller One",
            password=STAFF_PASSWORD,
        ),
    )
    issued = auth.login_teller(
        deps,
        VISITOR,
        auth.TellerLogin(institution_code=INSTITUTION, teller_number="T001", password=STAFF_PASSWORD),
    )
    teller = auth.authenticate_teller(deps, issued.token)
    today = deps.today_in("Asia/Shanghai")
    out = []
    for n in range(PAYERS):
        birth = years_ago(today, 30 + n)
        number, card = f"B{n:06d}", f"62{n:014d}"
        doc = cn_id(birth, n + 1)
        customers.register_customer(
            deps,
            OPERATOR,
            RegisterCustomer(
                institution_code=INSTITUTION,
                customer_number=number,
                name=f"客户{n}",
                birth_date=birth,
                mobile=f"139{n:08d}",
                document_type=DocumentType.CN_RESIDENT_ID,
                document_number=doc,
                document_expires_on=today + timedelta(days=3650),
            ),
        )
        customers.open_account(
            deps,
            OPERATOR,
            OpenAccount(
                institution_code=INSTITUTION,
                customer_number=number,
                number=card,
                kind=AccountKind.DEBIT_MAIN_CARD,
                pin="123456",
                balance_minor=OPENING_MINOR,
            ),
        )
        check = accounts.record_identity_check(
            deps,
            teller,
            accounts.RecordIdentityCheck(
                customer_number=number, document_type=DocumentType.CN_RESIDENT_ID, document_number=doc
            ),
        )
        receipt = contract.add_contract(
            deps,
            teller,
            contract.AddContract(
                customer_number=number,
                identity_check_id=check.id or 0,
                version=Version.OTP,
                registration_account_number=card,
                login_password=LOGIN_PASSWORD,
                otp_phone="13912345678",
            ),
        )
        assert receipt.otp_enrolment is not None
        out.append((card, receipt.otp_enrolment.otpauth_uri))
    return out


def sign_in(deps: Deps, engine: Engine, enrolled: list[tuple[str, str]]) -> list[Payer]:
    """Log in and step up with TOTP (level 30, the OTP version's limits) through the services;
    the same session tokens serve the HTTP clients."""
    payers = []
    for n, (card, uri) in enumerate(enrolled):
        visitor = Visitor(f"bench-{n}")
        issued = auth.login_with_password(
            deps,
            visitor,
            auth.PasswordLogin(institution_code=INSTITUTION, login_id=card, password=LOGIN_PASSWORD),
        )
        actor = auth.authenticate_customer(deps, issued.token, visitor.client)
        totp = pyotp.parse_uri(uri)
        assert isinstance(totp, pyotp.TOTP)
        factors.TOTP.verify(deps, actor, VerifyTOTP(totp.now()))
        actor = auth.authenticate_customer(deps, issued.token)
        assert actor.contract_id is not None
        with engine.connect() as conn:
            account_id = conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == card)).scalar_one()
        payers.append(Payer(card, int(account_id), actor.contract_id, issued.token, actor))
    return payers


def seed_history(engine: Engine, payers: list[Holder], institution_id: int, postings: int) -> None:
    """``postings`` past transfers between the payers (one posting, two entries, one transfer
    row each, spread over the last year), written with bulk Core inserts; the stored
    balances and day-usage rows are brought in line, so the ledger still verifies."""
    chunk = 20_000
    now = datetime.now(UTC)
    today = now.date()
    with engine.begin() as conn:
        balances = {
            int(i): int(b)
            for i, b in conn.execute(
                select(t.accounts.c.id, t.accounts.c.balance_minor).where(
                    t.accounts.c.id.in_([p.account_id for p in payers])
                )
            )
        }
        posting_id = int(conn.execute(select(func.coalesce(func.max(t.postings.c.id), 0))).scalar_one())
        entry_id = int(conn.execute(select(func.coalesce(func.max(t.entries.c.id), 0))).scalar_one())
        transfer_id = int(conn.execute(select(func.coalesce(func.max(t.transfers.c.id), 0))).scalar_one())
        usage: dict[tuple[int, date], int] = {}
        done = 0
        while done < postings:
            rows_p: list[dict[str, Any]] = []
            rows_e: list[dict[str, Any]] = []
            rows_t: list[dict[str, Any]] = []
            for i in range(done, min(done + chunk, postings)):
                payer, payee = payers[i % len(payers)], payers[(i + 1) % len(payers)]
                amount = 1 + i % 7
                day = today - timedelta(days=1 + (postings - i) * 365 // postings)
                at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
                posting_id += 1
                transfer_id += 1
                rows_p.append(
                    {
                        "id": posting_id,
                        "institution_id": institution_id,
                        "kind": "transfer",
                        "created_at": at,
                        "business_date": day,
                        "description": "transfer (history)",
                        "reference": "",
                        "contract_id": payer.contract_id,
                        "reverses_id": None,
                    }
                )
                balances[payer.account_id] -= amount
                balances[payee.account_id] += amount
                for side, account in (("D", payer), ("C", payee)):
                    entry_id += 1
                    rows_e.append(
                        {
                            "id": entry_id,
                            "posting_id": posting_id,
                            "side": side,
                            "amount_minor": amount,
                            "currency": "CNY",
                            "account_id": account.account_id,
                            "gl_account_id": None,
                            "balance_after_minor": balances[account.account_id],
                        }
                    )
                rows_t.append(
                    {
                        "id": transfer_id,
                        "institution_id": institution_id,
                        "contract_id": payer.contract_id,
                        "idempotency_key": f"history-{i}",
                        "request_digest": "0" * 64,
                        "kind": "internal",
                        "payer_account_id": payer.account_id,
                        "amount_minor": amount,
                        "currency": "CNY",
                        "created_at": at,
                        "business_date": day,
                        "auth_level": 30,
                        "posting_id": posting_id,
                        "payee_account_id": payee.account_id,
                        "payee_code": None,
                        "reference": "",
                        "status": "completed",
                        "reversal_posting_id": None,
                    }
                )
                usage[(payer.contract_id, day)] = usage.get((payer.contract_id, day), 0) + amount
            conn.execute(insert(t.postings), rows_p)
            conn.execute(insert(t.entries), rows_e)
            conn.execute(insert(t.transfers), rows_t)
            done += len(rows_p)
        conn.execute(
            insert(t.daily_usage),
            [
                {"contract_id": c, "business_date": d, "transfers_minor": v, "bill_payments_minor": 0}
                for (c, d), v in usage.items()
            ],
        )
        for account_id, balance in balances.items():
            conn.execute(
                update(t.accounts).where(t.accounts.c.id == account_id).values(balance_minor=balance)
            )


# --- the three ways to book -------------------------------------------------------------


def bare_transfer(engine: Engine, institution_id: int, today: date) -> Callable[[int, Payer, Payer], None]:
    """The same rows as a transfer, written with nothing around them."""
    a, u = t.accounts, t.daily_usage

    def book(n: int, payer: Payer, payee: Payer) -> None:
        now = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(
                insert(u)
                .prefix_with("OR IGNORE")
                .values(
                    contract_id=payer.contract_id,
                    business_date=today,
                    transfers_minor=0,
                    bill_payments_minor=0,
                )
            )
            conn.execute(
                update(u)
                .where(u.c.contract_id == payer.contract_id, u.c.business_date == today)
                .values(transfers_minor=u.c.transfers_minor + 1)
            )
            after = {}
            for account, delta in ((payer, -1), (payee, 1)):
                after[account.account_id] = conn.execute(
                    update(a)
                    .where(a.c.id == account.account_id)
                    .values(balance_minor=a.c.balance_minor + delta)
                    .returning(a.c.balance_minor)
                ).scalar_one()
            posting_id = conn.execute(
                insert(t.postings)
                .values(
                    institution_id=institution_id,
                    kind="transfer",
                    created_at=now,
                    business_date=today,
                    description="transfer (bare)",
                    reference="",
                    contract_id=payer.contract_id,
                )
                .returning(t.postings.c.id)
            ).scalar_one()
            conn.execute(
                insert(t.entries),
                [
                    {
                        "posting_id": posting_id,
                        "side": side,
                        "amount_minor": 1,
                        "currency": "CNY",
                        "account_id": account.account_id,
                        "gl_account_id": None,
                        "balance_after_minor": after[account.account_id],
                    }
                    for side, account in (("D", payer), ("C", payee))
                ],
            )
            conn.execute(
                insert(t.transfers).values(
                    institution_id=institution_id,
                    contract_id=payer.contract_id,
                    idempotency_key=f"bare-{n}",
                    request_digest="0" * 64,
                    kind="internal",
                    payer_account_id=payer.account_id,
                    amount_minor=1,
                    currency="CNY",
                    created_at=now,
                    business_date=today,
                    auth_level=30,
                    posting_id=posting_id,
                    payee_account_id=payee.account_id,
                    reference="",
                    status="completed",
                )
            )

    return book


def service_transfer(deps: Deps) -> Callable[[int, Payer, Payer], None]:
    def book(n: int, payer: Payer, payee: Payer) -> None:
        payments.make_transfer(
            deps,
            payer.actor,
            payments.MakeTransfer(
                idempotency_key=f"svc-{n}",
                from_account=payer.card,
                to_account=payee.card,
                amount_minor=1,
            ),
        )

    return book


def run_sequential(
    book: Callable[[int, Payer, Payer], None], payers: list[Payer], first: int, count: int
) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for n in range(first, first + count):
        payer, payee = payers[n % len(payers)], payers[(n + 1) % len(payers)]
        t0 = time.perf_counter()
        book(n, payer, payee)
        latencies.append(time.perf_counter() - t0)
    return count / (time.perf_counter() - started), latencies


def run_http(url: str, payers: list[Payer], first: int, count: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    per_client = count // HTTP_CLIENTS
    barrier = threading.Barrier(HTTP_CLIENTS + 1)

    def client(c: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, timeout=60) as http:
            barrier.wait()
            for k in range(per_client):
                n = first + c * per_client + k
                payer, payee = payers[n % len(payers)], payers[(n + 1) % len(payers)]
                t0 = time.perf_counter()
                r = http.post(
                    "/api/v1/me/transfers",
                    headers={"Authorization": f"Bearer {payer.token}"},
                    json={
                        "idempotency_key": f"http-{n}",
                        "from_account": payer.card,
                        "to_account": payee.card,
                        "amount_minor": 1,
                    },
                )
                mine.append(time.perf_counter() - t0)
                if r.status_code != 201:
                    with lock:
                        failures.append(f"{r.status_code} {r.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(HTTP_CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} transfers refused, e.g. {failures[0]}")
    return per_client * HTTP_CLIENTS / elapsed, latencies


# --- the server ---------------------------------------------------------------------------


@contextmanager
def server(settings: Settings, log: Path) -> Iterator[str]:
    with serve(settings, log) as url:
        yield url


# --- one history size ---------------------------------------------------------------------


class Bed:
    """One database with its history, its payers and its own running server."""

    def __init__(self, history: int, workdir: Path) -> None:
        self.history = history
        self.data_dir = workdir / f"h{history}"
        self.data_dir.mkdir()
        self.url = f"sqlite:///{self.data_dir / 'netbank.sqlite3'}"
        upgrade(self.url)
        self.settings = make_settings(self.url, self.data_dir)
        self.state = bootstrap(self.settings)
        self.enrolled = enrol_payers(self.state.deps)
        with self.state.engine.connect() as conn:
            self.institution_id = int(
                conn.execute(
                    select(t.institutions.c.id).where(t.institutions.c.code == INSTITUTION)
                ).scalar_one()
            )
            ids = dict(
                conn.execute(
                    select(t.accounts.c.number, t.accounts.c.id).where(
                        t.accounts.c.number.in_([card for card, _ in self.enrolled])
                    )
                ).all()
            )
            contracts = dict(
                conn.execute(
                    select(t.contracts.c.customer_id, t.contracts.c.id).where(
                        t.contracts.c.status == "active"
                    )
                ).all()
            )
            owners = dict(
                conn.execute(
                    select(t.accounts.c.id, t.accounts.c.customer_id).where(
                        t.accounts.c.id.in_(list(ids.values()))
                    )
                ).all()
            )
        self.accounts = [
            Holder(int(ids[card]), int(contracts[owners[ids[card]]])) for card, _ in self.enrolled
        ]
        started = time.perf_counter()
        seed_history(self.state.engine, self.accounts, self.institution_id, history)
        print(f"seeded {history:,} postings in {time.perf_counter() - started:.1f} s", flush=True)
        self.figures = {name: Figure([], []) for name in ("bare", "service", "http")}
        self.next_key = 0

    def start(self, stack: ExitStack) -> None:
        """Sign the payers in (the step-up lasts minutes: do it just before measuring) and
        start this database's server."""
        self.payers = sign_in(self.state.deps, self.state.engine, self.enrolled)
        self.signed_in_at = time.monotonic()
        self.base_url = stack.enter_context(server(self.settings, self.data_dir / "server.log"))
        today = self.state.deps.today_in("Asia/Shanghai")
        self.books = {
            "bare": bare_transfer(self.state.engine, self.institution_id, today),
            "service": service_transfer(self.state.deps),
        }

    def round(self, sizes: Sizes) -> None:
        if time.monotonic() - self.signed_in_at > STEP_UP_REFRESH_SECONDS:
            # The step-up lasts five minutes (policy); a fresh TOTP code is well past the
            # last one used by now, so it is not taken for a replay.
            self.payers = sign_in(self.state.deps, self.state.engine, self.enrolled)
            self.signed_in_at = time.monotonic()
        for name, book in self.books.items():
            rate, latencies = run_sequential(book, self.payers, self.next_key, sizes.transfers)
            self.figures[name].per_second.append(rate)
            self.figures[name].latencies.extend(latencies)
            self.next_key += sizes.transfers
        rate, latencies = run_http(self.base_url, self.payers, self.next_key, sizes.http_transfers)
        self.figures["http"].per_second.append(rate)
        self.figures["http"].latencies.extend(latencies)
        self.next_key += sizes.http_transfers

    def close(self) -> None:
        if self.history <= 100_000:
            report = ledger.verify_ledger(self.state.deps)
            if not report.ok:
                raise RuntimeError(f"ledger does not verify after the run: {report}")
        self.state.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="netbank-bench-") as tmp, ExitStack() as stack:
        beds = [Bed(history, Path(tmp)) for history in sizes.histories]
        for bed in beds:
            stack.callback(bed.close)
            bed.start(stack)
        # Rounds alternate the databases, and which goes first, so a change in the machine's
        # load falls on both.
        for n in range(sizes.rounds):
            print(f"round {n + 1} of {sizes.rounds}", flush=True)
            for bed in beds if n % 2 == 0 else beds[::-1]:
                bed.round(sizes)
        for bed in beds:
            print(f"history of {bed.history:,} postings", flush=True)
            bare = bed.figures["bare"]
            for name, figure in bed.figures.items():
                print(
                    f"  {name:8} {figure.throughput:8.0f}/s  p50 {figure.quantile(0.5):6.2f} ms  "
                    f"p99 {figure.quantile(0.99):6.2f} ms  ratio to bare {figure.relative_to(bare):.2f}"
                    f"  (rounds: {' '.join(f'{x:.0f}' for x in figure.per_second)})",
                    flush=True,
                )
        small, large = beds[0].figures, beds[-1].figures
    for name in ("bare", "service", "http"):
        change = large[name].relative_to(small[name])
        print(
            f"{name}: throughput at {sizes.histories[-1]:,} postings = {change:.2f} x at "
            f"{sizes.histories[0]:,} (target >= 0.80)"
        )
    print(f"service / bare at {sizes.histories[-1]:,} postings (target >= 0.50)")
    print(f"ratio={large['service'].relative_to(large['bare']):.2f}")


if __name__ == "__main__":
    main()
