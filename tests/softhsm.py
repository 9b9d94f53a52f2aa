"""One SoftHSM2 token directory per test process, shared by every test that drives PKCS#11
(``tests/pki``, the certificate version in ``tests/integration/test_ukey.py`` and the cloud
financial certificate in ``tests/integration/test_fincert.py``).

SoftHSM2 reads ``SOFTHSM2_CONF`` once, when the module is loaded, and sees only the tokens that
existed then (``adapters/hsm/``); those tests may run in one process in any order, so every
token any of them needs is initialised here, before the first load."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from netbank.adapters import hsm

MODULE = hsm.DEFAULT_MODULE_PATH
USER_PIN = "123456"
SO_PIN = "12345678"
#: The institutions' HSM (K1 CA keys) of the integration tests.
HSM_TOKEN = "nb-hsm"
#: UKEYs sold at the counter in the integration tests.
UKEYS = ("nb-ukey-1", "nb-ukey-2", "nb-ukey-3")
#: The cloud financial certificate service's HSM (F1 CA keys).
FINCERT_TOKEN = "nb-fincert"
#: The cloud financial certificate service's key store: every customer's key (F1).
FINCERT_KEYS_TOKEN = "nb-fincert-keys"
#: The PKI library tests' tokens (tests/pki/conftest.py).
PKI_TOKENS = ("nb-ca", "nb-ukey-gen1", "nb-ukey-gen2", "nb-pin", "nb-pin-lock", "nb-spare")
TOKEN_LABELS = (*PKI_TOKENS, HSM_TOKEN, *UKEYS, FINCERT_TOKEN, FINCERT_KEYS_TOKEN)


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool; return its result whatever the exit code (stdout and stderr merged)."""
    return subprocess.run(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False
    )


@dataclass(frozen=True)
class SoftHSM:
    directory: Path
    conf: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def init_token(self, label: str) -> None:
        result = run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                USER_PIN,
                "--so-pin",
                SO_PIN,
            ],
            env=self.env,
        )
        assert result.returncode == 0, result.stdout


def write_softhsm_conf(directory: Path) -> Path:
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n",
        encoding="utf-8",
    )
    return conf


_started: SoftHSM | None = None


def start_softhsm(directory: Path) -> SoftHSM:
    """Initialise every token of ``TOKEN_LABELS`` in ``directory`` and load the PKCS#11 module
    on it; once per process (later calls return the first store)."""
    global _started
    if _started is not None:
        return _started
    for tool in ("softhsm2-util", "pkcs11-tool", "openssl"):
        assert shutil.which(tool), f"{tool} missing: run `make system-packages`"
    store = SoftHSM(directory=directory, conf=write_softhsm_conf(directory))
    for label in TOKEN_LABELS:
        store.init_token(label)
    # Sets SOFTHSM2_CONF before the library is loaded; SoftHSM2 reads it only then.
    hsm.load_module(MODULE, softhsm2_conf=store.conf)
    _started = store
    return store
