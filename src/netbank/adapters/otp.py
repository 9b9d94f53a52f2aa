"""RFC 6238 TOTP with pyotp, otpauth:// provisioning URIs and their QR codes (segno)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from datetime import datetime
from typing import Any

import pyotp
import segno

from netbank.domain.otp import OTPAlgorithm, TOTPParameters

_DIGESTS: dict[OTPAlgorithm, Any] = {
    OTPAlgorithm.SHA1: hashlib.sha1,
    OTPAlgorithm.SHA256: hashlib.sha256,
    OTPAlgorithm.SHA512: hashlib.sha512,
}


def seed_base32(seed: bytes) -> str:
    return base64.b32encode(seed).decode().rstrip("=")


def _totp(seed: bytes, params: TOTPParameters) -> pyotp.TOTP:
    return pyotp.TOTP(
        seed_base32(seed),
        digits=params.digits,
        digest=_DIGESTS[params.algorithm],
        interval=params.step_seconds,
    )


def code_at(seed: bytes, params: TOTPParameters, at: datetime) -> str:
    return _totp(seed, params).at(at)


def matching_step(seed: bytes, params: TOTPParameters, code: str, now: datetime) -> int | None:
    """The time step within ±drift whose code equals ``code`` (compared in constant time),
    or None. Earlier steps are tried first so a replay of an old code is seen as one."""
    if len(code) != params.digits or not (code.isascii() and code.isdigit()):
        return None
    totp = _totp(seed, params)
    current = params.step_at(now.timestamp())
    found: int | None = None
    for step in range(current - params.drift_steps, current + params.drift_steps + 1):
        candidate = totp.generate_otp(step)
        if hmac.compare_digest(candidate, code) and found is None:
            found = step
    return found


def provisioning_uri(seed: bytes, params: TOTPParameters, *, account: str, issuer: str) -> str:
    """An ``otpauth://totp/...`` URI that standard authenticator apps accept."""
    return _totp(seed, params).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def qr_png(uri: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=6)
    return buffer.getvalue()


class PyOTPCodec:
    """The ``OTPCodec`` port over the functions above."""

    def matching_step(self, seed: bytes, params: TOTPParameters, code: str, now: datetime) -> int | None:
        return matching_step(seed, params, code, now)

    def code_at(self, seed: bytes, params: TOTPParameters, at: datetime) -> str:
        return code_at(seed, params, at)

    def provisioning_uri(self, seed: bytes, params: TOTPParameters, *, account: str, issuer: str) -> str:
        return provisioning_uri(seed, params, account=account, issuer=issuer)

    def qr_svg(self, uri: str) -> str:
        return qr_svg(uri)

    def qr_png(self, uri: str) -> bytes:
        return qr_png(uri)
