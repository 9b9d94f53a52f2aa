"""``netbank demo-hsm``: the demo's SoftHSM2 tokens (``make run``), driven with the real
``softhsm2-util`` and ``pkcs11-tool``, each against the tokens' own SOFTHSM2_CONF."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netbank.adapters import hsm
from netbank.adapters.dev_tokens import ENV_FILE, TOKENS, TokenSetupError, ensure_dev_tokens
from netbank.entrypoints.cli import app


def _variables(env_file: Path) -> dict[str, str]:
    pairs = (shlex.split(line)[0].split("=", 1) for line in env_file.read_text().splitlines() if line)
    return {name: value for name, value in pairs}


def _login(conf: str, label: str, pin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "pkcs11-tool",
            "--module",
            hsm.DEFAULT_MODULE_PATH,
            "--token-label",
            label,
            "--login",
            "--pin",
            pin,
            "--list-objects",
        ],
        env={**os.environ, "SOFTHSM2_CONF": conf},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_demo_tokens_are_made_once_with_random_pins_kept_only_in_the_owners_env_file(
    tmp_path: Path,
) -> None:
    made = ensure_dev_tokens(tmp_path)
    assert made.created and made.env_file == tmp_path / ENV_FILE
    assert made.env_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "softhsm").stat().st_mode & 0o777 == 0o700
    variables = _variables(made.env_file)
    conf = variables["SOFTHSM2_CONF"]
    pins = set()
    for label, label_variable, pin_variable in TOKENS:
        assert variables[label_variable] == label
        pin = variables[pin_variable]
        assert len(pin) == 32 and pin not in pins
        pins.add(pin)
        assert _login(conf, label, pin).returncode == 0  # the PIN is the token's
        assert _login(conf, label, "0" * 32).returncode != 0

    ukey = ensure_dev_tokens(tmp_path / "with-ukeys", blank_ukeys=("demo-ukey-1",), ukey_pin="123456")
    ukey_conf = _variables(ukey.env_file)["SOFTHSM2_CONF"]
    assert _login(ukey_conf, "demo-ukey-1", "123456").returncode == 0  # blank, the customer's PIN
    assert "demo-ukey-1" not in ukey.env_file.read_text()  # not netbank's to configure

    before = made.env_file.read_bytes()
    again = ensure_dev_tokens(tmp_path)
    assert not again.created
    assert made.env_file.read_bytes() == before  # the tokens and their PINs stay

    # Tokens gone: made anew, with new PINs (the old ones unlock nothing any more).
    (tmp_path / "softhsm" / "tokens").rename(tmp_path / "old-tokens")
    remade = ensure_dev_tokens(tmp_path)
    assert remade.created
    fresh = _variables(remade.env_file)
    assert {fresh[pin_variable] for *_, pin_variable in TOKENS}.isdisjoint(pins)
    assert _login(fresh["SOFTHSM2_CONF"], "netbank-hsm", fresh["NETBANK_HSM_PIN"]).returncode == 0


def test_without_softhsm2_the_demo_tokens_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(TokenSetupError, match="softhsm2"):
        ensure_dev_tokens(tmp_path)
    assert not (tmp_path / ENV_FILE).exists()


def test_demo_hsm_is_refused_in_production_and_makes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    result = CliRunner().invoke(
        app,
        ["demo-hsm"],
        env={"NETBANK_ENVIRONMENT": "production", "NETBANK_DATA_DIR": str(data_dir)},
    )
    assert result.exit_code == 1
    assert "production" in result.output
    assert not data_dir.exists()


def test_demo_hsm_names_the_env_file_and_never_prints_a_pin(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    runner = CliRunner()
    first = runner.invoke(app, ["demo-hsm"], env={"NETBANK_DATA_DIR": str(data_dir)})
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["demo-hsm"], env={"NETBANK_DATA_DIR": str(data_dir)})
    assert "created" in first.output and "already there" in second.output
    assert ENV_FILE in first.output.replace("\n", "")
    for name, value in _variables(data_dir / ENV_FILE).items():
        if name.endswith("_PIN"):
            assert value not in first.output + second.output
