"""Times in certificates, CRLs and OCSP answers (RFC 5280 4.1.2.5): always aware, in UTC, whole
seconds; a validity period is ordered and lies within its issuer's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509 as asn1x509  # type: ignore[import-untyped]
from cryptography import x509


def utc(moment: datetime, name: str) -> datetime:
    """An aware datetime in UTC, truncated to whole seconds (DER times carry no fraction)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def x509_time(moment: datetime) -> Any:
    """RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050."""
    if moment.year < 2050:
        return asn1x509.Time(name="utc_time", value=moment)
    return asn1x509.Time(name="general_time", value=moment)


def check_validity(
    not_before: datetime, not_after: datetime, issuer_certificate: x509.Certificate | None = None
) -> tuple[datetime, datetime]:
    """Aware, ordered, and (when an issuer is given) within the issuer's own validity."""
    start = utc(not_before, "not_before")
    end = utc(not_after, "not_after")
    if end <= start:
        raise ValueError("not_after must be later than not_before")
    if issuer_certificate is not None and (
        end > issuer_certificate.not_valid_after_utc or start < issuer_certificate.not_valid_before_utc
    ):
        raise ValueError("the validity period must lie within the issuing CA's")
    return start, end
