"""Localized messages (ko / zh / en) for every refusal code and UI word.

The catalogs are the gettext ``.po`` files under ``netbank/i18n/<locale>/LC_MESSAGES``; they
are read once with Babel's PO parser (no compile step, no ``.mo`` files). A msgid is a
:class:`netbank.domain.errors.Code` value (or a UI word such as ``landing.title``); its msgstr
is a ``str.format`` template whose ``{fields}`` are the params the code is raised with.

Lookup never fails: the requested locale, then English, then the msgid itself. Formatting
never fails either: a param the message names but the caller did not give renders as empty.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Final

from babel.core import negotiate_locale
from babel.messages.pofile import read_po

from netbank.domain.locale import SUPPORTED_LOCALES

#: The domain's list: a language someone may prefer is one with a catalog here.
SUPPORTED: Final[tuple[str, ...]] = SUPPORTED_LOCALES
DEFAULT: Final[str] = "en"
DOMAIN: Final[str] = "netbank"
I18N_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "i18n"

#: An Accept-Language header longer than this is cut; at most this many entries are read.
_MAX_HEADER_CHARS: Final[int] = 1024
_MAX_ENTRIES: Final[int] = 32


class _Blank(dict[str, object]):
    """Format params where a missing name renders as an empty string."""

    def __missing__(self, key: str) -> str:
        return ""


def _render(template: str, params: Mapping[str, object]) -> str:
    """``template.format_map(params)``, tolerant of missing names. A template that still cannot
    be formatted (a positional ``{}``, a bad spec for the value given) is returned unformatted
    rather than hiding the refusal behind a crash."""
    try:
        return string.Formatter().vformat(template, (), _Blank(params))
    except (IndexError, KeyError, AttributeError, TypeError, ValueError):
        return template


class Catalogs:
    """The ko / zh / en message catalogs, loaded once from ``directory``."""

    def __init__(self, directory: Path = I18N_DIR) -> None:
        self._messages: dict[str, dict[str, str]] = {
            locale: _load(directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po", locale) for locale in SUPPORTED
        }

    def message(self, locale: str, msgid: str, **params: object) -> str:
        """The message for ``msgid`` in ``locale`` (else English, else the msgid itself),
        with ``params`` filled in."""
        template = self._messages.get(locale, {}).get(msgid) or self._messages[DEFAULT].get(msgid) or msgid
        return _render(template, params)

    def has(self, locale: str, msgid: str) -> bool:
        """Whether ``locale`` itself has a non-empty translation of ``msgid``."""
        return bool(self._messages.get(locale, {}).get(msgid))

    def msgids(self, locale: str) -> set[str]:
        """Every msgid that ``locale`` translates (non-empty msgstr)."""
        return set(self._messages.get(locale, {}))


def _load(path: Path, locale: str) -> dict[str, str]:
    """msgid -> msgstr of one ``.po`` file; untranslated, fuzzy and plural entries are left out
    (they fall back to English)."""
    with path.open("rb") as fileobj:
        catalog = read_po(fileobj, locale=locale, domain=DOMAIN)
    messages: dict[str, str] = {}
    for entry in catalog:
        if not entry.id or entry.fuzzy:
            continue
        if isinstance(entry.id, str) and isinstance(entry.string, str) and entry.string:
            messages[entry.id] = entry.string
    return messages


@cache
def catalogs() -> Catalogs:
    """The process-wide catalogs, loaded on first use."""
    return Catalogs()


def negotiate(accept_language: str | None) -> str:
    """The best of ``SUPPORTED`` for an Accept-Language header (or a bare tag such as ``ko`` or
    ``zh_CN``), honouring q-values; ``DEFAULT`` when nothing matches. Never raises."""
    if not accept_language:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    entries = accept_language[:_MAX_HEADER_CHARS].split(",")[:_MAX_ENTRIES]
    for position, entry in enumerate(entries):
        tag, _, params = entry.partition(";")
        tag = tag.strip().replace("_", "-")
        quality = _quality(params)
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    ranked.sort()
    for _, _, tag in ranked:
        if tag == "*":
            return DEFAULT
        match = negotiate_locale([tag], SUPPORTED, sep="-", aliases={})
        if match is not None and match.lower() in SUPPORTED:
            return match.lower()
    return DEFAULT


def _quality(params: str) -> float:
    """The q-value of one Accept-Language entry's params (``q=0.8``); 1 when absent, 0 (not
    acceptable) when malformed or out of range."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0
