"""The languages netbank speaks, and a signed-in person's choice of one.

A customer or a member of staff may prefer one of them: the web front then shows their pages
in it from the moment they sign in, in any browser (the choice is kept on their record, not
only in a browser's cookie)."""

from __future__ import annotations

from typing import Final

from netbank.domain.errors import Code, RuleViolation

#: Every language with a message catalog (ko / zh / en), in the order the UI offers them.
SUPPORTED_LOCALES: Final[tuple[str, ...]] = ("ko", "zh", "en")


def ensure_supported_locale(locale: str) -> str:
    """A preferred language must be one netbank has a catalog for; anything else is refused
    with ``LOCALE_UNSUPPORTED`` (the language asked for, cut short, and the supported ones named)."""
    if locale not in SUPPORTED_LOCALES:
        raise RuleViolation(
            Code.LOCALE_UNSUPPORTED, language=locale[:16], supported=", ".join(SUPPORTED_LOCALES)
        )
    return locale
