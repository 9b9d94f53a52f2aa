"""Logging that cannot leak identity numbers: a filter masks anything shaped like a mainland
resident ID (18 characters) or a Korean resident registration number (13 digits), in the
message and in its arguments, before any handler sees the record."""

from __future__ import annotations

import logging
import re

_CN_ID = re.compile(r"(?<![0-9])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9])")
_KR_RRN = re.compile(r"(?<![0-9])(\d{6})-?([1-8])(\d{6})(?![0-9])")


def mask_identifiers(text: str) -> str:
    text = _CN_ID.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:], text)
    return _KR_RRN.sub(lambda m: f"{m.group(1)}-{m.group(2)}******", text)


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_identifiers(message)
        if masked != message or record.args:
            record.msg = masked
            record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(f, MaskingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.addFilter(MaskingFilter())
        root.addHandler(handler)
    root.setLevel(level)
    install_masking_everywhere()


def install_masking_everywhere() -> None:
    """Attach the filter to every existing handler (uvicorn's included)."""
    for logger in [logging.getLogger(), *[logging.getLogger(n) for n in logging.root.manager.loggerDict]]:
        for handler in getattr(logger, "handlers", []):
            if not any(isinstance(f, MaskingFilter) for f in handler.filters):
                handler.addFilter(MaskingFilter())
