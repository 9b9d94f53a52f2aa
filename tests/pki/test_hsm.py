"""PKCS#11 tokens through netbank.adapters.hsm against a real SoftHSM2 (SPEC K1, G1, F7)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

import netbank
from netbank.adapters import hsm
from tests.pki.conftest import (
    MODULE,
    SPARE_TOKENS,
    USER_PIN,
    PKIWorld,
    SoftHSM,
    run,
    unique_label,
    write_softhsm_conf,
)

pytestmark = pytest.mark.hsm


def test_ukey_generations_map_to_their_key_types() -> None:
    assert hsm.UKEYGeneration.GENERATION_1.key_algorithm is hsm.KeyAlgorithm.RSA_2048
    assert hsm.UKEYGeneration.GENERATION_2.key_algorithm is hsm.KeyAlgorithm.EC_P256


@pytest.mark.rule("K1", kind="allow")
def test_k1_key_pair_is_generated_on_the_token_and_never_extractable(
    customer_key: hsm.TokenKey, generation: hsm.UKEYGeneration
) -> None:
    protection = customer_key.protection()
    assert protection == hsm.KeyProtection(
        sensitive=True, extractable=False, always_sensitive=True, never_extractable=True, local=True
    )
    assert protection.confined_to_token
    public_key = customer_key.public_key()
    if generation is hsm.UKEYGeneration.GENERATION_1:
        assert isinstance(public_key, rsa.RSAPublicKey)
        assert public_key.key_size == 2048
    else:
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        assert isinstance(public_key.curve, ec.SECP256R1)


@pytest.mark.rule("F7", kind="allow")
def test_token_signature_is_sha256_and_verifies_with_cryptography(
    customer_key: hsm.TokenKey, generation: hsm.UKEYGeneration
) -> None:
    message = b"02|transfer|payer=6222000011112222|payee=6222000033334444|amount_minor=150000|CNY"
    signature = customer_key.sign(message)
    public_key = customer_key.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        assert len(signature) == 256
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert signature[0] == 0x30  # DER ECDSA-Sig-Value, not raw r||s
        public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))


def _read_private_value_script(conf: Path, token_label: str, key_label: str) -> str:
    return textwrap.dedent(
        f"""
        import os
        os.environ["SOFTHSM2_CONF"] = {str(conf)!r}
        import pkcs11
        from pkcs11 import Attribute, ObjectClass
        lib = pkcs11.lib({MODULE!r})
        with lib.get_token(token_label={token_label!r}).open(user_pin={USER_PIN!r}) as session:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label={key_label!r})
            for attribute in (Attribute.VALUE, Attribute.PRIVATE_EXPONENT, Attribute.PRIME_1):
                try:
                    key[attribute]
                except (pkcs11.exceptions.AttributeSensitive, pkcs11.exceptions.AttributeTypeInvalid) as exc:
                    print("refused", attribute.name, type(exc).__name__)
                else:
                    print("LEAKED", attribute.name)
        """
    )


@pytest.mark.rule("K1", kind="refuse")
def test_k1_private_key_cannot_be_read_by_another_pkcs11_client(softhsm: SoftHSM) -> None:
    label = unique_label("leak-check")
    with hsm.Token.open("nb-spare", USER_PIN) as token:
        token.generate_key_pair(label, hsm.KeyAlgorithm.RSA_2048)
        result = run([sys.executable, "-c", _read_private_value_script(softhsm.conf, "nb-spare", label)])
    assert result.returncode == 0, result.stdout
    assert "LEAKED" not in result.stdout
    assert result.stdout.count("refused") == 3
    assert "AttributeSensitive" in result.stdout


@pytest.mark.rule("K1", kind="allow")
def test_pkcs11_tool_lists_the_key_and_the_certificate_written_to_the_token(
    softhsm: SoftHSM, world: PKIWorld, customer_key: hsm.TokenKey, generation: hsm.UKEYGeneration
) -> None:
    certificate = world.issue_customer(customer_key)
    customer_key.store_certificate(certificate)

    result = run(
        [
            "pkcs11-tool",
            "--module",
            MODULE,
            "--token-label",
            customer_key.token.label,
            "--list-objects",
            "--login",
            "--pin",
            USER_PIN,
        ],
        env=softhsm.env,
    )
    assert result.returncode == 0, result.stdout
    key_id = customer_key.key_id.hex()
    private_blocks = [b for b in _object_blocks(result.stdout) if b.startswith("Private Key Object")]
    ours = [b for b in private_blocks if f"label:      {customer_key.label}" in b]
    assert len(ours) == 1, result.stdout
    assert f"ID:         {key_id}" in ours[0]
    assert "never extractable" in ours[0]
    assert ("RSA" in ours[0]) is (generation is hsm.UKEYGeneration.GENERATION_1)
    certificates = [
        b
        for b in _object_blocks(result.stdout)
        if b.startswith("Certificate Object") and f"label:      {customer_key.label}" in b
    ]
    assert len(certificates) == 1
    assert f"ID:         {key_id}" in certificates[0]
    serial = certificate.serial_number  # pkcs11-tool prints the magnitude, without DER's sign octet
    assert (
        f"serial:     {serial.to_bytes((serial.bit_length() + 7) // 8, 'big').hex().upper()}"
        in certificates[0]
    )


def _object_blocks(listing: str) -> list[str]:
    blocks: list[str] = []
    for line in listing.splitlines():
        if line and not line.startswith(" "):
            blocks.append(line)
        elif blocks:
            blocks[-1] += "\n" + line
    return blocks


def test_certificate_is_stored_read_back_and_deleted(world: PKIWorld, customer_key: hsm.TokenKey) -> None:
    token = customer_key.token
    certificate = world.issue_customer(customer_key)
    customer_key.store_certificate(certificate)
    assert token.read_certificate(customer_key.label) == certificate
    listed = {(o.object_class, o.label) for o in token.list_objects()}
    assert {
        (hsm.TokenObjectClass.PRIVATE_KEY, customer_key.label),
        (hsm.TokenObjectClass.PUBLIC_KEY, customer_key.label),
        (hsm.TokenObjectClass.CERTIFICATE, customer_key.label),
    } <= listed

    with pytest.raises(hsm.TokenObjectExists):
        customer_key.store_certificate(certificate)
    token.delete_certificate(customer_key.label)
    with pytest.raises(hsm.TokenObjectNotFound):
        token.read_certificate(customer_key.label)
    with pytest.raises(hsm.TokenObjectNotFound):
        token.delete_certificate(customer_key.label)


@pytest.mark.rule("K1", kind="refuse")
def test_certificate_of_another_key_is_not_stored_with_a_key(
    world: PKIWorld, customer_key: hsm.TokenKey
) -> None:
    with pytest.raises(hsm.TokenKeyMismatch):
        customer_key.store_certificate(world.issuing.certificate)


def test_key_is_found_again_by_label_and_replaced(
    customer_key: hsm.TokenKey, generation: hsm.UKEYGeneration
) -> None:
    token = customer_key.token
    again = token.get_key(customer_key.label)
    assert again.public_key() == customer_key.public_key()
    assert again.key_id == customer_key.key_id
    assert again.algorithm is generation.key_algorithm
    with pytest.raises(hsm.TokenObjectExists):
        token.generate_key_pair(customer_key.label, generation.key_algorithm)

    token.delete_key_pair(customer_key.label)  # K1 "replace the key"
    with pytest.raises(hsm.TokenObjectNotFound):
        token.get_key(customer_key.label)
    with pytest.raises(hsm.TokenObjectNotFound):
        token.delete_key_pair(customer_key.label)
    replacement = token.generate_key_pair(customer_key.label, generation.key_algorithm)
    assert replacement.public_key() != customer_key.public_key()


@pytest.mark.rule("K1", kind="refuse")
def test_wrong_token_pin_raises_token_pin_incorrect(softhsm: SoftHSM) -> None:
    with pytest.raises(hsm.TokenPinIncorrect) as caught:
        hsm.Token.open("nb-pin", "654321")
    assert caught.value.code == "K1_TOKEN_PIN_INCORRECT"
    with pytest.raises(hsm.TokenPinIncorrect):
        hsm.Token.open("nb-pin", "12")  # shorter than SoftHSM's minimum: still just a wrong PIN
    with hsm.Token.open("nb-pin", USER_PIN) as token:
        assert not token.closed


@pytest.mark.rule("K1", kind="refuse")
def test_softhsm_never_locks_the_pin_it_only_flags_a_low_count(softhsm: SoftHSM) -> None:
    """SoftHSM2 2.6 has no PIN retry counter: every wrong PIN is TokenPinIncorrect, the token
    raises CKF_USER_PIN_COUNT_LOW, never CKF_USER_PIN_LOCKED, and the right PIN still works and
    clears the flag. (A hardware UKEY that locks answers CKR_PIN_LOCKED: TokenPinLocked.)"""
    label = "nb-pin-lock"
    assert not hsm.read_token_info(label).user_pin_count_low
    for _ in range(12):
        with pytest.raises(hsm.TokenPinIncorrect):
            hsm.Token.open(label, "000000")
    info = hsm.read_token_info(label)
    assert info.user_pin_count_low
    assert not info.user_pin_locked
    assert not info.user_pin_final_try
    with hsm.Token.open(label, USER_PIN):
        pass
    assert not hsm.read_token_info(label).user_pin_count_low


def test_pin_errors_have_stable_distinct_codes() -> None:
    classes = [
        hsm.TokenError,
        hsm.TokenNotFound,
        hsm.TokenLabelAmbiguous,
        hsm.TokenPinIncorrect,
        hsm.TokenPinLocked,
        hsm.TokenAlreadyOpen,
        hsm.TokenClosed,
        hsm.TokenObjectNotFound,
        hsm.TokenObjectExists,
        hsm.TokenKeyMismatch,
    ]
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes)
    assert all(code.startswith("K1_TOKEN_") for code in codes)
    assert hsm.TokenPinLocked.code == "K1_TOKEN_PIN_LOCKED"


@pytest.mark.rule("K1", kind="refuse")
def test_absent_token_raises_token_not_found(ca_token: hsm.Token) -> None:
    with pytest.raises(hsm.TokenNotFound):
        hsm.Token.open("nb-no-such-ukey", USER_PIN)
    with pytest.raises(hsm.TokenNotFound):
        hsm.read_token_info("nb-no-such-ukey")


def test_a_token_is_opened_once_per_process(ca_token: hsm.Token) -> None:
    with pytest.raises(hsm.TokenAlreadyOpen):
        hsm.Token.open(ca_token.label, USER_PIN)
    with pytest.raises(hsm.TokenAlreadyOpen):
        hsm.refresh_slots()


def test_closed_token_refuses_work(softhsm: SoftHSM) -> None:
    token = hsm.Token.open(SPARE_TOKENS[2], USER_PIN)
    key = token.generate_key_pair(unique_label("closed"), hsm.KeyAlgorithm.EC_P256)
    token.close()
    token.close()
    assert token.closed
    with pytest.raises(hsm.TokenClosed):
        key.sign(b"data")
    with pytest.raises(hsm.TokenClosed):
        token.list_objects()


def test_module_configuration_cannot_change_once_loaded(softhsm: SoftHSM, tmp_path: Path) -> None:
    with pytest.raises(hsm.TokenError, match="SOFTHSM2_CONF"):
        hsm.load_module(MODULE, softhsm2_conf=tmp_path / "other.conf")
    assert hsm.load_module(MODULE, softhsm2_conf=softhsm.conf) is hsm.load_module(MODULE)


def test_missing_module_is_a_token_error(tmp_path: Path) -> None:
    with pytest.raises(hsm.TokenError):
        hsm.load_module(str(tmp_path / "libnothing.so"))


_LATE_TOKEN_SCRIPT = """
import subprocess, sys
from netbank.adapters import hsm
conf = sys.argv[1]
hsm.load_module(softhsm2_conf=conf)  # loads the module: its slot list is read now
subprocess.run(
    ["softhsm2-util", "--init-token", "--free", "--label", "late", "--pin", "123456", "--so-pin", "12345678"],
    check=True, capture_output=True,
)
with hsm.Token.open("late", "123456") as token:  # unknown label: re-initialised, then found
    key = token.generate_key_pair("k", hsm.KeyAlgorithm.EC_P256)
print("opened", token.label, key.algorithm.value)
"""


def test_token_created_after_the_module_loaded_is_found_by_label(tmp_path: Path) -> None:
    """A fresh process: SOFTHSM2_CONF is set by load_module before the library loads, and a token
    initialised afterwards is found after the automatic re-initialisation."""
    conf = write_softhsm_conf(tmp_path)
    src = Path(netbank.__file__).resolve().parents[1]
    env = {key: value for key, value in os.environ.items() if key != "SOFTHSM2_CONF"}
    env["PYTHONPATH"] = str(src)
    result = run([sys.executable, "-c", _LATE_TOKEN_SCRIPT, str(conf)], env=env)
    assert result.returncode == 0, result.stdout
    assert "opened late ec-p256" in result.stdout
