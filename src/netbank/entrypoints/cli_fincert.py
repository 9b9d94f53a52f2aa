"""``netbank fincert …``: the operator's side of the cloud financial certificate service (F1).
Registered on the main ``netbank`` command in ``cli.py``."""

from __future__ import annotations

import typer
from rich.console import Console

fincert_app = typer.Typer(help="The cloud financial certificate service (F1)", no_args_is_help=True)
console = Console(stderr=True)


@fincert_app.command("init-ca")
def init_ca() -> None:
    """Create the service's root and issuing CA on its HSM token (NETBANK_FINCERT_TOKEN_LABEL,
    NETBANK_FINCERT_TOKEN_PIN), once per deployment."""
    from netbank.bootstrap import bootstrap
    from netbank.domain.errors import DomainError
    from netbank.services.fincert import init_service_ca

    state = bootstrap()
    try:
        try:
            for authority in init_service_ca(state.deps):
                print(f"{authority.role}\t{authority.serial}\t{authority.subject}")
        except DomainError as exc:
            console.print(f"[red]{exc.code.value}[/red]")
            raise typer.Exit(1) from None
    finally:
        state.close()
