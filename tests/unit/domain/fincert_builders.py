"""The financial certificate the F3-F5 domain tests start from, and their clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from netbank.domain.fincert import CertificateStatus, FinancialCertificate, add_years

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)


def certificate(**changes: object) -> FinancialCertificate:
    values: dict[str, object] = {
        "person_digest": "d" * 64,
        "holder_name": "홍길동",
        "issuing_institution_id": 1,
        "customer_id": 1,
        "serial": "ab",
        "status": CertificateStatus.VALID,
        "not_before": NOW,
        "not_after": add_years(NOW, 3),
        "issued_at": NOW,
        "pin_digest": "p" * 64,
        "key_ref": "fc-1",
        "der": b"",
    }
    values.update(changes)
    return FinancialCertificate(**values)  # type: ignore[arg-type]
