"""The certificate version end to end (K1, G1, E7, E11): the institution PKI on a SoftHSM2
"HSM", UKEYs that are SoftHSM2 tokens, sale / renewal / revocation / replacement at the
counter, signed transfers at the certificate level, certificate login, and every refusal with
its own code. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from netbank.adapters import hsm
from netbank.adapters.clock import SettableClock
from netbank.adapters.db.tables import customer_certificates, signed_transfers, ukey_pin_failures
from netbank.adapters.policies import StaticPolicyBook
from netbank.bootstrap import App, bootstrap
from netbank.client import ukey as client
from netbank.domain.certificate import (
    CERTIFICATE_VALIDITY,
    UKEY_PIN_MAX_FAILURES,
    CARole,
    canonical_transfer_bytes,
)
from netbank.services import pki
from netbank.services.ports import Deps, UKEYAccess
from tests.builders import (
    LOGIN_PASSWORD,
    OPERATOR,
    Api,
    Person,
    make_account,
    make_customer,
    otp_customer,
    snapshot,
)
from tests.conftest import make_settings
from tests.softhsm import HSM_TOKEN, UKEYS, USER_PIN, SoftHSM

pytestmark = [pytest.mark.hsm, pytest.mark.rule("K1")]

SALE = "/api/v1/teller/transactions/ukey-sale"
RENEWAL = "/api/v1/teller/transactions/certificate-renewal"
REVOCATION = "/api/v1/teller/transactions/certificate-revocation"
REPLACEMENT = "/api/v1/teller/transactions/ukey-replacement"
SIGNED = "/api/v1/me/signed-transfers"
CHALLENGE = "/api/v1/me/step-up/certificate/challenge"
LOGIN = "/api/v1/me/step-up/certificate"
_serials = count(1)


@pytest.fixture
def app_state(
    database_url: str, tmp_path: Path, clock: SettableClock, policies: StaticPolicyBook, softhsm: SoftHSM
) -> Iterator[App]:
    """The shared harness's app, with the institution PKI on the test HSM token."""
    settings = make_settings(database_url, tmp_path).model_copy(
        update={"hsm_pin": USER_PIN, "hsm_token_label": HSM_TOKEN, "public_base_url": "http://127.0.0.1:8000"}
    )
    state = bootstrap(settings, clock=clock, policies=policies)
    try:
        yield state
    finally:
        state.close()


@dataclass
class CertificateCustomer:
    person: Person
    card: str
    payee: str
    teller: str
    check: int
    token_label: str
    generation: int
    receipt: dict[str, Any]

    @property
    def serial(self) -> str:
        return str(self.receipt["details"]["certificate_serial"])


def enrol(
    api: Api, deps: Deps, generation: int = 2, *, institution: str = "edb"
) -> tuple[Person, str, str, int]:
    """A certificate-version customer (819101 add, E4) with a main card holding 5,000,000.00."""
    p = make_customer(deps, institution)
    card = make_account(deps, p, label="card", balance_minor=500_000_000)
    teller = api.teller_token(institution)
    check = api.check(teller, p)
    r = api.post(
        "/api/v1/teller/transactions/819101/add",
        teller,
        customer_number=p.number,
        identity_check_id=check,
        version="certificate",
        registration_account_number=card,
        login_password=LOGIN_PASSWORD,
        **{"ukey_serial": f"UK{generation}-{next(_serials):04d}", "ukey_generation": generation},
    )
    assert r.status_code == 201, r.text
    return p, card, teller, check


def sale_body(
    p: Person, card: str, check: int, generation: int, label: str, pin: str = USER_PIN
) -> dict[str, Any]:
    return {
        "customer_number": p.number,
        "identity_check_id": check,
        "registration_account_number": card,
        "fee_account_number": card,
        "ukey_generation": generation,
        "ukey_serial": f"UK{generation}-{next(_serials):04d}",
        "token_label": label,
        "token_pin": pin,
    }


