"""A preferred language is one netbank has a catalog for (domain, no I/O)."""

from __future__ import annotations

import pytest

from netbank.adapters.i18n import SUPPORTED, catalogs
from netbank.domain.errors import Code, RuleViolation
from netbank.domain.locale import SUPPORTED_LOCALES, ensure_supported_locale


@pytest.mark.parametrize("locale", ["ko", "zh", "en"])
def test_each_language_with_a_catalog_may_be_preferred(locale: str) -> None:
    assert ensure_supported_locale(locale) == locale


@pytest.mark.parametrize("locale", ["", "fr", "ja", "KO", "zh-CN", "zh_CN", "en-US", " en", "x" * 500])
def test_anything_else_is_refused_naming_what_is_supported(locale: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        ensure_supported_locale(locale)
    assert refused.value.code is Code.LOCALE_UNSUPPORTED
    assert refused.value.params == {"language": locale[:16], "supported": "ko, zh, en"}


def test_the_catalogs_speak_exactly_the_languages_that_may_be_preferred() -> None:
    assert SUPPORTED == SUPPORTED_LOCALES
    for locale in SUPPORTED_LOCALES:
        assert catalogs().has(locale, "web.nav.home")
