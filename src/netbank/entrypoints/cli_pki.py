"""``netbank pki …`` (the institution PKI, K1) and ``netbank ukey …`` (client-side signing
with a UKEY). Registered on the main ``netbank`` command in ``cli.py``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from netbank.entrypoints.cli_common import OPERATOR

pki_app = typer.Typer(help="The institution PKI: CAs on the HSM, CRLs (K1)", no_args_is_help=True)
ukey_app = typer.Typer(help="Sign with a UKEY over PKCS#11 (client side, K1)", no_args_is_help=True)
console = Console(stderr=True)

PinOption = Annotated[
    str,
    typer.Option(
        "--pin", prompt="UKEY PIN", hide_input=True, envvar="NETBANK_UKEY_PIN", help="The UKEY's user PIN"
    ),
]
ModuleOption = Annotated[
    str | None, typer.Option("--module", help="PKCS#11 module (default: NETBANK_PKCS11_MODULE or SoftHSM2)")
]


def _institutions(deps: object, only: str | None) -> list[str]:
    from netbank.services.ports import Deps

    assert isinstance(deps, Deps)  # noqa: S101 - a type narrowing for the CLI
    if only:
        return [only]
    with deps.uow(readonly=True) as uow:
        return [i.code for i in uow.institutions.list()]


@pki_app.command("init")
def pki_init(
    institution: Annotated[
        str | None, typer.Option("--institution", help="Institution code; default: every institution")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Create new CAs even if the institution has them")] = False,
) -> None:
    """Create the root CA, issuing CA and OCSP signer of each institution on the HSM token
    (NETBANK_PKCS11_MODULE, NETBANK_HSM_TOKEN_LABEL, NETBANK_HSM_PIN) and publish the CRLs."""
    from netbank.bootstrap import bootstrap
    from netbank.domain.certificate import CARole
    from netbank.domain.errors import Code, DomainError
    from netbank.services import pki

    state = bootstrap()
    try:
        for code in _institutions(state.deps, institution):
            try:
                records = pki.init_pki(
                    state.deps, OPERATOR, pki.InitPKI(institution_code=code, replace=replace)
                )
            except DomainError as exc:
                if exc.code is Code.K1_PKI_ALREADY_INITIALISED and institution is None:
                    console.print(f"{code}: already initialised")
                    continue
                console.print(f"[red]{code}: {exc.code.value}[/red]")
                raise typer.Exit(1) from None
            issuing = next(r for r in records if r.role is CARole.ISSUING)
            console.print(f"[green]{code}[/green]: issuing CA {issuing.subject} serial {issuing.serial}")
    finally:
        state.close()


@pki_app.command("publish-crl")
def pki_publish_crl(
    institution: Annotated[
        str | None, typer.Option("--institution", help="Default: every institution")
    ] = None,
) -> None:
    """Re-publish the CRLs (run at least daily, e.g. from cron; revocations publish at once)."""
    from netbank.bootstrap import bootstrap
    from netbank.domain.errors import DomainError
    from netbank.services import pki

    state = bootstrap()
    try:
        for code in _institutions(state.deps, institution):
            try:
                numbers = pki.publish_crl(state.deps, OPERATOR, pki.PublishCRL(code))
            except DomainError as exc:
                console.print(f"{code}: {exc.code.value}")
                continue
            console.print(f"{code}: CRL number {numbers['issuing']} (root {numbers['root']})")
    finally:
        state.close()


def _module(module: str | None) -> str:
    from netbank.adapters import hsm
    from netbank.config import Settings

    return module or Settings().pkcs11_module or hsm.DEFAULT_MODULE_PATH


@ukey_app.command("sign")
def ukey_sign(
    token: Annotated[str, typer.Option("--token", help="The UKEY's token label")],
    institution: Annotated[str, typer.Option(help="Institution code, e.g. edb")],
    customer: Annotated[str, typer.Option(help="Your customer number")],
    payer: Annotated[str, typer.Option(help="Account to pay from")],
    payee: Annotated[str, typer.Option(help="Account number, or payee-code:CODE for a bill")],
    amount_minor: Annotated[int, typer.Option("--amount-minor", help="Amount in minor units")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code")],
    idempotency_key: Annotated[str, typer.Option("--idempotency-key", help="8-64 characters, unique")],
    pin: PinOption,
    module: ModuleOption = None,
) -> None:
    """Sign a transfer instruction (NBTX1) on the UKEY; print the JSON body for
    POST /api/v1/me/signed-transfers."""
    from netbank.adapters import hsm
    from netbank.client import ukey as client
    from netbank.domain.errors import DomainError

    try:
        body = client.signed_transfer_body(
            client.instruction(
                institution=institution,
                customer=customer,
                payer=payer,
                payee=payee,
                amount_minor=amount_minor,
                currency=currency,
                idempotency_key=idempotency_key,
                created_at=datetime.now(UTC),
            ),
            token,
            pin,
            module_path=_module(module),
        )
    except (hsm.TokenError, DomainError) as exc:
        console.print(f"[red]{exc.code}[/red]")
        raise typer.Exit(1) from None
    print(json.dumps(body))


@ukey_app.command("sign-challenge")
def ukey_sign_challenge(
    token: Annotated[str, typer.Option("--token", help="The UKEY's token label")],
    nonce: Annotated[str, typer.Option(help="The challenge's nonce")],
    to_sign: Annotated[str, typer.Option("--to-sign", help="The challenge's to_sign (base64)")],
    pin: PinOption,
    module: ModuleOption = None,
) -> None:
    """Answer a certificate login challenge; print the JSON body for
    POST /api/v1/me/step-up/certificate."""
    from netbank.adapters import hsm
    from netbank.client import ukey as client

    try:
        body = client.signed_login_body(nonce, to_sign, token, pin, module_path=_module(module))
    except hsm.TokenError as exc:
        console.print(f"[red]{exc.code}[/red]")
        raise typer.Exit(1) from None
    print(json.dumps(body))