def certificate_customer(
    api: Api, deps: Deps, generation: int = 2, label: str = UKEYS[0]
) -> CertificateCustomer:
    """Enrolled, UKEY sold and initialised at the counter (key pair on the token, certificate
    issued and written back)."""
    with deps.uow(readonly=True) as uow:
        institution = uow.institutions.get_by_code("edb")
        assert institution is not None and institution.id is not None
        initialised = uow.pki.active_ca(institution.id, CARole.ISSUING) is not None
    if not initialised:
        pki.init_pki(deps, OPERATOR, pki.InitPKI(institution_code="edb"))
    p, card, teller, check = enrol(api, deps, generation)
    other = make_customer(deps)
    payee = make_account(deps, other, label="card")
    r = api.post(SALE, teller, **sale_body(p, card, check, generation, label))
    assert r.status_code == 200, r.text
    return CertificateCustomer(p, card, payee, teller, check, label, generation, r.json())


def signed_body(
    c: CertificateCustomer,
    clock: SettableClock,
    amount_minor: int = 2_000_000,
    key: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    instruction = client.instruction(
        institution="edb",
        customer=c.person.number,
        payer=c.card,
        payee=c.payee,
        amount_minor=amount_minor,
        currency="CNY",
        idempotency_key=key or f"signed-{next(_serials):06d}",
        created_at=at or clock.now(),
    )
    return client.signed_transfer_body(instruction, c.token_label, USER_PIN)


def login(api: Api, c: CertificateCustomer) -> str:
    return api.customer_token("edb", c.card)


def refused_without_change(
    api: Api, status: int, code: str, url: str, token: str, body: dict[str, Any]
) -> None:
    error = api.refused(status, code, url, token, **body)
    assert error["rule"] == code.split("_", 1)[0]


# --- sale, token contents, fees -----------------------------------------------------------------


@pytest.mark.parametrize("generation", [1, 2])
def test_ukey_sale_generates_the_key_on_the_token_and_writes_the_certificate_back(
    api: Api, deps: Deps, app_state: App, generation: int
) -> None:
    c = certificate_customer(api, deps, generation)
    details = c.receipt["details"]
    assert details["fee_minor"] == (6_000 if generation == 1 else 12_000)  # G1 material cost
    assert details["revoked_serial"] is None
    with deps.uow(readonly=True) as uow:
        rows = uow.pki.certificates_of(_customer_id(deps, c.person))
    assert [(r.serial, r.status.value, r.generation) for r in rows] == [(c.serial, "valid", generation)]
    with hsm.Token.open(c.token_label, USER_PIN) as token:
        key = token.get_key(rows[0].key_label)
        on_token = token.read_certificate(rows[0].key_label)
        protection = key.protection()
    assert f"{on_token.serial_number:x}" == c.serial
    assert isinstance(
        on_token.public_key(), rsa.RSAPublicKey if generation == 1 else ec.EllipticCurvePublicKey
    )
    assert protection.confined_to_token  # K1: generated on the token, never extractable
    assert (
        on_token.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value
        == f"edb:{c.person.number}"
    )


def _customer_id(deps: Deps, person: Person) -> int:
    with deps.uow(readonly=True) as uow:
        institution = uow.institutions.get_by_code(person.institution)
        assert institution is not None and institution.id is not None
        customer = uow.customers.get_by_number(institution.id, person.number)
        assert customer is not None and customer.id is not None
        return customer.id


def test_one_valid_certificate_per_customer_is_held_by_the_database_too(
    api: Api, deps: Deps, app_state: App
) -> None:
    c = certificate_customer(api, deps)
    with deps.uow() as uow:
        current = uow.pki.valid_certificate_of(_customer_id(deps, c.person))
        assert current is not None
        with pytest.raises(IntegrityError):
            uow.pki.add_customer_certificate(
                institution_id=current.institution_id,
                contract_id=current.contract_id,
                customer_id=current.customer_id,
                issuer_id=current.issuer_id,
                generation=current.generation,
                token_label=current.token_label,
                issued=_issued_like(current.der, current.key_label),
                at=current.not_before,
            )


def _issued_like(der: bytes, key_label: str) -> Any:
    from netbank.services.ports import IssuedUKEYCertificate

    cert = x509.load_der_x509_certificate(der)
    return IssuedUKEYCertificate(
        serial="abc123",  # another serial, the same customer
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        der=der,
        token_serial="x",
        key_label=key_label,
    )


# --- signed transfers ---------------------------------------------------------------------------


@pytest.mark.parametrize("generation", [1, 2])
def test_signed_transfer_is_booked_at_the_certificate_level_and_keeps_the_evidence(
    api: Api, deps: Deps, app_state: App, clock: SettableClock, generation: int
) -> None:
    c = certificate_customer(api, deps, generation)
    token = login(api, c)
    # 20,000.00: above the OTP level's daily limit (10,000.00), within the certificate's (L2).
    body = signed_body(c, clock, amount_minor=2_000_000)
    r = api.post(SIGNED, token, **body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["auth_level"] == 40 and out["certificate_serial"] == c.serial and not out["replayed"]
    again = api.post(SIGNED, token, **body)
    assert (
        again.status_code == 201
        and again.json()["replayed"]
        and again.json()["transfer_id"] == out["transfer_id"]
    )
    with app_state.engine.connect() as conn:
        evidence = conn.execute(
            select(signed_transfers).where(signed_transfers.c.transfer_id == out["transfer_id"])
        ).one()
    assert evidence.format == "NBTX1"
    assert bytes(evidence.canonical).startswith(b"NBTX1\ninstitution:3:edb\n")
    certificate = x509.load_der_x509_certificate(bytes(evidence.certificate_der))
    public_key = certificate.public_key()
    # Non-repudiation: anyone can re-check the stored signature over the stored bytes.
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(
            bytes(evidence.signature), bytes(evidence.canonical), padding.PKCS1v15(), hashes.SHA256()
        )
    else:
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        public_key.verify(bytes(evidence.signature), bytes(evidence.canonical), ec.ECDSA(hashes.SHA256()))


def test_canonical_bytes_are_length_prefixed_and_unambiguous(clock: SettableClock) -> None:
    one = client.instruction(
        institution="edb",
        customer="C1",
        payer="6200000000000001",
        payee="6200000000000002",
        amount_minor=12,
        currency="CNY",
        idempotency_key="k-00000001",
        created_at=clock.now(),
    )
    data = canonical_transfer_bytes(one)
    assert data == (
        b"NBTX1\ninstitution:3:edb\ncustomer:2:C1\npayer:16:6200000000000001\npayee:16:6200000000000002\n"
        b"amount_minor:2:12\ncurrency:3:CNY\nidempotency_key:10:k-00000001\ncreated_at:20:2026-06-15T02:00:00Z\n"
    )


@pytest.mark.rule("K1", kind="refuse")
def test_a_tampered_instruction_is_refused_signature_invalid(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    body = signed_body(c, clock, amount_minor=100_000)
    body["amount_minor"] = 9_900_000
    refused_without_change(api, 422, "K1_SIGNATURE_INVALID", SIGNED, login(api, c), body)


@pytest.mark.rule("K1", kind="refuse")
def test_a_revoked_certificate_is_refused_and_the_crl_lists_it(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    crl_before = x509.load_der_x509_crl(api.client.get("/pki/edb/crl").content)
    r = api.post(
        REVOCATION,
        c.teller,
        customer_number=c.person.number,
        identity_check_id=c.check,
        registration_account_number=c.card,
        reason="key_compromise",
    )
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "NB-CERT-REVOCATION" and r.json()["details"]["certificate_serial"] == c.serial
    response = api.client.get("/pki/edb/crl")
    assert response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > crl_before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    entry = crl.get_revoked_certificate_by_serial_number(int(c.serial, 16))
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        is x509.ReasonFlags.key_compromise
    )
    refused_without_change(api, 422, "K1_CERTIFICATE_REVOKED", SIGNED, login(api, c), signed_body(c, clock))
    # Revoking again: nothing valid is left to revoke.
    api.refused(
        404,
        "K1_NO_VALID_CERTIFICATE",
        REVOCATION,
        c.teller,
        customer_number=c.person.number,
        identity_check_id=c.check,
        registration_account_number=c.card,
        reason="superseded",
    )


@pytest.mark.rule("K1", kind="refuse")
def test_the_certificate_of_another_customer_is_refused(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    alice = certificate_customer(api, deps, label=UKEYS[0])
    bob = certificate_customer(api, deps, label=UKEYS[1])
    # Alice's session, an instruction in her name, signed with Bob's UKEY.
    stolen = dataclass_replace(alice, token_label=bob.token_label)
    refused_without_change(
        api, 422, "K1_CERTIFICATE_OF_ANOTHER_CUSTOMER", SIGNED, login(api, alice), signed_body(stolen, clock)
    )


def dataclass_replace(c: CertificateCustomer, **changes: Any) -> CertificateCustomer:
    from dataclasses import replace

    return replace(c, **changes)


@pytest.mark.rule("K1", kind="refuse")
def test_a_certificate_of_a_former_ca_is_refused_wrong_issuer(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    pki.init_pki(
        deps, OPERATOR, pki.InitPKI(institution_code="edb", replace=True)
    )  # new root and issuing CA: the old chain is gone
    refused_without_change(api, 422, "K1_WRONG_ISSUER", SIGNED, login(api, c), signed_body(c, clock))


@pytest.mark.rule("K1", kind="refuse")
def test_expired_and_not_yet_valid_certificates_are_refused(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    start = clock.now()
    clock.set(start - timedelta(hours=1))
    refused_without_change(
        api, 422, "K1_CERTIFICATE_NOT_YET_VALID", SIGNED, login(api, c), signed_body(c, clock)
    )
    clock.set(start + CERTIFICATE_VALIDITY + timedelta(days=1))
    refused_without_change(api, 422, "K1_CERTIFICATE_EXPIRED", SIGNED, login(api, c), signed_body(c, clock))


@pytest.mark.rule("K1", kind="refuse")
def test_other_signed_transfer_refusals_have_their_own_codes(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    token = login(api, c)
    stale = signed_body(c, clock, at=clock.now() - timedelta(minutes=10))
    refused_without_change(api, 422, "K1_INSTRUCTION_STALE", SIGNED, token, stale)
    body = signed_body(c, clock)
    refused_without_change(
        api, 422, "K1_CERTIFICATE_MALFORMED", SIGNED, token, {**body, "certificate": "AAAA"}
    )
    refused_without_change(
        api, 422, "K1_INSTRUCTION_MALFORMED", SIGNED, token, {**body, "signature": "AAAAA"}
    )
    # The OCSP signer's certificate chains fine but is not a customer signing certificate.
    ocsp_der = api.client.get("/pki/edb/ca/ocsp").content
    ocsp_b64 = base64.b64encode(ocsp_der).decode()
    refused_without_change(
        api, 422, "K1_KEY_USAGE_NOT_ALLOWED", SIGNED, token, {**body, "certificate": ocsp_b64}
    )
    # Issued by the institution's CA but never recorded: not one of ours.
    unknown = _unrecorded_certificate(deps, c)
    refused_without_change(
        api, 422, "K1_CERTIFICATE_UNKNOWN", SIGNED, token, {**body, "certificate": unknown}
    )


def _unrecorded_certificate(deps: Deps, c: CertificateCustomer) -> str:
    assert deps.pki is not None
    with deps.uow(readonly=True) as uow:
        issuing = pki.active_ca(uow, _institution_id(deps), CARole.ISSUING)
    issued = deps.pki.issue_ukey_certificate(
        issuing,
        UKEYAccess(UKEYS[2], USER_PIN),
        key_label=f"netbank-unrecorded-{next(_serials)}",
        generation=2,
        subject_name="nobody",
        subject_serial=f"edb:{c.person.number}",
        not_before=deps.clock.now(),
        not_after=deps.clock.now() + timedelta(days=30),
    )
    return base64.b64encode(issued.der).decode()


def _institution_id(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        institution = uow.institutions.get_by_code("edb")
        assert institution is not None and institution.id is not None
        return institution.id


@pytest.mark.rule("K1", kind="refuse")
def test_a_customer_of_another_version_cannot_sign(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    _, card, _ = otp_customer(api, deps)
    token = api.customer_token("edb", card)
    body = signed_body(c, clock)
    refused_without_change(api, 422, "K1_NOT_CERTIFICATE_VERSION", SIGNED, token, {**body, "payer": card})


# --- certificate login ----------------------------------------------------------------------------


def test_certificate_login_raises_the_session_to_level_40(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    token = login(api, c)
    assert api.get("/api/v1/me/session", token).json()["level"] == 20
    challenge = api.post(CHALLENGE, token).json()
    answer = client.signed_login_body(challenge["nonce"], challenge["to_sign"], c.token_label, USER_PIN)
    r = api.post(LOGIN, token, **answer)
    assert r.status_code == 200, r.text
    assert r.json()["level"] == 40
    assert api.get("/api/v1/me/session", token).json()["level"] == 40
    refused_without_change(api, 422, "K1_LOGIN_CHALLENGE_USED", LOGIN, token, answer)


@pytest.mark.rule("K1", kind="refuse")
def test_certificate_login_refusals(api: Api, deps: Deps, app_state: App, clock: SettableClock) -> None:
    c = certificate_customer(api, deps)
    token = login(api, c)
    challenge = api.post(CHALLENGE, token).json()
    answer = client.signed_login_body(challenge["nonce"], challenge["to_sign"], c.token_label, USER_PIN)
    tampered = {**answer, "nonce": challenge["nonce"][:-1] + ("0" if challenge["nonce"][-1] != "0" else "1")}
    refused_without_change(api, 404, "K1_LOGIN_CHALLENGE_NOT_FOUND", LOGIN, token, tampered)
    other = api.post(CHALLENGE, token).json()
    refused_without_change(
        api, 422, "K1_SIGNATURE_INVALID", LOGIN, token, {**answer, "nonce": other["nonce"]}
    )
    clock.advance(timedelta(minutes=4))
    token = login(api, c)
    refused_without_change(api, 404, "K1_LOGIN_CHALLENGE_NOT_FOUND", LOGIN, token, answer)  # another session


# --- counter: renewal, replacement, PINs, refusals ------------------------------------------------


def test_renewal_puts_a_new_key_on_the_same_ukey_and_supersedes_the_old_certificate(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps)
    r = api.post(
        RENEWAL,
        c.teller,
        customer_number=c.person.number,
        identity_check_id=c.check,
        registration_account_number=c.card,
        fee_account_number=c.card,
        token_label=c.token_label,
        token_pin=USER_PIN,
    )
    assert r.status_code == 200, r.text
    details = r.json()["details"]
    assert details["fee_minor"] == 2_000 and details["revoked_serial"] == c.serial  # G1 certificate fee
    with deps.uow(readonly=True) as uow:
        rows = uow.pki.certificates_of(_customer_id(deps, c.person))
    assert [(r.serial, r.status.value) for r in rows] == [
        (c.serial, "revoked"),
        (details["certificate_serial"], "valid"),
    ]
    assert rows[0].revocation_reason is not None and rows[0].revocation_reason.value == "superseded"
    with hsm.Token.open(c.token_label, USER_PIN) as token:
        labels = {o.label for o in token.list_objects()}
    assert rows[0].key_label not in labels and rows[1].key_label in labels
    # The client library signs with the new key; the transfer goes through.
    r = api.post(SIGNED, login(api, c), **signed_body(c, clock))
    assert r.status_code == 201, r.text
    assert r.json()["certificate_serial"] == details["certificate_serial"]


def test_a_lost_ukey_is_replaced_by_a_new_one_and_its_certificate_revoked(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    c = certificate_customer(api, deps, label=UKEYS[0])
    body = sale_body(c.person, c.card, c.check, 1, UKEYS[1])
    r = api.post(REPLACEMENT, c.teller, **body)
    assert r.status_code == 200, r.text
    details = r.json()["details"]
    assert details["revoked_serial"] == c.serial and details["fee_minor"] == 6_000
    with deps.uow(readonly=True) as uow:
        rows = uow.pki.certificates_of(_customer_id(deps, c.person))
    assert rows[0].revocation_reason is not None and rows[0].revocation_reason.value == "key_compromise"
    assert rows[1].token_label == UKEYS[1] and rows[1].generation == 1
    new = dataclass_replace(c, token_label=UKEYS[1])
    assert api.post(SIGNED, login(api, c), **signed_body(new, clock)).status_code == 201


@pytest.mark.rule("K1", kind="refuse")
def test_wrong_ukey_pins_are_refused_and_the_fifth_locks_the_ukey(
    api: Api, deps: Deps, app_state: App
) -> None:
    pki.init_pki(deps, OPERATOR, pki.InitPKI(institution_code="edb"))
    p, card, teller, check = enrol(api, deps)

    def tables_but_counter() -> dict[str, Any]:
        return {k: v for k, v in snapshot(app_state.engine).items() if k != "ukey_pin_failures"}

    before = tables_but_counter()
    for attempt in range(1, UKEY_PIN_MAX_FAILURES + 1):
        r = api.post(SALE, teller, **sale_body(p, card, check, 2, UKEYS[2], pin="999999"))
        expected = (
            ("K1_TOKEN_PIN_LOCKED", 423) if attempt == UKEY_PIN_MAX_FAILURES else ("K1_TOKEN_PIN_WRONG", 422)
        )
        assert (r.json()["error"]["code"], r.status_code) == expected, r.text
    assert tables_but_counter() == before  # no fee, no certificate, no journal line
    with app_state.engine.connect() as conn:
        assert conn.execute(select(ukey_pin_failures.c.failures)).scalar_one() == UKEY_PIN_MAX_FAILURES
    # Locked for netbank even with the right PIN (SoftHSM itself never locks).
    api.refused(423, "K1_TOKEN_PIN_LOCKED", SALE, teller, **sale_body(p, card, check, 2, UKEYS[2]))


@pytest.mark.rule("K1", kind="refuse")
def test_counter_refusals_without_a_pki_or_a_token(api: Api, deps: Deps, app_state: App) -> None:
    p, card, teller, check = enrol(api, deps)
    api.refused(404, "K1_PKI_NOT_INITIALISED", SALE, teller, **sale_body(p, card, check, 2, UKEYS[0]))
    pki.init_pki(deps, OPERATOR, pki.InitPKI(institution_code="edb"))
    from netbank.domain.errors import Conflict

    with pytest.raises(Conflict) as exc:
        pki.init_pki(deps, OPERATOR, pki.InitPKI(institution_code="edb"))
    assert exc.value.code.value == "K1_PKI_ALREADY_INITIALISED"
    api.refused(404, "K1_TOKEN_NOT_FOUND", SALE, teller, **sale_body(p, card, check, 2, "nb-no-such-ukey"))
    api.refused(
        404,
        "K1_NO_VALID_CERTIFICATE",
        REVOCATION,
        teller,
        customer_number=p.number,
        identity_check_id=check,
        registration_account_number=card,
        reason="unspecified",
    )


@pytest.mark.rule("K1", kind="refuse")
def test_a_sale_the_issuing_ca_cannot_cover_is_refused_before_the_ukey_is_touched(
    api: Api, deps: Deps, app_state: App, clock: SettableClock
) -> None:
    """A UKEY certificate must lie within the issuing CA's validity (RFC 5280). Near the CA's
    end the sale is refused with that date, nothing is stored, and the UKEY holds no key."""
    (issuing, *_) = [
        r
        for r in pki.init_pki(deps, OPERATOR, pki.InitPKI(institution_code="edb"))
        if r.role is CARole.ISSUING
    ]
    clock.set(issuing.not_after - timedelta(days=200))
    p, card, teller, check = enrol(api, deps)
    with hsm.Token.open(UKEYS[0], USER_PIN) as token:
        before = token.list_objects()
    body = sale_body(p, card, check, 2, UKEYS[0])
    error = api.refused(422, "K1_CA_VALIDITY_EXCEEDED", SALE, teller, **body)
    assert error["params"]["ca_not_after"] == issuing.not_after.date().isoformat()
    with hsm.Token.open(UKEYS[0], USER_PIN) as token:
        assert token.list_objects() == before


@pytest.mark.rule("E11", kind="refuse")
def test_certificate_maintenance_is_refused_while_the_registration_account_is_flagged(
    api: Api, deps: Deps, app_state: App
) -> None:
    c = certificate_customer(api, deps)
    r = api.post(
        "/api/v1/teller/transactions/status-flags",
        c.teller,
        customer_number=c.person.number,
        identity_check_id=c.check,
        account_number=c.card,
        flag="under_watch",
        action="set",
    )
    assert r.status_code == 200, r.text
    api.refused(
        422,
        "E11_ACCOUNT_STATUS_BLOCKS",
        REVOCATION,
        c.teller,
        customer_number=c.person.number,
        identity_check_id=c.check,
        registration_account_number=c.card,
        reason="unspecified",
    )
    with app_state.engine.connect() as conn:
        assert list(conn.execute(select(customer_certificates.c.status)).scalars()) == ["valid"]
