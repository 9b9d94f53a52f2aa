"""L1-L3 limits in the domain (``netbank.domain.limits`` and ``VersionLimits``), without I/O
other than reading the shipped policy files: per-transaction <= daily <= system (L1), the
version defaults (L2) and the Korean channel limit (L3) in policies/, the limits chosen by the
level a session reached, the customer's own lower limits, bill payments beside transfers, and
the daily cap. Every boundary is tried at the limit (allowed) and one minor unit past it
(refused with its code and params).

L4 (the business day in the institution's zone, two racing transfers never passing a limit
together) needs the clock and a database: tests/integration/test_transfers.py and
tests/property/test_ledger_properties.py prove it. Here a ``DailyUsage`` is simply given."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from netbank.domain.enrolment import Version
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.limits import (
    LEVEL_VERSION,
    VERSION_CEILING,
    DailyUsage,
    OwnLimits,
    daily_cap,
    ensure_own_limits_within,
    ensure_within_daily_cap,
    ensure_within_limits,
    fits,
    limits_at,
    usable_level,
)
from netbank.domain.money import exponent_of
from netbank.domain.policy import Policy, VersionLimits
from netbank.domain.session import AuthLevel
from tests.unit.domain.builders import TODAY

POLICIES = Path(__file__).resolve().parents[3] / "policies"
SHIPPED = sorted(path.stem for path in POLICIES.glob("*.toml"))
#: The policy a deployment gets where its file is silent: L2 in CNY fen.
DEFAULT = Policy(institution_code="spec", currency="CNY", timezone="Asia/Shanghai")
OTP = VersionLimits(None, 1_000_000)  # 10,000.00 CNY a day
ORDINARY = VersionLimits(0, 0, bill_payment_daily_minor=50_000)  # bills 500.00 CNY a day
LEVELS = list(AuthLevel)


@cache
def policy_file(code: str) -> Policy:
    with (POLICIES / f"{code}.toml").open("rb") as fh:
        return Policy.from_mapping(tomllib.load(fh))


KOREAN = [code for code in SHIPPED if policy_file(code).currency == "KRW"]


def major(amount: int, currency: str) -> int:
    """``amount`` whole units of ``currency`` in its minor units."""
    return amount * 10 ** exponent_of(currency)


def used(transfers_minor: int = 0, bill_payments_minor: int = 0) -> DailyUsage:
    return DailyUsage(1, TODAY, transfers_minor, bill_payments_minor)


def own(per_transaction_minor: int | None = None, daily_minor: int | None = None) -> OwnLimits:
    return OwnLimits(1, per_transaction_minor, daily_minor)


def refusal(call: Callable[[], object]) -> tuple[Code, dict[str, object]]:
    with pytest.raises(RuleViolation) as caught:
        call()
    return caught.value.code, caught.value.params


def refused_payment(
    limits: VersionLimits, amount_minor: int, usage: DailyUsage, *, bill: bool
) -> tuple[Code, dict[str, object]]:
    """The code and params ``ensure_within_limits`` refuses this payment with."""
    return refusal(lambda: ensure_within_limits(limits, amount_minor, usage, bill=bill))


def test_the_policy_files_are_found() -> None:
    assert "edb" in SHIPPED and KOREAN


# --- L1: per-transaction <= daily <= system --------------------------------------------------


@pytest.mark.rule("L1", kind="allow")
@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_policy_keeps_per_transaction_within_daily_within_system(code: str) -> None:
    policy = policy_file(code)
    assert set(policy.limits) == set(Version)
    for version in Version:
        limits = policy.limits_for(version)
        assert 0 <= limits.daily_minor <= policy.system_limit_minor
        if limits.per_transaction_minor is not None:
            assert 0 <= limits.per_transaction_minor <= limits.daily_minor


@pytest.mark.rule("L1", kind="allow")
def test_limits_exactly_at_the_next_bound_are_valid() -> None:
    VersionLimits(1_000, 1_000).check(1_000)
    VersionLimits(None, 1_000).check(1_000)
    VersionLimits(0, 0).check(0)


@pytest.mark.rule("L1", kind="refuse")
@pytest.mark.parametrize(
    ("limits", "system_minor"),
    [
        (VersionLimits(None, 1_001), 1_000),  # daily above the system limit
        (VersionLimits(1_001, 1_000), 10_000),  # per transaction above daily
        (VersionLimits(None, -1), 1_000),
        (VersionLimits(-1, 1_000), 1_000),
    ],
)
def test_limits_out_of_order_are_refused(limits: VersionLimits, system_minor: int) -> None:
    with pytest.raises(ValueError, match="L1"):
        limits.check(system_minor)


@pytest.mark.rule("L1", kind="refuse")
def test_a_policy_file_with_a_daily_limit_above_the_system_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="L1: daily limit"):
        Policy.from_mapping(
            {
                "institution": {"code": "x", "currency": "CNY", "timezone": "Asia/Shanghai"},
                "limits": {"system_minor": 1_000_000, "otp": {"daily_minor": 1_000_001}},
            }
        )


# --- L2 / L3: the version limits of the policies ----------------------------------------------


@pytest.mark.rule("L2", kind="allow")
def test_the_domain_defaults_are_the_l2_limits_in_cny_fen() -> None:
    assert dict(DEFAULT.limits) == {
        Version.CARD_PASSBOOK: VersionLimits(0, 0),
        Version.ORDINARY: VersionLimits(0, 0, bill_payment_daily_minor=50_000),
        Version.OTP: VersionLimits(None, 1_000_000),
        Version.CERTIFICATE: VersionLimits(None, 100_000_000),
    }


@pytest.mark.rule("L2", kind="allow")
@pytest.mark.parametrize("code", SHIPPED)
def test_card_passbook_transfers_nothing_and_ordinary_only_pays_500_of_bills_a_day(code: str) -> None:
    policy = policy_file(code)
    assert policy.limits_for(Version.CARD_PASSBOOK) == VersionLimits(0, 0, bill_payment_daily_minor=0)
    assert policy.limits_for(Version.ORDINARY) == VersionLimits(
        0, 0, bill_payment_daily_minor=major(500, policy.currency)
    )


@pytest.mark.rule("L2", kind="allow")
def test_the_mainland_bank_has_the_l2_otp_and_certificate_limits() -> None:
    edb = policy_file("edb")
    assert edb.currency == "CNY"
    assert edb.limits_for(Version.OTP) == VersionLimits(None, major(10_000, "CNY"))
    assert edb.limits_for(Version.CERTIFICATE) == VersionLimits(None, major(1_000_000, "CNY"))
    assert dict(edb.limits) == dict(DEFAULT.limits)


@pytest.mark.rule("L3", kind="allow")
@pytest.mark.parametrize("code", KOREAN)
def test_the_korean_institutions_give_the_otp_channel_10_million_won_a_day_and_a_time(code: str) -> None:
    policy = policy_file(code)
    ten_million = major(10_000_000, "KRW")
    assert policy.limits_for(Version.OTP) == VersionLimits(ten_million, ten_million)
    # L3: the certificate limits are the institution's own choice, above the OTP channel's.
    certificate = policy.limits_for(Version.CERTIFICATE)
    assert certificate.per_transaction_minor is not None
    assert certificate.per_transaction_minor >= ten_million
    assert certificate.daily_minor >= ten_million


# --- which limits a session's level gets ----------------------------------------------------


def test_each_version_reaches_the_level_of_its_medium_and_each_level_pays_under_one_version() -> None:
    assert VERSION_CEILING == {
        Version.CARD_PASSBOOK: AuthLevel.CARD_PIN,
        Version.ORDINARY: AuthLevel.PASSWORD,
        Version.OTP: AuthLevel.ONE_TIME_CODE,
        Version.CERTIFICATE: AuthLevel.CERTIFICATE,
    }
    assert LEVEL_VERSION == {
        AuthLevel.NONE: Version.CARD_PASSBOOK,
        AuthLevel.CARD_PIN: Version.CARD_PASSBOOK,
        AuthLevel.PASSWORD: Version.ORDINARY,
        AuthLevel.ONE_TIME_CODE: Version.OTP,
        AuthLevel.CERTIFICATE: Version.CERTIFICATE,
    }


@pytest.mark.rule("L1", kind="allow")
@pytest.mark.rule("L2", kind="allow")
@pytest.mark.parametrize(
    ("version", "level", "limits_of"),
    [
        # a certificate customer pays under the limits of the level the session reached
        (Version.CERTIFICATE, AuthLevel.NONE, Version.CARD_PASSBOOK),
        (Version.CERTIFICATE, AuthLevel.CARD_PIN, Version.CARD_PASSBOOK),
        (Version.CERTIFICATE, AuthLevel.PASSWORD, Version.ORDINARY),
        (Version.CERTIFICATE, AuthLevel.ONE_TIME_CODE, Version.OTP),
        (Version.CERTIFICATE, AuthLevel.CERTIFICATE, Version.CERTIFICATE),
        (Version.OTP, AuthLevel.PASSWORD, Version.ORDINARY),
        (Version.OTP, AuthLevel.ONE_TIME_CODE, Version.OTP),
        # never above what the customer's own version allows
        (Version.OTP, AuthLevel.CERTIFICATE, Version.OTP),
        (Version.ORDINARY, AuthLevel.ONE_TIME_CODE, Version.ORDINARY),
        (Version.ORDINARY, AuthLevel.CERTIFICATE, Version.ORDINARY),
        (Version.CARD_PASSBOOK, AuthLevel.PASSWORD, Version.CARD_PASSBOOK),
        (Version.CARD_PASSBOOK, AuthLevel.CERTIFICATE, Version.CARD_PASSBOOK),
    ],
)
def test_a_session_pays_under_the_limits_of_its_level_capped_by_its_version(
    version: Version, level: AuthLevel, limits_of: Version
) -> None:
    for policy in (DEFAULT, *map(policy_file, SHIPPED)):
        assert limits_at(policy, version, level, None) == policy.limits_for(limits_of)
    assert usable_level(version, level) == min(level, VERSION_CEILING[version])


# --- transfers: per transaction, then the day ------------------------------------------------


@pytest.mark.rule("L2", kind="allow")
def test_an_otp_customer_may_transfer_exactly_the_daily_limit() -> None:
    ensure_within_limits(OTP, 1_000_000, used(), bill=False)
    ensure_within_limits(OTP, 400_000, used(transfers_minor=500_000, bill_payments_minor=100_000), bill=False)
    assert fits(OTP, 1_000_000, used(), bill=False)


@pytest.mark.rule("L2", kind="refuse")
@pytest.mark.parametrize(
    ("amount_minor", "usage", "left_minor"),
    [
        (1_000_001, used(), 1_000_000),
        (400_001, used(transfers_minor=500_000, bill_payments_minor=100_000), 400_000),
        (1, used(transfers_minor=1_000_000), 0),
        (1, used(bill_payments_minor=1_000_000), 0),
        (1, used(transfers_minor=1_200_000), 0),  # already past: nothing left, never negative
    ],
)
def test_one_minor_unit_past_the_daily_limit_is_refused_with_what_is_left(
    amount_minor: int, usage: DailyUsage, left_minor: int
) -> None:
    assert refused_payment(OTP, amount_minor, usage, bill=False) == (
        Code.L2_DAILY_LIMIT_EXCEEDED,
        {"limit_minor": 1_000_000, "left_minor": left_minor},
    )
    assert not fits(OTP, amount_minor, usage, bill=False)


@pytest.mark.rule("L1", kind="allow")
@pytest.mark.rule("L1", kind="refuse")
def test_the_per_transaction_limit_holds_to_the_minor_unit_and_is_checked_before_the_day() -> None:
    limits = VersionLimits(300_000, 1_000_000)
    ensure_within_limits(limits, 300_000, used(transfers_minor=700_000), bill=False)
    assert refused_payment(limits, 300_001, used(), bill=False) == (
        Code.L1_PER_TRANSACTION_LIMIT_EXCEEDED,
        {"limit_minor": 300_000},
    )
    # past both: the per-transaction limit is named
    assert refused_payment(limits, 300_001, used(transfers_minor=999_999), bill=False) == (
        Code.L1_PER_TRANSACTION_LIMIT_EXCEEDED,
        {"limit_minor": 300_000},
    )
    # within the per-transaction limit but past the day
    assert refused_payment(limits, 300_000, used(transfers_minor=700_001), bill=False) == (
        Code.L2_DAILY_LIMIT_EXCEEDED,
        {"limit_minor": 1_000_000, "left_minor": 299_999},
    )


@pytest.mark.rule("L3", kind="allow")
@pytest.mark.rule("L3", kind="refuse")
def test_the_korean_otp_channel_allows_10_million_won_once_and_not_one_won_more() -> None:
    limits = limits_at(policy_file("kb"), Version.OTP, AuthLevel.ONE_TIME_CODE, None)
    ensure_within_limits(limits, 10_000_000, used(), bill=False)
    assert refused_payment(limits, 10_000_001, used(), bill=False) == (
        Code.L1_PER_TRANSACTION_LIMIT_EXCEEDED,
        {"limit_minor": 10_000_000},
    )
    assert refused_payment(limits, 1, used(transfers_minor=10_000_000), bill=False) == (
        Code.L2_DAILY_LIMIT_EXCEEDED,
        {"limit_minor": 10_000_000, "left_minor": 0},
    )


@pytest.mark.rule("L2", kind="refuse")
@pytest.mark.parametrize("version", [Version.CARD_PASSBOOK, Version.ORDINARY])
@pytest.mark.parametrize("level", LEVELS)
def test_the_card_passbook_and_ordinary_versions_cannot_transfer_at_any_level(
    version: Version, level: AuthLevel
) -> None:
    limits = limits_at(DEFAULT, version, level, None)
    assert refused_payment(limits, 1, used(), bill=False) == (
        Code.L2_VERSION_CANNOT_TRANSFER,
        {},
    )


# --- bill payments --------------------------------------------------------------------------


@pytest.mark.rule("L2", kind="allow")
def test_an_ordinary_customer_pays_bills_up_to_exactly_500_a_day() -> None:
    ensure_within_limits(ORDINARY, 50_000, used(), bill=True)
    ensure_within_limits(ORDINARY, 30_000, used(bill_payments_minor=20_000), bill=True)
    # the bill-payment limit counts bill payments only
    ensure_within_limits(ORDINARY, 50_000, used(transfers_minor=900_000), bill=True)


@pytest.mark.rule("L2", kind="refuse")
@pytest.mark.parametrize(
    ("amount_minor", "usage", "left_minor"),
    [
        (50_001, used(), 50_000),
        (30_001, used(bill_payments_minor=20_000), 30_000),
        (1, used(bill_payments_minor=50_000), 0),
        (1, used(bill_payments_minor=60_000), 0),
    ],
)
def test_one_fen_past_the_ordinary_bill_payment_limit_is_refused(
    amount_minor: int, usage: DailyUsage, left_minor: int
) -> None:
    assert refused_payment(ORDINARY, amount_minor, usage, bill=True) == (
        Code.L2_BILL_PAYMENT_LIMIT_EXCEEDED,
        {"limit_minor": 50_000, "left_minor": left_minor},
    )


@pytest.mark.rule("L2", kind="refuse")
def test_a_card_passbook_session_cannot_pay_a_bill_either() -> None:
    limits = limits_at(DEFAULT, Version.CERTIFICATE, AuthLevel.CARD_PIN, None)
    assert refused_payment(limits, 1, used(), bill=True) == (
        Code.L2_VERSION_CANNOT_TRANSFER,
        {},
    )


@pytest.mark.rule("L2", kind="allow")
@pytest.mark.rule("L2", kind="refuse")
def test_without_a_bill_payment_limit_a_bill_counts_against_the_daily_limit_like_a_transfer() -> None:
    ensure_within_limits(OTP, 600_000, used(transfers_minor=400_000), bill=True)
    assert refused_payment(OTP, 600_001, used(transfers_minor=400_000), bill=True) == (
        Code.L2_DAILY_LIMIT_EXCEEDED,
        {"limit_minor": 1_000_000, "left_minor": 600_000},
    )
    # and a bill paid earlier counts against the day's transfers
    assert not fits(OTP, 600_001, used(bill_payments_minor=400_000), bill=False)
    assert fits(OTP, 600_000, used(bill_payments_minor=400_000), bill=False)


# --- own limits -----------------------------------------------------------------------------


@pytest.mark.rule("L1", kind="allow")
def test_own_limits_lower_the_limits_in_force() -> None:
    mine = own(per_transaction_minor=100_000, daily_minor=300_000)
    assert limits_at(DEFAULT, Version.OTP, AuthLevel.ONE_TIME_CODE, mine) == VersionLimits(100_000, 300_000)
    assert limits_at(DEFAULT, Version.CERTIFICATE, AuthLevel.CERTIFICATE, mine) == VersionLimits(
        100_000, 300_000
    )
    # each left unset keeps the version's
    assert limits_at(DEFAULT, Version.OTP, AuthLevel.ONE_TIME_CODE, own()) == OTP
    assert limits_at(DEFAULT, Version.OTP, AuthLevel.ONE_TIME_CODE, own(daily_minor=300_000)) == (
        VersionLimits(None, 300_000)
    )
    kb = policy_file("kb")
    assert limits_at(kb, Version.OTP, AuthLevel.ONE_TIME_CODE, own(per_transaction_minor=1_000_000)) == (
        VersionLimits(1_000_000, 10_000_000)
    )
    ensure_within_limits(
        limits_at(DEFAULT, Version.OTP, AuthLevel.ONE_TIME_CODE, mine), 100_000, used(), bill=False
    )


@pytest.mark.rule("L1", kind="refuse")
def test_a_transfer_one_fen_past_an_own_limit_is_refused_with_the_own_limit() -> None:
    limits = limits_at(DEFAULT, Version.OTP, AuthLevel.ONE_TIME_CODE, own(100_000, 300_000))
    assert refused_payment(limits, 100_001, used(), bill=False) == (
        Code.L1_PER_TRANSACTION_LIMIT_EXCEEDED,
        {"limit_minor": 100_000},
    )
    assert refused_payment(limits, 100_000, used(transfers_minor=200_001), bill=False) == (
        Code.L2_DAILY_LIMIT_EXCEEDED,
        {"limit_minor": 300_000, "left_minor": 99_999},
    )


@pytest.mark.rule("L1", kind="refuse")
def test_own_limits_above_the_versions_never_raise_it() -> None:
    kb = policy_file("kb")
    generous = own(per_transaction_minor=90_000_000, daily_minor=90_000_000)
    assert limits_at(kb, Version.OTP, AuthLevel.ONE_TIME_CODE, generous) == VersionLimits(
        10_000_000, 10_000_000
    )
    assert limits_at(DEFAULT, Version.OTP, AuthLevel.ONE_TIME_CODE, own(daily_minor=5_000_000)) == OTP


@pytest.mark.rule("L1", kind="allow")
def test_own_limits_apply_at_a_lower_level_too_and_leave_the_bill_payment_limit_to_the_daily_cap() -> None:
    mine = own(daily_minor=500_000)
    assert limits_at(DEFAULT, Version.CERTIFICATE, AuthLevel.ONE_TIME_CODE, mine) == VersionLimits(
        None, 500_000
    )
    assert limits_at(DEFAULT, Version.CERTIFICATE, AuthLevel.PASSWORD, mine) == ORDINARY
    assert limits_at(DEFAULT, Version.OTP, AuthLevel.PASSWORD, own(daily_minor=30_000)) == ORDINARY
    # the daily cap is what keeps those bills under the customer's own 300.00
    assert refusal(lambda: ensure_within_daily_cap(OTP, own(daily_minor=30_000), 30_001, used())) == (
        Code.L2_DAILY_LIMIT_EXCEEDED,
        {"limit_minor": 30_000, "left_minor": 30_000},
    )


@pytest.mark.rule("L1", kind="allow")
@pytest.mark.parametrize(
    ("per_transaction_minor", "daily_minor"),
    [
        (None, None),  # back to the version's
        (None, 1_000_000),  # exactly the version's daily
        (1_000_000, None),  # per transaction up to the version's daily when it has none of its own
        (200_000, 200_000),  # per transaction exactly the own daily
        (0, 0),
        (None, 0),
    ],
)
def test_a_customer_may_lower_their_limits_down_to_zero(
    per_transaction_minor: int | None, daily_minor: int | None
) -> None:
    ensure_own_limits_within(OTP, per_transaction_minor, daily_minor)


@pytest.mark.rule("L1", kind="refuse")
@pytest.mark.parametrize(
    ("version_limits", "per_transaction_minor", "daily_minor", "code", "params"),
    [
        (OTP, None, 1_000_001, Code.L1_OWN_LIMIT_ABOVE_VERSION, {"limit_minor": 1_000_000}),
        (OTP, None, -1, Code.L1_OWN_LIMIT_ABOVE_VERSION, {"limit_minor": 1_000_000}),
        (OTP, -1, None, Code.L1_OWN_LIMIT_ABOVE_VERSION, {"limit_minor": 1_000_000}),
        (OTP, 1_000_001, None, Code.L1_PER_TRANSACTION_ABOVE_DAILY, {}),
        (OTP, 200_001, 200_000, Code.L1_PER_TRANSACTION_ABOVE_DAILY, {}),
        (
            VersionLimits(10_000_000, 10_000_000),
            10_000_001,
            None,
            Code.L1_OWN_LIMIT_ABOVE_VERSION,
            {"limit_minor": 10_000_000},
        ),
        (ORDINARY, None, 1, Code.L1_OWN_LIMIT_ABOVE_VERSION, {"limit_minor": 0}),
        (ORDINARY, 1, None, Code.L1_OWN_LIMIT_ABOVE_VERSION, {"limit_minor": 0}),
    ],
)
def test_a_customer_cannot_raise_a_limit_past_the_versions_nor_per_transaction_past_daily(
    version_limits: VersionLimits,
    per_transaction_minor: int | None,
    daily_minor: int | None,
    code: Code,
    params: dict[str, object],
) -> None:
    assert refusal(lambda: ensure_own_limits_within(version_limits, per_transaction_minor, daily_minor)) == (
        code,
        params,
    )


# --- the daily cap --------------------------------------------------------------------------


@pytest.mark.rule("L2", kind="allow")
def test_the_daily_cap_is_the_versions_daily_limit_or_the_lower_own_one() -> None:
    assert daily_cap(OTP, None) == 1_000_000
    assert daily_cap(OTP, own()) == 1_000_000
    assert daily_cap(OTP, own(per_transaction_minor=10_000)) == 1_000_000
    assert daily_cap(OTP, own(daily_minor=300_000)) == 300_000
    assert daily_cap(OTP, own(daily_minor=3_000_000)) == 1_000_000
    # versions without a daily cumulative limit have no cap (ordinary: bills have their own)
    assert daily_cap(ORDINARY, None) is None
    assert daily_cap(ORDINARY, own(daily_minor=0)) is None


@pytest.mark.rule("L2", kind="allow")
@pytest.mark.rule("L2", kind="refuse")
def test_an_otp_customer_at_the_password_level_pays_bills_only_within_what_is_left_of_the_day() -> None:
    # An OTP customer transferred 9,900.00 with a one-time code, then pays a bill signed in with
    # the password: the ordinary bill-payment limit lets 500.00 through, the daily cap 100.00.
    usage = used(transfers_minor=990_000)
    at_password = limits_at(DEFAULT, Version.OTP, AuthLevel.PASSWORD, None)
    assert fits(at_password, 50_000, usage, bill=True)
    ensure_within_daily_cap(OTP, None, 10_000, usage)
    assert refusal(lambda: ensure_within_daily_cap(OTP, None, 10_001, usage)) == (
        Code.L2_DAILY_LIMIT_EXCEEDED,
        {"limit_minor": 1_000_000, "left_minor": 10_000},
    )
    assert refusal(lambda: ensure_within_daily_cap(OTP, None, 1, used(transfers_minor=1_100_000))) == (
        Code.L2_DAILY_LIMIT_EXCEEDED,
        {"limit_minor": 1_000_000, "left_minor": 0},
    )


@pytest.mark.rule("L2", kind="allow")
def test_a_version_without_a_daily_limit_has_no_daily_cap_to_pass() -> None:
    ensure_within_daily_cap(ORDINARY, None, 50_000, used(bill_payments_minor=10_000_000))
    ensure_within_daily_cap(ORDINARY, own(daily_minor=0), 50_000, used())


# --- properties -----------------------------------------------------------------------------

POLICY = st.sampled_from([DEFAULT, *map(policy_file, SHIPPED)])
VERSION = st.sampled_from(list(Version))
LEVEL = st.sampled_from(LEVELS)
AMOUNT = st.integers(1, 120_000_000)
USAGE = st.builds(used, st.integers(0, 120_000_000), st.integers(0, 120_000_000))
LIMIT = st.one_of(st.none(), st.integers(0, 120_000_000))
OWN = st.one_of(st.none(), st.builds(own, LIMIT, LIMIT))


@pytest.mark.rule("L1", kind="allow")
@pytest.mark.rule("L2", kind="allow")
@settings(deadline=None)
@given(POLICY, VERSION, LEVEL, LEVEL, OWN, AMOUNT, USAGE, st.booleans())
def test_a_payment_that_fits_at_a_level_fits_at_every_higher_level_of_the_same_version(
    policy: Policy,
    version: Version,
    level: AuthLevel,
    higher: AuthLevel,
    mine: OwnLimits | None,
    amount_minor: int,
    usage: DailyUsage,
    bill: bool,
) -> None:
    # Not so for a bill paid at the password level: the ordinary version's bill-payment limit
    # counts bill payments only, the OTP version's daily limit every payment of the day, so a
    # bill within the first may be past the second once the day's transfers used it up.
    assume(level <= higher and not (bill and level is AuthLevel.PASSWORD))
    if fits(limits_at(policy, version, level, mine), amount_minor, usage, bill=bill):
        assert fits(limits_at(policy, version, higher, mine), amount_minor, usage, bill=bill)


@pytest.mark.rule("L1", kind="refuse")
@settings(deadline=None)
@given(POLICY, VERSION, LEVEL, OWN, AMOUNT, USAGE, st.booleans())
def test_own_limits_never_let_through_what_the_version_refuses(
    policy: Policy,
    version: Version,
    level: AuthLevel,
    mine: OwnLimits | None,
    amount_minor: int,
    usage: DailyUsage,
    bill: bool,
) -> None:
    base = limits_at(policy, version, level, None)
    lowered = limits_at(policy, version, level, mine)
    if fits(lowered, amount_minor, usage, bill=bill):
        assert fits(base, amount_minor, usage, bill=bill)
    assert lowered.daily_minor <= base.daily_minor
    assert lowered.bill_payment_daily_minor == base.bill_payment_daily_minor
    if base.per_transaction_minor is not None:
        assert lowered.per_transaction_minor is not None
        assert lowered.per_transaction_minor <= base.per_transaction_minor
    version_limits = limits_at(policy, version, VERSION_CEILING[version], None)
    cap, own_cap = daily_cap(version_limits, None), daily_cap(version_limits, mine)
    assert (cap is None) == (own_cap is None)
    if cap is not None and own_cap is not None:
        assert own_cap <= cap


@pytest.mark.rule("L1", kind="allow")
@settings(deadline=None)
@given(POLICY, VERSION, LIMIT, LIMIT)
def test_accepted_own_limits_are_in_force_as_chosen_within_the_versions_and_the_system_limit(
    policy: Policy, version: Version, per_transaction_minor: int | None, daily_minor: int | None
) -> None:
    version_limits = limits_at(policy, version, VERSION_CEILING[version], None)
    try:
        ensure_own_limits_within(version_limits, per_transaction_minor, daily_minor)
    except RuleViolation:
        return
    in_force = limits_at(policy, version, VERSION_CEILING[version], own(per_transaction_minor, daily_minor))
    assert 0 <= in_force.daily_minor <= version_limits.daily_minor <= policy.system_limit_minor
    if per_transaction_minor is not None:
        assert in_force.per_transaction_minor == per_transaction_minor <= in_force.daily_minor
    else:
        assert in_force.per_transaction_minor == version_limits.per_transaction_minor


@pytest.mark.rule("L1", kind="allow")
@pytest.mark.rule("L2", kind="refuse")
@settings(deadline=None)
@given(
    st.integers(1, 120_000_000).flatmap(
        lambda daily: st.tuples(st.just(daily), st.one_of(st.none(), st.integers(0, daily)))
    ),
    USAGE,
)
def test_the_largest_transfer_that_fits_is_exactly_what_is_left_and_one_more_is_refused(
    limits_row: tuple[int, int | None], usage: DailyUsage
) -> None:
    daily, per_transaction = limits_row
    limits = VersionLimits(per_transaction, daily)
    left = max(daily - usage.transfers_minor - usage.bill_payments_minor, 0)
    largest = left if per_transaction is None else min(per_transaction, left)
    if largest > 0:
        ensure_within_limits(limits, largest, usage, bill=False)
    code, params = refused_payment(limits, largest + 1, usage, bill=False)
    if per_transaction is not None and largest + 1 > per_transaction:
        assert (code, params) == (Code.L1_PER_TRANSACTION_LIMIT_EXCEEDED, {"limit_minor": per_transaction})
    else:
        assert (code, params) == (Code.L2_DAILY_LIMIT_EXCEEDED, {"limit_minor": daily, "left_minor": left})
