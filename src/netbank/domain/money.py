"""Money is an integer number of minor units of one currency; never a float."""

from __future__ import annotations

from dataclasses import dataclass

#: ISO 4217 minor-unit exponents of the currencies netbank's institutions use.
MINOR_UNIT_EXPONENT: dict[str, int] = {"CNY": 2, "KRW": 0, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0}


def exponent_of(currency: str) -> int:
    try:
        return MINOR_UNIT_EXPONENT[currency]
    except KeyError:
        raise ValueError(f"unsupported currency {currency!r}") from None


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("amount_minor must be an int")
        exponent_of(self.currency)

    def __str__(self) -> str:
        return format_minor(self.amount_minor, self.currency)


def format_minor(amount_minor: int, currency: str) -> str:
    """``123456, CNY`` -> ``1,234.56 CNY``; ``10000000, KRW`` -> ``10,000,000 KRW``."""
    exp = exponent_of(currency)
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(amount_minor), 10**exp) if exp else (abs(amount_minor), 0)
    text = f"{whole:,}"
    if exp:
        text += f".{frac:0{exp}d}"
    return f"{sign}{text} {currency}"
