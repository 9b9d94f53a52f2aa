"""Property tests of the ledger and the limits (L1-L4, G1-G2, C2, C3, E6, E10): random
sequences of transfers (own, to another customer, bills), retries, reversals, fees, own-limit
changes, status flags and clock moves across business days, against the real service layer,
on SQLite and PostgreSQL, each example on a fresh database.

A small model (balances, each day's usage, own limits, flags, links) predicts every outcome:
an operation the model accepts must be accepted, one it refuses must be refused for one of the
reasons it names. After every step: every posting balances and every stored balance (customer
and GL) equals the sum of its entries; the balances equal the model's and none is below zero;
each day's usage equals the accepted payments and stays within the version's daily limit; a
refused or replayed request changed no row of the database."""

from __future__ import annotations

import shutil
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from netbank.adapters.clock import SettableClock
from netbank.adapters.db.tables import accounts, daily_usage, transfers
from netbank.adapters.policies import StaticPolicyBook
from netbank.bootstrap import App, bootstrap
from netbank.domain.enrolment import Version
from netbank.domain.errors import DomainError
from netbank.domain.ledger import TransferKind
from netbank.domain.session import AuthLevel
from netbank.services import auth, enrolment, ledger, limits, payments
from netbank.services.common import CustomerActor, TellerActor
from netbank.services.counter import accounts as account_counter
from netbank.services.counter import certificates, contract
from netbank.services.ports import Deps
from tests.builders import (
    LOGIN_PASSWORD,
    PIN,
    VISITOR,
    Person,
    check_identity,
    make_account,
    make_customer,
    setup_institutions,
    snapshot,
    teller,
)
from tests.conftest import make_settings
from tests.payments import add_payees

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai: days turn over early
#: edb's limits (policies/edb.toml) by level: (per transaction, daily, bill payments a day).
LEVEL_LIMITS: dict[int, tuple[int | None, int, int]] = {
    20: (0, 0, 50_000),
    30: (None, 1_000_000, 0),
    40: (None, 100_000_000, 0),
}
CEILING = {Version.ORDINARY: 20, Version.OTP: 30, Version.CERTIFICATE: 40}
FEES = {"ukey_generation_1": 6_000, "ukey_generation_2": 12_000, "certificate_renewal": 2_000}
LIMIT_CODES = {
    "L1_PER_TRANSACTION_LIMIT_EXCEEDED",
    "L2_DAILY_LIMIT_EXCEEDED",
    "L2_BILL_PAYMENT_LIMIT_EXCEEDED",
    "L2_VERSION_CANNOT_TRANSFER",
}
AMOUNTS = st.one_of(
    st.integers(1, 60_000),
    st.integers(1, 300_000),
    st.integers(1, 1_200_000),
    st.sampled_from([50_000, 1_000_000, 1_000_001]),
    st.integers(1_000_000, 120_000_000),
)
#: Who pays: mostly the customers who can transfer (the ordinary version only pays bills).
PAYERS = st.sampled_from(["otp", "otp", "certificate", "certificate", "ordinary"])
LEVELS = st.sampled_from([AuthLevel.PASSWORD, *[AuthLevel.ONE_TIME_CODE, AuthLevel.CERTIFICATE] * 2])
LIMIT_VALUES = st.one_of(
    st.none(), st.integers(0, 60_000), st.integers(0, 1_200_000), st.integers(0, 120_000_000)
)
PROFILE = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_serials = count(1)


