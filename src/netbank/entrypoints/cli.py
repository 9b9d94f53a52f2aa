"""The ``netbank`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    help="netbank: personal e-banking channel platform",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # never print local variables (secrets) on a crash
)
audit_app = typer.Typer(help="The hash-chained audit trail", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(import_app, name="import")
console = Console()


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema (Alembic)."""
    from netbank.adapters.db.migrate import upgrade
    from netbank.config import Settings

    settings = Settings()
    upgrade(settings.resolved_database_url)
    console.print(
        f"[green]database at the newest schema[/green] ({_backend(settings.resolved_database_url)})"
    )


def _backend(url: str) -> str:
    return url.split(":", 1)[0]


@app.command("load-demo")
def load_demo(
    if_empty: Annotated[bool, typer.Option(help="Do nothing when institutions already exist")] = False,
) -> None:
    """Load the demo institutions, branches, tellers and customers."""
    from netbank.bootstrap import bootstrap
    from netbank.demo import load

    state = bootstrap()
    try:
        with state.deps.uow(readonly=True) as uow:
            has_data = bool(uow.institutions.list())
        if if_empty and has_data:
            console.print("demo data already loaded")
            return
        summary = load(state.deps)
        console.print(f"[green]demo loaded[/green]: {summary}")
    finally:
        state.close()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    access_log: Annotated[bool, typer.Option(help="Write an access log")] = False,
) -> None:
    """Serve the API and web pages."""
    import uvicorn

    from netbank.adapters.logging import configure_logging
    from netbank.config import Settings

    settings = Settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "netbank.entrypoints.api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=access_log,
        proxy_headers=False,
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Re-hash every audit chain; exit 1 when an entry was changed, inserted or removed."""
    from netbank.bootstrap import bootstrap
    from netbank.services.audit import verify_audit

    state = bootstrap()
    try:
        report = verify_audit(state.deps)
    finally:
        state.close()
    table = Table("chain", "entries")
    for chain, count in sorted(report.chains.items()):
        table.add_row(chain, str(count))
    console.print(table)
    if report.ok:
        console.print("[green]audit trail intact[/green]")
        return
    for b in report.breaks:
        console.print(f"[red]chain {b.chain} at {b.chain_seq}: {b.reason}[/red]")
    raise typer.Exit(1)


@import_app.command("customers")
def import_customers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import core customers (and one account each) from CSV. Bad rows are reported with their
    line number and reason and leave nothing behind; good rows are imported."""
    from netbank.bootstrap import bootstrap
    from netbank.services import importer

    state = bootstrap()
    try:
        total = importer.count_rows(file)
        try:
            rows = list(importer.read_csv(file))
        except ValueError as exc:
            console.print(f"[red]{file.name}: {exc}[/red]")
            raise typer.Exit(2) from None
        with Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("rows", total=total)
            result = importer.import_customers(state.deps, rows, lambda: progress.advance(task))
    finally:
        state.close()
    console.print(f"imported {result.imported} row(s), refused {len(result.errors)}")
    for err in result.errors:
        console.print(f"  line {err.line}: {err.reason}")
    if result.errors:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
