"""What the financial certificate service publishes about a certificate (F4/F5): the OCSP
responder answers from it, and institutions verifying a signature refuse on it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from netbank.domain.fincert import (
    CertificateStatus,
    PublishedReason,
    PublishedStatus,
    RevocationReason,
    SerialRecord,
    add_years,
    published_status,
)
from tests.unit.domain.fincert_builders import NOW, certificate

LATER = NOW + timedelta(days=40)


def test_no_certificate_is_unknown_and_a_valid_one_is_good() -> None:
    assert published_status(None, NOW) == PublishedStatus(known=False)
    assert published_status(certificate(), NOW) == PublishedStatus(known=True)


@pytest.mark.rule("F4", kind="refuse")
@pytest.mark.rule("F5", kind="refuse")
@pytest.mark.parametrize(
    ("reason", "published"),
    [
        (RevocationReason.REVOKED_BY_HOLDER, PublishedReason.CESSATION_OF_OPERATION),
        (RevocationReason.SUPERSEDED, PublishedReason.SUPERSEDED),
    ],
)
def test_a_revoked_certificate_is_revoked_since_then_with_its_reason(
    reason: RevocationReason, published: PublishedReason
) -> None:
    held = certificate()
    held.revoke(reason, NOW)
    assert published_status(held, LATER) == PublishedStatus(known=True, revoked_at=NOW, reason=published)


@pytest.mark.rule("F4", kind="refuse")
def test_a_suspension_is_a_hold_since_it_began_and_restoring_lifts_it() -> None:
    held = certificate()
    held.suspend(NOW)
    assert held.status is CertificateStatus.SUSPENDED
    # The hold has its own column; revoked_at is for revocation only.
    assert held.suspended_at == NOW and held.revoked_at is None
    expected = PublishedStatus(known=True, revoked_at=NOW, reason=PublishedReason.CERTIFICATE_HOLD)
    assert published_status(held, LATER) == expected
    held.restore(LATER)
    assert held.suspended_at is None and held.revoked_at is None
    assert published_status(held, LATER) == PublishedStatus(known=True)
    # Revoked while on hold: revoked for good, since then, and no longer on hold.
    held.suspend(LATER)
    held.revoke(RevocationReason.REVOKED_BY_HOLDER, LATER + timedelta(hours=1))
    assert held.suspended_at is None
    assert published_status(held, LATER + timedelta(days=1)) == PublishedStatus(
        known=True, revoked_at=LATER + timedelta(hours=1), reason=PublishedReason.CESSATION_OF_OPERATION
    )


@pytest.mark.rule("F5", kind="refuse")
def test_a_renewal_publishes_the_replaced_serial_as_superseded_since_the_renewal() -> None:
    renewed = certificate(id=7, serial="ab", der=b"old")
    old_not_before, old_not_after = renewed.not_before, renewed.not_after
    new_not_after = add_years(old_not_after, 3)
    old = renewed.renew("cd", b"new", new_not_after, LATER)
    assert (old.certificate_id, old.serial, old.der) == (7, "ab", b"old")
    assert (old.not_before, old.not_after, old.superseded_at) == (old_not_before, old_not_after, LATER)
    assert (renewed.serial, renewed.der, renewed.not_before, renewed.not_after) == (
        "cd",
        b"new",
        LATER,
        new_not_after,
    )
    assert renewed.status is CertificateStatus.VALID
    record = SerialRecord(serial="ab", status=CertificateStatus.REVOKED, superseded_at=LATER)
    assert published_status(record, LATER + timedelta(days=1)) == PublishedStatus(
        known=True, revoked_at=LATER, reason=PublishedReason.SUPERSEDED
    )
    # A certificate never stored has nothing to supersede.
    with pytest.raises(ValueError, match="never stored"):
        certificate().renew("cd", b"new", new_not_after, LATER)


def test_a_serial_record_of_a_current_certificate_publishes_its_own_state() -> None:
    assert published_status(
        SerialRecord(serial="ab", status=CertificateStatus.VALID), NOW
    ) == PublishedStatus(known=True)
    held = SerialRecord(serial="ab", status=CertificateStatus.SUSPENDED, suspended_at=NOW)
    assert published_status(held, LATER) == PublishedStatus(
        known=True, revoked_at=NOW, reason=PublishedReason.CERTIFICATE_HOLD
    )