@dataclass
class Holder:
    """The model of one enrolled customer."""

    version: Version
    person: Person
    actor: CustomerActor
    card: str
    accounts: list[str]
    counter_linked: set[str]
    online_linked: set[str]
    own_per_transaction: int | None = None
    own_daily: int | None = None
    #: business date -> [transfers, bill payments] accepted (less reversals)
    usage: dict[date, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    @property
    def contract_id(self) -> int:
        assert self.actor.contract_id is not None
        return self.actor.contract_id

    def cap(self) -> int | None:
        """The day's cap whatever the level (L1/L2): the version's daily limit or a lower own one."""
        daily = LEVEL_LIMITS[CEILING[self.version]][1]
        if daily == 0:
            return None
        return daily if self.own_daily is None else min(daily, self.own_daily)

    def fits(self, level: int, amount: int, day: date, *, bill: bool) -> bool:
        per, daily, bill_limit = LEVEL_LIMITS[level]
        if self.own_per_transaction is not None:
            per = self.own_per_transaction if per is None else min(per, self.own_per_transaction)
        if self.own_daily is not None:
            daily = min(daily, self.own_daily)
        t, b = self.usage[day]
        if bill and bill_limit > 0:
            return b + amount <= bill_limit
        if daily == 0 or (per is not None and amount > per):
            return False
        return t + b + amount <= daily

    def limit_outcome(self, level: int, amount: int, day: date, *, bill: bool) -> set[str] | None:
        """None when the limits let the payment through at this level, else what they answer."""
        ceiling = CEILING[self.version]
        effective = min(level, ceiling)
        cap = self.cap()
        within_cap = cap is None or sum(self.usage[day]) + amount <= cap
        if self.fits(effective, amount, day, bill=bill):
            return None if within_cap else {"L2_DAILY_LIMIT_EXCEEDED"}
        for stronger in (30, 40):
            if effective < stronger <= ceiling and self.fits(stronger, amount, day, bill=bill):
                return {"K2_STEP_UP_REQUIRED"} if within_cap else {"L2_DAILY_LIMIT_EXCEEDED"}
        return LIMIT_CODES


@dataclass
class Booked:
    transfer_id: int
    holder: str
    payer: str
    payee: str | None
    amount: int
    day: date
    bill: bool
    reversed: bool = False


def machine_for(
    outcomes: Counter[str],
    deps_factory: Callable[[SettableClock], tuple[App, Callable[[], None]]],
) -> type[RuleBasedStateMachine]:
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.clock = SettableClock(T0)
            self.app, self._drop = deps_factory(self.clock)
            self.deps: Deps = self.app.deps
            setup_institutions(self.deps, "edb")
            add_payees(self.deps, "edb")
            self.teller: TellerActor = teller(self.deps)
            self.balances: dict[str, int] = {}
            self.flagged: set[str] = set()
            self.owner: dict[str, str] = {}
            self.booked: list[Booked] = []
            self.last: tuple[str, payments.TransferRequest, AuthLevel] | None = None
            self.fee_income = 0
            self.holders = {
                "otp": self._counter_customer(Version.OTP, 3_000_000, extra=[0, 100_000, 50_000]),
                "certificate": self._counter_customer(Version.CERTIFICATE, 150_000_000, extra=[0, 10_000]),
                "ordinary": self._ordinary(100_000, 10_000),
            }
            stranger = make_customer(self.deps)
            self._account(stranger, "stranger", 0)

        def teardown(self) -> None:
            self.app.close()
            self._drop()

        # --- set-up -------------------------------------------------------------------

        def _account(self, person: Person, who: str, balance: int) -> str:
            number = make_account(self.deps, person, balance_minor=balance, label=f"a{len(self.owner)}")
            self.balances[number] = balance
            self.owner[number] = who
            return number

        def _login(self, card: str) -> CustomerActor:
            issued = auth.login_with_password(
                self.deps,
                VISITOR,
                auth.PasswordLogin(institution_code="edb", login_id=card, password=LOGIN_PASSWORD),
            )
            return auth.authenticate_customer(self.deps, issued.token)

        def _counter_customer(self, version: Version, card_balance: int, extra: list[int]) -> Holder:
            """Enrolled at the counter: the card, one account added with 819102, for the OTP
            customer one linked online (E10), and the last one not linked at all."""
            who = version.value
            p = make_customer(self.deps)
            card = self._account(p, who, card_balance)
            others = [self._account(p, who, b) for b in extra]
            check = check_identity(self.deps, self.teller, p)
            medium: dict[str, Any] = (
                {"otp_phone": "13912345678"}
                if version is Version.OTP
                else {"ukey_serial": "UK2-0001", "ukey_generation": 2}
            )
            contract.add_contract(
                self.deps,
                self.teller,
                contract.AddContract(
                    customer_number=p.number,
                    identity_check_id=check,
                    version=version,
                    registration_account_number=card,
                    login_password=LOGIN_PASSWORD,
                    **medium,
                ),
            )
            contract.add_linked_account(
                self.deps,
                self.teller,
                contract.AddLinkedAccount(
                    customer_number=p.number, identity_check_id=check, account_number=others[0]
                ),
            )
            actor = self._login(card)
            online: set[str] = set()
            if version is Version.OTP:
                enrolment.link_account_online(
                    self.deps, actor, enrolment.LinkAccountOnline(account_number=others[1], account_pin=PIN)
                )
                online.add(others[1])
            return Holder(version, p, actor, card, [card, *others], {card, others[0]}, online)

        def _ordinary(self, card_balance: int, other_balance: int) -> Holder:
            p = make_customer(self.deps)
            card = self._account(p, "ordinary", card_balance)
            other = self._account(p, "ordinary", other_balance)
            enrolment.self_register(
                self.deps,
                VISITOR,
                enrolment.SelfRegister(
                    institution_code="edb",
                    card_number=card,
                    account_pin=PIN,
                    name=p.name,
                    document_type=p.doc_type,
                    document_number=p.doc_number,
                    login_password=LOGIN_PASSWORD,
                ),
            )
            return Holder(Version.ORDINARY, p, self._login(card), card, [card, other], {card}, set())

        # --- helpers --------------------------------------------------------------------

        def today(self) -> date:
            return self.clock.now().astimezone(SHANGHAI).date()

        def attempt(self, call: Callable[[], Any], expected: set[str] | None) -> Any:
            """Run ``call``: accepted when the model expects it, else refused with one of the
            expected codes and nothing changed."""
            before = snapshot(self.app.engine)
            try:
                result = call()
            except DomainError as e:
                outcomes[e.code.value] += 1
                assert expected is not None, f"refused with {e.code.value}, the model expected it to pass"
                assert e.code.value in expected, f"refused with {e.code.value}, expected one of {expected}"
                assert snapshot(self.app.engine) == before, "a refusal changed the database"
                return None
            assert expected is None, f"accepted; the model expected one of {expected}"
            outcomes[type(result).__name__] += 1
            return result

        def pay(
            self, who: str, req: payments.TransferRequest, level: AuthLevel, expected: set[str] | None
        ) -> None:
            h = self.holders[who]
            actor = replace(h.actor, level=level)
            day = self.today()
            used_before = sum(h.usage[day])
            result = self.attempt(lambda: payments.book_transfer(self.deps, actor, req), expected)
            if result is None:
                return
            assert not result.replayed
            bill = req.is_bill
            if result is not None and not bill:  # the service's finding, from the payee it locked
                own = self.owner[req.to_account or ""] == who
                assert result.transfer.kind is (TransferKind.OWN if own else TransferKind.INTERNAL)
            cap = h.cap()
            # The day's total within the limit in force when the payment was accepted.
            if cap is not None:
                assert used_before + req.amount_minor <= cap
            else:
                assert bill and h.usage[day][1] + req.amount_minor <= LEVEL_LIMITS[20][2]
            if h.own_per_transaction is not None and not (bill and min(level, CEILING[h.version]) == 20):
                assert req.amount_minor <= h.own_per_transaction
            self.balances[req.from_account] -= req.amount_minor
            if req.to_account is not None:
                self.balances[req.to_account] += req.amount_minor
            h.usage[day][1 if bill else 0] += req.amount_minor
            assert result.transfer.id is not None
            self.booked.append(
                Booked(result.transfer.id, who, req.from_account, req.to_account, req.amount_minor, day, bill)
            )
            self.last = (who, req, level)

        def payout_refusal(self, h: Holder, payer: str) -> set[str] | None:
            if payer in h.online_linked:
                return {"E10_LINK_NEEDS_COUNTER"}
            if payer not in h.counter_linked:
                return {"E6_PAYER_NOT_LINKED"}
            return None

        def after_limits(
            self, h: Holder, payer: str, amount: int, level: int, *, bill: bool
        ) -> set[str] | None:
            if payer in self.flagged:
                return {"C3_ACCOUNT_BLOCKED_FOR_PAYOUT"}
            limits = h.limit_outcome(level, amount, self.today(), bill=bill)
            if limits is not None:
                return limits
            if self.balances[payer] < amount:
                return {"C2_INSUFFICIENT_FUNDS"}
            return None

        # --- rules ------------------------------------------------------------------------

        @rule(
            data=st.data(),
            who=PAYERS,
            level=LEVELS,
            amount=AMOUNTS,
        )
        def transfer(self, data: st.DataObject, who: str, level: AuthLevel, amount: int) -> None:
            h = self.holders[who]
            payer = data.draw(st.sampled_from(sorted(h.counter_linked) * 3 + h.accounts), label="payer")
            payee = data.draw(st.sampled_from(sorted(self.owner)), label="payee")
            self.transfer_from(who, payer, payee, amount, level)

        def transfer_from(self, who: str, payer: str, payee: str, amount: int, level: AuthLevel) -> None:
            h = self.holders[who]
            req = payments.TransferRequest(f"k-{uuid.uuid4().hex}", payer, amount, to_account=payee)
            expected = self.payout_refusal(h, payer)
            if expected is None and payee == payer:
                expected = {"C2_SAME_ACCOUNT"}
            if expected is None:
                expected = self.after_limits(h, payer, amount, level, bill=False)
            self.pay(who, req, level, expected)

        @rule(
            data=st.data(),
            who=st.sampled_from(["otp", "certificate", "ordinary"]),
            level=st.sampled_from(
                [AuthLevel.PASSWORD, AuthLevel.PASSWORD, AuthLevel.ONE_TIME_CODE, AuthLevel.CERTIFICATE]
            ),
            amount=st.one_of(st.integers(1, 60_000), AMOUNTS),
            payee=st.sampled_from(["SH-POWER", "CMCC", "SH-POWER", "CMCC", "NOWHERE"]),
        )
        def pay_bill(self, data: st.DataObject, who: str, level: AuthLevel, amount: int, payee: str) -> None:
            h = self.holders[who]
            payer = data.draw(st.sampled_from(sorted(h.counter_linked) * 3 + h.accounts), label="payer")
            req = payments.TransferRequest(
                f"k-{uuid.uuid4().hex}",
                payer,
                amount,
                payee_code=payee,
                reference="2026-06",
            )
            expected = self.payout_refusal(h, payer)
            if expected is None and payee == "NOWHERE":
                expected = {"PAYEE_NOT_FOUND"}
            if expected is None:
                expected = self.after_limits(h, payer, amount, level, bill=True)
            self.pay(who, req, level, expected)

        @rule(
            data=st.data(),
            who=PAYERS,
            level=LEVELS,
        )
        def transfer_everything(self, data: st.DataObject, who: str, level: AuthLevel) -> None:
            """Empty one of the accounts that can pay out: what it received is spent again."""
            h = self.holders[who]
            received = [b.payee for b in self.booked[-3:] if b.payee in h.counter_linked]
            payer = data.draw(st.sampled_from(received * 3 + sorted(h.counter_linked)), label="payer")
            if self.balances[payer] > 0:
                payee = data.draw(st.sampled_from(sorted(set(self.owner) - {payer})), label="payee")
                self.transfer_from(who, payer, payee, self.balances[payer], level)

        @precondition(lambda self: any(self.spendable()))
        @rule(data=st.data())
        def spend_then_reverse(self, data: st.DataObject) -> None:
            """The payee spends what a transfer brought, then a teller reverses the transfer."""
            b = data.draw(st.sampled_from(self.spendable()), label="transfer")
            who = self.owner[b.payee or ""]
            payee = data.draw(st.sampled_from(sorted(set(self.owner) - {b.payee or ""})), label="to")
            top = AuthLevel(CEILING[self.holders[who].version])
            held = self.balances[b.payee or ""]
            spend = data.draw(st.integers(max(held - b.amount + 1, 1), max(held, 1)), label="spend")
            self.transfer_from(who, b.payee or "", payee, spend, top)
            self.reverse_booked(b)

        def spendable(self) -> list[Booked]:
            return [
                b
                for b in self.booked
                if not b.reversed
                and b.payee is not None
                and self.owner[b.payee] in self.holders
                and b.payee in self.holders[self.owner[b.payee]].counter_linked
            ]

        @precondition(lambda self: self.last is not None)
        @rule(amount_delta=st.integers(1, 1_000))
        def retry(self, amount_delta: int) -> None:
            """A retry returns the first result and changes nothing; the same key with another
            body is refused."""
            assert self.last is not None
            who, req, level = self.last
            actor = replace(self.holders[who].actor, level=level)
            before = snapshot(self.app.engine)
            again = payments.book_transfer(self.deps, actor, req)
            assert again.replayed and again.transfer.amount_minor == req.amount_minor
            assert snapshot(self.app.engine) == before
            other = replace(req, amount_minor=req.amount_minor + amount_delta)
            self.attempt(lambda: payments.book_transfer(self.deps, actor, other), {"IDEMPOTENCY_KEY_REUSED"})

        @precondition(lambda self: bool(self.booked))
        @rule(data=st.data())
        def reverse(self, data: st.DataObject) -> None:
            # The latest transfers most often: their money is the likeliest to be spent again.
            b = data.draw(st.sampled_from(self.booked[-3:] * 3 + self.booked), label="transfer")
            self.reverse_booked(b)

        def reverse_booked(self, b: Booked) -> None:
            expected: set[str] | None = None
            if b.reversed:
                expected = {"LEDGER_ALREADY_REVERSED"}
            elif b.payee is not None and self.balances[b.payee] < b.amount:
                expected = {"C2_INSUFFICIENT_FUNDS"}
            result = self.attempt(
                lambda: payments.reverse_transfer(
                    self.deps,
                    self.teller,
                    payments.ReverseTransfer(transfer_id=b.transfer_id, reason="property test"),
                ),
                expected,
            )
            if result is None:
                return
            b.reversed = True
            self.balances[b.payer] += b.amount
            if b.payee is not None:
                self.balances[b.payee] -= b.amount
            self.holders[b.holder].usage[b.day][1 if b.bill else 0] -= b.amount

        @rule(data=st.data(), kind=st.sampled_from(sorted(FEES)))
        def charge_fee(self, data: st.DataObject, kind: str) -> None:
            h = self.holders["certificate"]
            account = data.draw(
                st.sampled_from([*h.accounts, *sorted(n for n, w in self.owner.items() if w == "stranger")])
            )
            check = check_identity(self.deps, self.teller, h.person)
            fee = FEES[kind]
            expected: set[str] | None = None
            if h.card in self.flagged:
                expected = {"E11_ACCOUNT_STATUS_BLOCKS"}
            elif self.owner[account] != "certificate":
                expected = {"C2_ACCOUNT_NOT_CUSTOMERS"}
            elif account in self.flagged:
                expected = {"G1_FEE_ACCOUNT_NOT_USABLE"}
            elif self.balances[account] < fee:
                expected = {"C2_INSUFFICIENT_FUNDS"}

            def call() -> Any:
                at_counter = {
                    "customer_number": h.person.number,
                    "identity_check_id": check,
                    "registration_account_number": h.card,
                    "fee_account_number": account,
                }
                if kind == "certificate_renewal":
                    return certificates.renew_certificate(
                        self.deps, self.teller, certificates.RenewCertificate(**at_counter)
                    )
                generation = 1 if kind == "ukey_generation_1" else 2
                serial = f"UK{generation}-{next(_serials):06d}"
                return certificates.sell_ukey(
                    self.deps,
                    self.teller,
                    certificates.SellUKEY(**at_counter, ukey_generation=generation, ukey_serial=serial),
                )

            receipt = self.attempt(call, expected)
            if receipt is not None:
                assert receipt.details["fee_minor"] == fee
                self.balances[account] -= fee
                self.fee_income += fee

        @rule(who=st.sampled_from(["otp", "certificate", "ordinary"]), per=LIMIT_VALUES, daily=LIMIT_VALUES)
        def set_own_limits(self, who: str, per: int | None, daily: int | None) -> None:
            h = self.holders[who]
            per_cap, version_daily, _ = LEVEL_LIMITS[CEILING[h.version]]
            expected: set[str] | None = None
            if (daily is not None and daily > version_daily) or (
                per is not None and per_cap is not None and per > per_cap
            ):
                expected = {"L1_OWN_LIMIT_ABOVE_VERSION"}
            elif per is not None and per > (daily if daily is not None else version_daily):
                expected = {"L1_PER_TRANSACTION_ABOVE_DAILY"}
            if (
                self.attempt(
                    lambda: limits.set_own_limits(
                        self.deps, h.actor, limits.SetOwnLimits(per_transaction_minor=per, daily_minor=daily)
                    ),
                    expected,
                )
                is not None
            ):
                h.own_per_transaction, h.own_daily = per, daily

        @rule(data=st.data())
        def toggle_watch(self, data: st.DataObject) -> None:
            """C3: the bank puts an account under watch, or lifts it."""
            number = data.draw(st.sampled_from(sorted(n for n, w in self.owner.items() if w != "stranger")))
            flagged = number in self.flagged
            account_counter.change_status_flag(
                self.deps,
                self.teller,
                account_counter.ChangeStatusFlag(
                    customer_number=self.holders[self.owner[number]].person.number,
                    account_number=number,
                    flag="under_watch",
                    action="clear" if flagged else "set",
                ),
            )
            (self.flagged.discard if flagged else self.flagged.add)(number)

        @rule(minutes=st.one_of(st.integers(1, 90), st.integers(60, 36 * 60)))
        def advance_clock(self, minutes: int) -> None:
            self.clock.advance(timedelta(minutes=minutes))
            self.teller = teller(self.deps)  # the teller's session would have gone idle

        # --- invariants --------------------------------------------------------------------

        @invariant()
        def the_ledger_proves_itself(self) -> None:
            report = ledger.verify_ledger(self.deps)
            assert report.ok, report

        @invariant()
        def balances_are_the_models_and_never_below_zero(self) -> None:
            with self.app.engine.connect() as conn:
                stored = dict(conn.execute(select(accounts.c.number, accounts.c.balance_minor)).all())
            assert {n: stored[n] for n in self.balances} == self.balances
            assert min(stored.values()) >= 0

        @invariant()
        def each_days_usage_is_the_accepted_payments_within_the_version_limit(self) -> None:
            u = daily_usage.c
            with self.app.engine.connect() as conn:
                rows = conn.execute(
                    select(u.contract_id, u.business_date, u.transfers_minor, u.bill_payments_minor)
                )
                stored = {(c, d): [t, b] for c, d, t, b in rows if t or b}
                reversed_count = conn.execute(
                    select(transfers.c.id).where(transfers.c.status == "reversed")
                ).all()
            model = {
                (h.contract_id, d): used
                for h in self.holders.values()
                for d, used in h.usage.items()
                if any(used)
            }
            assert stored == model
            assert len(reversed_count) == sum(b.reversed for b in self.booked)
            for h in self.holders.values():
                version_daily = LEVEL_LIMITS[CEILING[h.version]][1]
                for t, b in h.usage.values():
                    if h.version is Version.ORDINARY:
                        assert t == 0 and b <= LEVEL_LIMITS[20][2]
                    else:
                        assert t + b <= version_daily

    return LedgerMachine


@pytest.fixture
def fresh_databases(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, policies: StaticPolicyBook
) -> Iterator[Callable[[SettableClock], tuple[App, Callable[[], None]]]]:
    """A factory of migrated, empty databases on the test's backend: one per example."""
    made = count(1)

    def factory(clock: SettableClock) -> tuple[App, Callable[[], None]]:
        n = next(made)
        folder = tmp_path / f"example-{n}"
        folder.mkdir()
        if backend == "sqlite":
            template: Path = request.getfixturevalue("sqlite_template")
            target = folder / "netbank.sqlite3"
            shutil.copyfile(template, target)
            url = f"sqlite:///{target}"

            def drop() -> None:
                target.unlink()

        else:
            server = request.getfixturevalue("pg_server")
            name = f"p_{uuid.uuid4().hex[:16]}"
            server.admin(f"CREATE DATABASE {name} TEMPLATE netbank_template")
            url = server.url(name)

            def drop() -> None:
                server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

        return bootstrap(make_settings(url, folder), clock=clock, policies=policies), drop

    yield factory


def test_the_ledger_and_the_limits_hold_under_any_sequence_of_operations(
    fresh_databases: Callable[[SettableClock], tuple[App, Callable[[], None]]],
) -> None:
    outcomes: Counter[str] = Counter()
    run_state_machine_as_test(machine_for(outcomes, fresh_databases), settings=PROFILE)
    # The run really moved money and met the rules (not only refusals of the first check).
    exercised = {"TransferResult", "Transfer", "Receipt", "LimitsView", "K2_STEP_UP_REQUIRED"}
    exercised |= {"L1_PER_TRANSACTION_LIMIT_EXCEEDED", "L2_DAILY_LIMIT_EXCEEDED", "C2_INSUFFICIENT_FUNDS"}
    assert {name for name in exercised if outcomes[name] == 0} == set()
