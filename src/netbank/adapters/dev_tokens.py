"""Development: SoftHSM2 tokens for the demo (``make run``), so that the institution PKI (K1)
and the cloud financial certificate service (F1) run without an operator's HSM set-up.

Three tokens in ``<data_dir>/softhsm``: the institutions' CA keys, the financial certificate
service's CA keys and its key store; and, beside them, blank UKEYs for the counter to sell.
The three tokens' user PINs are random, never printed, and written only to
``<data_dir>/hsm.env`` (mode 0600) as the variables ``netbank`` reads, for a shell to source
(``set -a; . var/hsm.env; set +a``). The security officer PINs are random and kept nowhere: a
demo token is re-made by deleting the folder, not re-initialised.

Production configures its own HSM tokens and never calls this."""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ENV_FILE = "hsm.env"
#: (label, variable naming the label, variable holding the user PIN). No label is the start of
#: another: some PKCS#11 tools (OpenSC's pkcs11-tool) pick a token by a label's prefix.
TOKENS = (
    ("netbank-hsm", "NETBANK_HSM_TOKEN_LABEL", "NETBANK_HSM_PIN"),
    ("netbank-fincert-ca", "NETBANK_FINCERT_TOKEN_LABEL", "NETBANK_FINCERT_TOKEN_PIN"),
    ("netbank-fincert-keys", "NETBANK_FINCERT_KEY_TOKEN_LABEL", "NETBANK_FINCERT_KEY_TOKEN_PIN"),
)


class TokenSetupError(RuntimeError):
    """SoftHSM2 is missing or refused to initialise a token."""


@dataclass(frozen=True)
class DevTokens:
    env_file: Path
    created: bool  # False: they existed already


def ensure_dev_tokens(data_dir: Path, *, blank_ukeys: Sequence[str] = (), ukey_pin: str = "") -> DevTokens:
    """The demo's tokens and ``hsm.env``, made once; later calls leave both as they are (the
    tokens are made anew only when their folder is gone, and then so are their PINs).
    ``blank_ukeys`` are UKEYs for the counter to sell (K1), with the customer's ``ukey_pin``."""
    env_file = data_dir / ENV_FILE
    home = data_dir / "softhsm"
    tokens = home / "tokens"
    if env_file.exists() and tokens.is_dir() and any(tokens.iterdir()):
        return DevTokens(env_file, created=False)
    util = shutil.which("softhsm2-util")
    if util is None:
        raise TokenSetupError("softhsm2-util not found: install the softhsm2 package")
    home.mkdir(parents=True, mode=0o700, exist_ok=True)
    if tokens.exists():
        # Tokens without their PINs are of no use, and SoftHSM2 refuses a second token of a label.
        shutil.rmtree(tokens)
    tokens.mkdir(mode=0o700)
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    values = {"SOFTHSM2_CONF": str(conf)}
    for label, label_variable, pin_variable in TOKENS:
        pin = secrets.token_hex(16)
        _init_token(util, conf, label, pin)
        values[label_variable] = label
        values[pin_variable] = pin
    for label in blank_ukeys:
        _init_token(util, conf, label, ukey_pin)
    _write_private(env_file, "".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items()))
    return DevTokens(env_file, created=True)


def _init_token(util: str, conf: Path, label: str, pin: str) -> None:
    done = subprocess.run(  # noqa: S603 - a fixed tool and arguments
        [util, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", secrets.token_hex(16)],
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise TokenSetupError(f"softhsm2-util could not initialise {label}: {done.stderr.strip()}")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only, all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
