"""Every refusal code has a message in ko / zh / en, and each message names only params the code
is actually raised with; Accept-Language negotiation picks ko / zh / en and never fails."""

from __future__ import annotations

import ast
import string
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from netbank.adapters.i18n import (
    DEFAULT,
    I18N_DIR,
    SUPPORTED,
    Catalogs,
    catalogs,
    negotiate,
)
from netbank.domain.errors import Code

SRC = Path(__file__).resolve().parents[2] / "src" / "netbank"
UI_MSGIDS = frozenset(
    {
        "landing.title",
        "landing.docs",
        "landing.institutions",
        # texts of messages sent through the outbox (netbank.adapters.notify.render)
        "message.challenge_code.sms",
        "message.challenge_code.voice",
        "message.challenge_code.app",
        "message.fincert_registered.sms",
    }
)
#: Params given outside a ``SomeError(Code.X, name=...)`` call: the API's error envelope
#: (``entrypoints/api/errors.py``) fills REQUEST_VALIDATION with the offending field.
EXTRA_PARAMS: dict[str, set[str]] = {Code.REQUEST_VALIDATION.value: {"field"}}


def _raised_params() -> dict[str, set[str] | None]:
    """code -> the keyword params it is raised with anywhere in the source (None when some call
    passes ``**kwargs``, so the names cannot be known statically)."""
    found: dict[str, set[str] | None] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            first = node.args[0]
            if not (
                isinstance(first, ast.Attribute)
                and isinstance(first.value, ast.Name)
                and first.value.id == "Code"
            ):
                continue
            names = found[first.attr]
            if names is None:
                continue
            if any(keyword.arg is None for keyword in node.keywords):
                found[first.attr] = None
                continue
            names.update(keyword.arg for keyword in node.keywords if keyword.arg)
    for code, extra in EXTRA_PARAMS.items():
        names = found[code]
        if names is not None:
            names.update(extra)
    return dict(found)


RAISED_PARAMS = _raised_params()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _read_templates() -> dict[str, dict[str, str]]:
    """locale -> msgid -> raw msgstr, read straight from the .po files (not through the
    adapter under test)."""
    templates: dict[str, dict[str, str]] = {}
    for locale in SUPPORTED:
        with (I18N_DIR / locale / "LC_MESSAGES" / "netbank.po").open("rb") as fileobj:
            catalog = read_po(fileobj, locale=locale)
        templates[locale] = {
            entry.id: entry.string
            for entry in catalog
            if isinstance(entry.id, str) and entry.id and isinstance(entry.string, str)
        }
    return templates


TEMPLATES = _read_templates()

#: Words of the web pages (netbank.entrypoints.web) are msgids starting with this prefix; each
#: must be in every catalog (``tests/unit/test_web_words.py`` checks that the templates use
#: only words that exist).
WEB_PREFIX = "web."
WEB_MSGIDS = frozenset(
    msgid for locale in SUPPORTED for msgid in TEMPLATES[locale] if msgid.startswith(WEB_PREFIX)
)


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("code", list(Code), ids=lambda code: code.value)
def test_every_code_has_a_message_in_every_locale(code: Code, locale: str) -> None:
    assert catalogs().has(locale, code.value)
    message = catalogs().message(locale, code.value)
    assert message.strip()
    assert message != code.value


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("msgid", sorted(UI_MSGIDS | WEB_MSGIDS))
def test_every_ui_word_has_a_message_in_every_locale(msgid: str, locale: str) -> None:
    assert catalogs().has(locale, msgid)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_catalogs_hold_no_stale_msgids(locale: str) -> None:
    known = {code.value for code in Code} | UI_MSGIDS | WEB_MSGIDS
    assert catalogs().msgids(locale) - known == set()


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("code", list(Code), ids=lambda code: code.value)
def test_message_names_only_params_the_code_is_raised_with(code: Code, locale: str) -> None:
    template = TEMPLATES[locale].get(code.value, "")  # a missing one fails the test above
    fields = _fields(template)
    # Only plain names: no positional {} / {0}, no attribute or index access.
    assert all(field.isidentifier() for field in fields), fields
    allowed = RAISED_PARAMS.get(code.value, set())
    if allowed is not None:
        assert fields <= allowed, f"{locale}: {fields - allowed} is never passed with {code}"
    # A valid format string: formatting strictly with every field given raises nothing.
    dummy = {field: f"<{field}>" for field in fields}
    strict = template.format(**dummy)
    assert "{" not in strict
    assert catalogs().message(locale, code.value, **dummy) == strict


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("code", list(Code), ids=lambda code: code.value)
def test_missing_params_do_not_raise_or_leak_placeholders(code: Code, locale: str) -> None:
    message = catalogs().message(locale, code.value)
    assert message.strip()
    assert not _fields(message)


