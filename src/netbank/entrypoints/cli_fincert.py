"""``netbank fincert …``: the operator's side of the cloud financial certificate service (F1)
and its daily purge (F8). Registered on the main ``netbank`` command in ``cli.py``."""

from __future__ import annotations

import typer
from rich.console import Console

fincert_app = typer.Typer(help="The cloud financial certificate service (F1)", no_args_is_help=True)
console = Console(stderr=True)


@fincert_app.command("init-ca")
def init_ca() -> None:
    """Create the service's root and issuing CA and the delegated OCSP signer on its HSM token
    (NETBANK_FINCERT_TOKEN_LABEL, NETBANK_FINCERT_TOKEN_PIN), once per deployment; where the CA
    exists without a signer, only the signer is added."""
    from netbank.bootstrap import bootstrap
    from netbank.domain.errors import DomainError
    from netbank.entrypoints.cli_common import OPERATOR
    from netbank.services.fincert import InitServiceCA, init_service_ca

    state = bootstrap()
    try:
        try:
            for authority in init_service_ca(state.deps, OPERATOR, InitServiceCA()):
                print(f"{authority.role}\t{authority.serial}\t{authority.subject}")
        except DomainError as exc:
            console.print(f"[red]{exc.code.value}[/red]")
            raise typer.Exit(1) from None
    finally:
        state.close()


@fincert_app.command("purge")
def purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be deleted."),
) -> None:
    """F8: delete the people who have not used the cloud for NETBANK_FINCERT_UNUSED_MONTHS
    (default 12) with their certificates (revoked, keys destroyed, registrations and device
    tokens deleted), each audited. Run it daily from a scheduler; a second run, or two at
    once, deletes nobody twice."""
    from rich.table import Table

    from netbank.bootstrap import bootstrap
    from netbank.domain.errors import DomainError
    from netbank.entrypoints.cli_common import OPERATOR
    from netbank.services.fincert import PurgeUnused, purge_unused

    state = bootstrap()
    try:
        try:
            report = purge_unused(state.deps, OPERATOR, PurgeUnused(dry_run=dry_run))
        except DomainError as exc:
            console.print(f"[red]{exc.code.value}[/red]")
            raise typer.Exit(1) from None
        title = "would delete (dry run)" if report.dry_run else "deleted"
        table = Table("unused since", "people", "certificates", "registrations", "devices", title=title)
        table.add_row(
            report.cutoff.isoformat(timespec="seconds"),
            str(report.people),
            str(report.certificates),
            "-" if report.dry_run else str(report.registrations),
            str(report.devices),
        )
        Console().print(table)
    finally:
        state.close()
