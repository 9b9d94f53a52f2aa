"""The web pages speak only through the catalogs: every ``web.`` word a template or a web route
names exists in ko / zh / en, the words built from a domain value (``web.account_kind.`` +
the kind) exist for every value, and no ``web.`` word is left unused."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

import pytest

from netbank.adapters.i18n import SUPPORTED, catalogs
from netbank.domain.account import AccountKind
from netbank.domain.enrolment import LinkOrigin, Version
from netbank.domain.fincert import CertificateStatus
from netbank.domain.identity import DocumentType
from netbank.domain.ledger import PayeeCategory, PostingKind
from netbank.domain.otp import ChallengeChannel
from netbank.domain.session import AuthLevel
from netbank.services.factors import standard_factors

WEB = Path(__file__).resolve().parents[2] / "src" / "netbank" / "entrypoints" / "web"
_LITERAL = re.compile(r"""["'](web\.[a-z0-9_.]*[a-z0-9_])["']""")

#: Words composed in a template from a domain value: prefix -> the values.
FAMILIES: dict[str, type[Enum] | list[str]] = {
    "web.method.": [m for factor in standard_factors().factors for m in factor.methods],
    "web.account_kind.": AccountKind,
    "web.version.": Version,
    "web.posting_kind.": PostingKind,
    "web.document_type.": DocumentType,
    "web.level.": AuthLevel,
    "web.channel.": ChallengeChannel,
    "web.cert_status.": CertificateStatus,
    "web.payee_category.": PayeeCategory,
    "web.link_origin.": LinkOrigin,
}


def _literal_words() -> set[str]:
    words: set[str] = set()
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("*.py")]:
        words.update(_LITERAL.findall(path.read_text(encoding="utf-8")))
    return {w for w in words if not any(w + "." == prefix for prefix in FAMILIES)}


def _family_words() -> set[str]:
    return {
        prefix + (member if isinstance(member, str) else str(member.value))
        for prefix, values in FAMILIES.items()
        for member in values
    }


USED = _literal_words() | _family_words()


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("msgid", sorted(USED))
def test_every_web_word_in_use_is_translated(msgid: str, locale: str) -> None:
    assert catalogs().has(locale, msgid)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_no_web_word_is_left_unused(locale: str) -> None:
    web_words = {m for m in catalogs().msgids(locale) if m.startswith("web.")}
    assert web_words - USED == set()


def test_the_scan_finds_the_templates_words() -> None:
    assert "web.sign_in.title" in USED
    assert "web.account_kind.credit_card" in USED
    assert len(USED) > 100
