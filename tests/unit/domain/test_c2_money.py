"""C2: balances are integers of minor units, shown in the currency's own form."""

from __future__ import annotations

from netbank.domain.money import format_minor


def test_money_formats_minor_units_per_currency() -> None:
    assert format_minor(123456, "CNY") == "1,234.56 CNY"
    assert format_minor(10_000_000, "KRW") == "10,000,000 KRW"
    assert format_minor(-5, "CNY") == "-0.05 CNY"
