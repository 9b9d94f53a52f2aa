"""G1/G2: the fee table of the policy (``Fees.base_of`` and ``Fees.amount_of``), the GL
sub-account each fee is income of, and the discount of the business notices. That a fee is
refused on an account that cannot pay out (G1_FEE_ACCOUNT_NOT_USABLE) reads
``Account.payout_blocking_flags`` (test_c3_status_flags.py); the posting itself is proved in
tests/integration/test_fees.py."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netbank.domain.ledger import CHART, FeeKind, GLCode, GLKind, fee_amount
from netbank.domain.money import exponent_of
from netbank.domain.policy import Fees, Policy

POLICIES = Path(__file__).resolve().parents[3] / "policies"
#: G1 in major units of the institution's currency.
G1 = {FeeKind.UKEY_GENERATION_1: 60, FeeKind.UKEY_GENERATION_2: 120, FeeKind.CERTIFICATE_RENEWAL: 20}


def policy_file(path: Path) -> Policy:
    with path.open("rb") as fh:
        return Policy.from_mapping(tomllib.load(fh))


@pytest.mark.rule("G1", kind="allow")
def test_the_domain_defaults_are_the_g1_fees_in_cny_fen() -> None:
    fees = Fees()
    assert {kind: fees.base_of(kind) for kind in FeeKind} == {
        FeeKind.UKEY_GENERATION_1: 6_000,
        FeeKind.UKEY_GENERATION_2: 12_000,
        FeeKind.CERTIFICATE_RENEWAL: 2_000,
    }
    assert fees.discount_percent == 0
    assert {kind: fees.amount_of(kind) for kind in FeeKind} == {kind: fees.base_of(kind) for kind in FeeKind}


@pytest.mark.rule("G1", kind="allow")
@pytest.mark.parametrize("path", sorted(POLICIES.glob("*.toml")), ids=lambda path: path.stem)
def test_every_shipped_policy_charges_60_120_and_20_in_its_currency(path: Path) -> None:
    policy = policy_file(path)
    unit = 10 ** exponent_of(policy.currency)
    assert {kind: policy.fees.base_of(kind) for kind in FeeKind} == {
        kind: amount * unit for kind, amount in G1.items()
    }
    assert {kind: policy.fees.amount_of(kind) for kind in FeeKind} == {
        kind: amount * unit for kind, amount in G1.items()
    }


@pytest.mark.rule("G1", kind="allow")
def test_ukey_fees_are_material_cost_and_renewal_the_certificate_fee_both_under_5111201() -> None:
    assert FeeKind.for_ukey(1) is FeeKind.UKEY_GENERATION_1
    assert FeeKind.for_ukey(2) is FeeKind.UKEY_GENERATION_2
    assert FeeKind.UKEY_GENERATION_1.gl_code is GLCode.EBANK_MATERIAL_COST
    assert FeeKind.UKEY_GENERATION_2.gl_code is GLCode.EBANK_MATERIAL_COST
    assert FeeKind.CERTIFICATE_RENEWAL.gl_code is GLCode.EBANK_CERTIFICATE_FEE
    for kind in FeeKind:
        assert kind.gl_code.value.startswith(GLCode.EBANK_INCOME.value + ".")
        assert CHART[kind.gl_code][1] is GLKind.INCOME


@pytest.mark.rule("G2", kind="allow")
@pytest.mark.parametrize(
    ("discount_percent", "amounts"),
    [
        (0, (6_000, 12_000, 2_000)),
        (50, (3_000, 6_000, 1_000)),
        (33, (4_020, 8_040, 1_340)),
        (100, (0, 0, 0)),
    ],
)
def test_the_business_notice_discount_lowers_every_fee(
    discount_percent: int, amounts: tuple[int, ...]
) -> None:
    fees = Fees(discount_percent=discount_percent)
    assert tuple(fees.amount_of(kind) for kind in FeeKind) == amounts
    assert tuple(fees.base_of(kind) for kind in FeeKind) == (6_000, 12_000, 2_000)


@pytest.mark.rule("G2", kind="allow")
def test_a_discounted_fee_is_rounded_down_in_the_customers_favour() -> None:
    fees = Fees(
        ukey_generation_1_minor=99,
        ukey_generation_2_minor=1,
        certificate_renewal_minor=3,
        discount_percent=50,
    )
    assert [fees.amount_of(kind) for kind in FeeKind] == [49, 0, 1]
    assert fee_amount(99, 50) == 49
    assert fee_amount(6_000, 15) == 5_100


@pytest.mark.rule("G2", kind="allow")
def test_a_policy_file_sets_its_own_amounts_and_discount() -> None:
    policy = Policy.from_mapping(
        {
            "institution": {"code": "x", "currency": "KRW", "timezone": "Asia/Seoul"},
            "fees": {"ukey_generation_2_minor": 10_000, "discount_percent": 20},
        }
    )
    assert policy.fees.amount_of(FeeKind.UKEY_GENERATION_2) == 8_000
    assert policy.fees.amount_of(FeeKind.UKEY_GENERATION_1) == 4_800  # the SPEC default, discounted


@pytest.mark.rule("G2", kind="refuse")
@pytest.mark.parametrize(
    ("fees", "message"),
    [
        (Fees(discount_percent=101), "G2: discount_percent"),
        (Fees(discount_percent=-1), "G2: discount_percent"),
        (Fees(ukey_generation_1_minor=-1), "G1: ukey_generation_1_minor"),
        (Fees(certificate_renewal_minor=-1), "G1: certificate_renewal_minor"),
    ],
)
def test_a_discount_outside_0_to_100_or_a_negative_fee_is_refused(fees: Fees, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fees.check()


@pytest.mark.rule("G2", kind="allow")
@given(st.integers(0, 10_000_000), st.integers(0, 100), st.integers(0, 100))
def test_a_discount_never_raises_a_fee_and_takes_off_less_than_one_minor_unit_too_much(
    base_minor: int, discount_percent: int, more: int
) -> None:
    amount = fee_amount(base_minor, discount_percent)
    assert 0 <= amount <= base_minor
    assert amount * 100 <= base_minor * (100 - discount_percent) < (amount + 1) * 100
    assert fee_amount(base_minor, max(discount_percent, more)) <= amount
    fees = Fees(base_minor, base_minor, base_minor, discount_percent)
    assert {fees.amount_of(kind) for kind in FeeKind} == {amount}