def test_params_are_filled_in() -> None:
    message = catalogs().message("en", Code.E5_REGISTRATION_ACCOUNT_KIND.value, kind="credit_card")
    assert "credit_card" in message
    assert "E5" in message
    ko = catalogs().message(
        "ko", Code.E11_ACCOUNT_STATUS_BLOCKS.value, account="6222****1234", flags="verbal_loss"
    )
    assert "6222****1234" in ko
    assert "verbal_loss" in ko
    assert "등록계좌" in catalogs().message("ko", Code.E5_REGISTRATION_ACCOUNT_KIND.value)
    assert "注册账户" in catalogs().message("zh", Code.E5_REGISTRATION_ACCOUNT_KIND.value)


def test_param_values_are_not_reinterpreted_as_templates() -> None:
    message = catalogs().message("en", Code.C2_ACCOUNT_CLOSED.value, account="{account}{0}")
    assert "{account}{0}" in message


def test_unknown_locale_falls_back_to_english_and_unknown_msgid_to_itself() -> None:
    code = Code.E2_UNDER_AGE.value
    assert catalogs().message("fr", code, age=15) == catalogs().message("en", code, age=15)
    assert catalogs().message("ko", "NO_SUCH_CODE") == "NO_SUCH_CODE"
    assert not catalogs().has("fr", code)
    assert catalogs().msgids("fr") == set()


def _write_po(directory: Path, locale: str, entries: dict[str, str]) -> None:
    body = "".join(f'msgid "{msgid}"\nmsgstr "{text}"\n\n' for msgid, text in entries.items())
    path = directory / locale / "LC_MESSAGES" / "netbank.po"
    path.parent.mkdir(parents=True)
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: ' + locale + '\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body,
        encoding="utf-8",
    )


def test_empty_or_missing_translation_falls_back_to_english(tmp_path: Path) -> None:
    _write_po(tmp_path, "en", {"A": "english {x}", "B": "only english"})
    _write_po(tmp_path, "ko", {"A": "", "C": "한국어"})
    _write_po(tmp_path, "zh", {})
    loaded = Catalogs(tmp_path)
    assert loaded.message("ko", "A", x=1) == "english 1"
    assert loaded.message("ko", "B") == "only english"
    assert loaded.message("ko", "C") == "한국어"
    assert not loaded.has("ko", "A")
    assert loaded.has("ko", "C")
    assert loaded.msgids("ko") == {"C"}
    assert loaded.msgids("en") == {"A", "B"}


def test_catalogs_is_a_cached_singleton() -> None:
    assert catalogs() is catalogs()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9", "zh"),
        ("ko-KR", "ko"),
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("en-US,en;q=0.9,ko;q=0.8", "en"),
        ("fr", "en"),
        ("fr-FR,fr;q=0.9,zh;q=0.5", "zh"),
        ("en;q=0.3,ko;q=0.8", "ko"),
        ("ko;q=0,zh", "zh"),
        ("zh-Hant-TW", "zh"),
        ("ZH-cn", "zh"),
        ("zh_CN", "zh"),
        ("ko", "ko"),
        ("*", "en"),
        ("ko;q=0.5,*;q=0.8", "en"),
        (None, "en"),
        ("", "en"),
        ("   ", "en"),
        ("garbage;;;q=abc,,,", "en"),
        ("ko;q=abc", "en"),
        ("ko;q=2", "en"),
        ("ko;q=nan,zh;q=0.1", "zh"),
        ("!!@#$%^&*()", "en"),
        ("\x00\xff;q=\u2603", "en"),
        ("x-klingon,i-default", "en"),
        ("ko," * 10_000, "ko"),
        ("fr," * 10_000 + "ko", "en"),
    ],
)
def test_negotiate_picks_a_supported_locale(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_negotiate_always_answers_a_supported_locale() -> None:
    assert DEFAULT == "en"
    assert set(SUPPORTED) == {"ko", "zh", "en"}
    for header in ("ko-KR", "zh", "de", ";", "q=1", ",", "ko;q=", "-", "ko-", "-ko"):
        assert negotiate(header) in SUPPORTED
