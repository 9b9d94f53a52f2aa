"""The step-up factor registry (``services/factors/registry.py``, K1, K2, F7): which methods a
customer can use now (TOTP only for the OTP version with an active seed; SMS, ARS and the app
code where there is a phone to send them to; nothing for a card login; the UKEY and the
financial certificate only where the deployment has the PKI / the cloud service), the levels
they reach, and the registry's own rules."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, cast

import pytest

from netbank.domain.customer import Customer
from netbank.domain.enrolment import Version
from netbank.domain.errors import Code
from netbank.domain.otp import TOTPCredential
from netbank.domain.session import AuthLevel
from netbank.services import factors
from netbank.services.common import CustomerActor
from netbank.services.factors.base import StepUpFactor
from netbank.services.factors.codes import CodeFactor
from netbank.services.factors.registry import FactorRegistry
from netbank.services.ports import CertificateAuthority
from tests.fakes import Enrolled, FakeBank
from tests.unit.services.step_up import CertificateForAll, with_certificate_factor

CODES = ["sms", "ars", "one_time_code"]


def catalogue(bank: FakeBank, actor: CustomerActor) -> dict[str, tuple[int, bool]]:
    return {m.name: (int(m.level), m.usable) for m in bank.deps.factors.catalogue(bank.deps, actor)}


def signed_in(bank: FakeBank, version: Version) -> tuple[Enrolled, CustomerActor]:
    enrolled = bank.enrolled(version=version)
    return enrolled, bank.customer_actor(enrolled.contract)


def without_mobile(bank: FakeBank, customer_id: int) -> None:
    """The mobile on file removed (the core system's feed may carry none)."""
    with bank.deps.uow() as uow:
        customer = uow.customers.get(customer_id)
        assert isinstance(customer, Customer)
        customer.mobile = ""
        uow.commit()


@pytest.mark.rule("K2", kind="allow")
def test_an_otp_customer_with_an_active_seed_may_use_totp_and_the_codes(bank: FakeBank) -> None:
    _, actor = signed_in(bank, Version.OTP)
    assert catalogue(bank, actor) == {
        "totp": (30, True),
        "sms": (30, True),
        "ars": (30, True),
        "one_time_code": (30, True),
        "ukey": (40, False),
        "fincert": (40, False),
    }
    assert bank.deps.factors.methods(bank.deps, actor) == ["totp", *CODES]


@pytest.mark.rule("K2", kind="refuse")
def test_totp_is_offered_neither_once_the_seed_is_retired_nor_to_another_version(bank: FakeBank) -> None:
    otp, actor = signed_in(bank, Version.OTP)
    with bank.deps.uow() as uow:
        credential = uow.otp.active_credential(otp.contract.id or 0)
        assert isinstance(credential, TOTPCredential)
        credential.active = False
        uow.commit()
    assert bank.deps.factors.methods(bank.deps, actor) == CODES
    _, certificate = signed_in(bank, Version.CERTIFICATE)
    assert bank.deps.factors.methods(bank.deps, certificate) == CODES


@pytest.mark.rule("K2", kind="allow")
@pytest.mark.rule("K2", kind="refuse")
def test_codes_go_to_the_otp_phone_or_else_the_mobile_on_file_and_need_one_of_them(bank: FakeBank) -> None:
    otp, otp_actor = signed_in(bank, Version.OTP)
    without_mobile(bank, otp.holder.id)
    assert bank.deps.factors.methods(bank.deps, otp_actor) == ["totp", *CODES]  # the OTP phone
    certificate, certificate_actor = signed_in(bank, Version.CERTIFICATE)
    assert bank.deps.factors.methods(bank.deps, certificate_actor) == CODES
    without_mobile(bank, certificate.holder.id)
    assert bank.deps.factors.methods(bank.deps, certificate_actor) == []


@pytest.mark.rule("E1", kind="refuse")
def test_a_card_login_is_offered_no_method(bank: FakeBank) -> None:
    otp, _ = signed_in(bank, Version.OTP)
    card = bank.card_actor(otp.card)
    assert not any(usable for _, usable in catalogue(bank, card).values())
    assert bank.deps.factors.methods(bank.deps, card, at_least=AuthLevel.ONE_TIME_CODE) == []


@pytest.mark.rule("K1", kind="refuse")
@pytest.mark.rule("F7", kind="refuse")
def test_the_ukey_looks_for_a_certificate_only_where_the_institution_pki_is_configured(
    bank: FakeBank,
) -> None:
    _, actor = signed_in(bank, Version.CERTIFICATE)
    assert catalogue(bank, actor)["ukey"] == (40, False)  # deps.pki is None: not even asked
    assert catalogue(bank, actor)["fincert"] == (40, False)  # deps.fincert is None
    bank.deps = replace(bank.deps, pki=cast(CertificateAuthority, object()))
    with pytest.raises(NotImplementedError, match=r"uow\.pki\.valid_certificate_of"):
        catalogue(bank, actor)  # with a PKI it asks what the customer holds (not in the fake)


@pytest.mark.rule("K2", kind="allow")
def test_at_least_keeps_the_methods_that_reach_the_level(bank: FakeBank) -> None:
    bank.deps = with_certificate_factor(bank.deps)
    _, actor = signed_in(bank, Version.OTP)
    registry = bank.deps.factors
    assert registry.methods(bank.deps, actor) == ["totp", *CODES, "test_certificate"]
    assert registry.methods(bank.deps, actor, at_least=AuthLevel.ONE_TIME_CODE) == [
        "totp",
        *CODES,
        "test_certificate",
    ]
    assert registry.methods(bank.deps, actor, at_least=AuthLevel.CERTIFICATE) == ["test_certificate"]
    required = registry.step_up_required(bank.deps, actor, AuthLevel.CERTIFICATE)
    assert required.code is Code.K2_STEP_UP_REQUIRED
    assert required.params == {"required_level": 40, "current_level": 20, "methods": ["test_certificate"]}


def test_methods_are_grouped_by_the_factor_that_offers_them_in_the_registrys_order() -> None:
    registry = factors.standard_factors()
    assert registry.grouped(["sms", "fincert", "totp", "ars"]) == [
        ("totp", ["totp"]),
        ("codes", ["sms", "ars"]),
        ("fincert", ["fincert"]),
    ]
    assert registry.grouped([]) == []


class SecondSMS(CodeFactor):
    name: ClassVar[str] = "second_sms"
    methods: ClassVar[tuple[str, ...]] = ("sms",)


@pytest.mark.parametrize(
    "offered",
    [
        (factors.TOTP, factors.CODES, factors.TOTP),
        (factors.CODES, SecondSMS()),
        (CertificateForAll(), CertificateForAll()),
    ],
    ids=["one factor twice", "a method of another factor", "a new factor twice"],
)
def test_a_method_name_offered_twice_is_refused(offered: tuple[StepUpFactor[Any, Any], ...]) -> None:
    with pytest.raises(ValueError, match="step-up method offered twice"):
        FactorRegistry(offered)
