"""The printable receipt of a counter transaction, as a PDF (fpdf2), in the teller's language.

Korean and Chinese need a CJK TrueType font: WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``,
which ``make system-packages`` installs) covers Hangul and Hanzi. It is found through
fontconfig (``fc-match``) once per process and used only when it really has both scripts.
Without it the receipt is still printed, in English with every character outside Latin-1
replaced by ``?``, and a warning is logged: a missing font never stops the counter.

The words come from the message catalogs (``web.receipt.*``, ``web.txn.*``, ``web.action.*``),
the same ones the receipt page uses."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Final

from fpdf import FPDF
from fpdf.enums import WrapMode

from netbank.adapters.i18n import catalogs
from netbank.domain.counter import TransactionCode
from netbank.domain.money import format_minor
from netbank.entrypoints.web.common import local_time
from netbank.services.receipts import PrintedReceipt

log = logging.getLogger(__name__)
# fontTools reports every table it leaves out of the subset; nothing a maintainer must act on.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

CJK_FAMILY: Final = "WenQuanYi Zen Hei"
#: A5 portrait, in millimetres (a counter printer's slip).
A5_MM: Final = (148.0, 210.0)
#: One Hangul and one Hanzi character the font must have to be used.
_PROBES: Final = (ord("가"), ord("中"))

#: The name of each counter transaction (the receipt's heading line).
TRANSACTION_WORDS: Final[Mapping[str, str]] = {
    TransactionCode.CONTRACT.value: "web.txn.contract",
    TransactionCode.ADD_LINKED_ACCOUNT.value: "web.txn.add_linked_account",
    TransactionCode.REMOVE_LINKED_ACCOUNT.value: "web.txn.remove_linked_account",
    TransactionCode.PASSWORD_RESET.value: "web.txn.password_reset",
    TransactionCode.CARD_LOSS.value: "web.txn.card_loss",
    TransactionCode.CARD_REPLACEMENT.value: "web.txn.card_replacement",
    TransactionCode.ACCOUNT_CLOSURE.value: "web.txn.account_closure",
    TransactionCode.STATUS_FLAG.value: "web.txn.status_flag",
    TransactionCode.OTP_PHONE.value: "web.txn.otp_phone",
    TransactionCode.OTP_RESEED.value: "web.txn.otp_reseed",
    TransactionCode.OTP_UNLOCK.value: "web.txn.otp_unlock",
    TransactionCode.UKEY_SALE.value: "web.txn.ukey_sale",
    TransactionCode.CERTIFICATE_RENEWAL.value: "web.txn.certificate_renewal",
    TransactionCode.CERTIFICATE_REVOCATION.value: "web.txn.certificate_revocation",
    TransactionCode.TRANSFER_REVERSAL.value: "web.txn.transfer_reversal",
}

#: The action a journal line records.
ACTION_WORDS: Final[Mapping[str, str]] = {
    "add": "web.action.add",
    "re_add": "web.action.re_add",
    "modify": "web.action.modify",
    "delete": "web.action.delete",
    "remove": "web.action.remove",
    "reset": "web.action.reset",
    "replace": "web.action.replace",
    "reseed": "web.action.reseed",
    "unlock": "web.action.unlock",
    "sell": "web.action.sell",
    "renew": "web.action.renew",
    "revoke": "web.action.revoke",
    "verbal": "web.action.verbal",
    "written": "web.action.written",
    "pin": "web.action.pin",
    "same_number": "web.action.same_number",
    "close": "web.action.close",
    "set": "web.action.set",
    "clear": "web.action.clear",
}

#: C3 status flags, as the forms and receipts name them.
FLAG_WORDS: Final[Mapping[str, str]] = {
    "verbal_loss": "web.flag.verbal_loss",
    "written_loss": "web.flag.written_loss",
    "pin_loss": "web.flag.pin_loss",
    "initial_pin": "web.flag.initial_pin",
    "wrong_pin_exceeded": "web.flag.wrong_pin_exceeded",
    "under_watch": "web.flag.under_watch",
    "fraud_hold": "web.flag.fraud_hold",
}

Translate = Callable[[str], str]


def transaction_name(t: Translate, code: str) -> str:
    word = TRANSACTION_WORDS.get(code)
    return f"{code} {t(word)}" if word else code


def action_name(t: Translate, action: str) -> str:
    """``set_under_watch`` -> "set: under watch"; a known action by its word; else as is."""
    for prefix in ("set_", "clear_"):
        flag = action.removeprefix(prefix)
        if action.startswith(prefix) and flag in FLAG_WORDS:
            return f"{t(ACTION_WORDS[prefix[:-1]])}: {t(FLAG_WORDS[flag])}"
    word = ACTION_WORDS.get(action)
    return t(word) if word else action


@cache
def cjk_font() -> Path | None:
    """The CJK TrueType font (a file, or a collection whose first face is used), or None."""
    fc_match = shutil.which("fc-match")
    found: Path | None = None
    if fc_match is not None:
        try:
            out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [fc_match, "-f", "%{file}", CJK_FAMILY],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and _covers_cjk(Path(out)):
            found = Path(out)
    if found is None:
        log.warning("no CJK font (%s) found: receipts are printed in English only", CJK_FAMILY)
    return found


def _covers_cjk(path: Path) -> bool:
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    try:
        if path.suffix.lower() == ".ttc":
            with TTCollection(str(path), lazy=True) as collection:
                cmap = collection.fonts[0].getBestCmap() or {}
        else:
            with TTFont(str(path), lazy=True) as font:
                cmap = font.getBestCmap() or {}
    except (OSError, TTLibError, IndexError):
        return False
    return all(code in cmap for code in _PROBES)


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def render_receipt(receipt: PrintedReceipt, locale: str, font: Path | None) -> bytes:
    """The receipt as PDF bytes, in ``locale`` when ``font`` is a CJK font, else in English
    and Latin-1 only."""
    if font is None:
        locale = "en"
    text = catalogs()

    def t(msgid: str, **params: object) -> str:
        return text.message(locale, msgid, **params)

    clean: Callable[[str], str] = (lambda s: s) if font is not None else _latin1
    pdf = FPDF(format=A5_MM)
    pdf.set_title(f"{receipt.code} #{receipt.transaction_id}")
    pdf.set_creator("netbank")
    pdf.add_page()
    if font is not None:
        pdf.add_font("receipt", "", str(font), collection_font_number=0)
        family = "receipt"
    else:
        family = "helvetica"
    pdf.set_font(family, size=14)
    pdf.multi_cell(0, 8, clean(receipt.institution_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=12)
    pdf.multi_cell(0, 7, clean(t("web.receipt.title")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    rows: list[tuple[str, str]] = [
        (t("web.receipt.transaction"), transaction_name(t, receipt.code)),
        (t("web.receipt.action"), action_name(t, receipt.action)),
        (t("web.receipt.number"), str(receipt.transaction_id)),
        (t("web.receipt.time"), local_time(receipt.at, receipt.timezone, seconds=True)),
        (t("web.receipt.branch"), f"{receipt.branch_code} {receipt.branch_name}"),
        (t("web.receipt.teller"), receipt.teller_number),
        (t("web.receipt.customer"), f"{receipt.customer_number} {receipt.customer_name_masked}"),
    ]
    if receipt.document_masked:
        rows.append((t("web.receipt.document"), receipt.document_masked))
    if receipt.account_masked:
        rows.append((t("web.receipt.account"), receipt.account_masked))
    if receipt.fee_minor is not None:
        rows.append((t("web.receipt.fee"), format_minor(receipt.fee_minor, receipt.currency)))
        if receipt.fee_account_masked:
            rows.append((t("web.receipt.fee_account"), receipt.fee_account_masked))
    for key, value in receipt.details.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((key, shown))
    pdf.set_font(family, size=10)
    for label, value in rows:
        pdf.multi_cell(
            0, 6, clean(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR
        )
    pdf.ln(8)
    pdf.multi_cell(0, 6, clean(t("web.receipt.signature")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
