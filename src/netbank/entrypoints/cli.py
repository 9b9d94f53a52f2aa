"""The ``netbank`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from netbank.entrypoints.cli_common import OPERATOR
from netbank.entrypoints.cli_fincert import fincert_app
from netbank.entrypoints.cli_pki import pki_app, ukey_app

app = typer.Typer(
    help="netbank: personal e-banking channel platform",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # never print local variables (secrets) on a crash
)
audit_app = typer.Typer(help="The hash-chained audit trail", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports", no_args_is_help=True)
otp_app = typer.Typer(help="One-time passwords (development helpers)", no_args_is_help=True)
outbox_app = typer.Typer(help="Messages queued for SMS / voice / app delivery", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(import_app, name="import")
app.add_typer(otp_app, name="otp")
ledger_app = typer.Typer(help="The double-entry ledger", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(outbox_app, name="outbox")
app.add_typer(pki_app, name="pki")
app.add_typer(ukey_app, name="ukey")
app.add_typer(fincert_app, name="fincert")
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
    """Load the demo institutions, branches, tellers and customers; then create the CAs the
    configured HSM tokens do not hold yet (the institutions' PKI, the financial certificate
    service's CA)."""
    from netbank.bootstrap import bootstrap
    from netbank.demo import init_certificate_authorities, load
    from netbank.domain.errors import Code, DomainError

    state = bootstrap()
    try:
        with state.deps.uow(readonly=True) as uow:
            has_data = bool(uow.institutions.list())
        if if_empty and has_data:
            console.print("demo data already loaded")
        else:
            summary = load(state.deps)
            console.print(f"[green]demo loaded[/green]: {summary}")
        try:
            made = init_certificate_authorities(state.deps)
        except DomainError as exc:
            if exc.code is not Code.K1_TOKEN_ERROR:
                raise
            # The database names CA keys the configured tokens do not hold: the tokens were
            # made anew (their folder deleted) while the database was kept.
            console.print(
                f"[red]{exc.code.value}[/red] ({exc.params.get('reason', '')}): the HSM tokens do "
                "not hold the keys of the CAs this database names. Were the tokens made anew? "
                f"To start the demo over, delete the whole data folder ({state.settings.data_dir})."
            )
            raise typer.Exit(1) from None
        for line in made:
            console.print(f"[green]created[/green]: {line}")
    finally:
        state.close()


@app.command("demo-hsm")
def demo_hsm() -> None:
    """Development: SoftHSM2 tokens for the demo's institution PKI and financial certificate
    service, once, in the data folder; their PINs only in <data_dir>/hsm.env (mode 0600), for
    the shell to source before the other commands (``make run`` does). Beside them, blank
    UKEYs for the counter to sell (demo-ukey-1 to 3, the demo PIN)."""
    from netbank.adapters.dev_tokens import TokenSetupError, ensure_dev_tokens
    from netbank.config import Settings
    from netbank.demo import PIN, UKEYS

    settings = Settings()
    if settings.environment == "production":
        console.print("[red]demo-hsm is for development; production configures its own HSM tokens[/red]")
        raise typer.Exit(1)
    try:
        tokens = ensure_dev_tokens(settings.data_dir, blank_ukeys=UKEYS, ukey_pin=PIN)
    except TokenSetupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    state = "created" if tokens.created else "already there"
    console.print(f"demo HSM tokens {state}; their settings: {tokens.env_file}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    access_log: Annotated[bool, typer.Option(help="Write an access log")] = False,
) -> None:
    """Serve the API and web pages. SQLite serves one process: more workers need PostgreSQL."""
    import uvicorn

    from netbank.adapters.db.engine import is_sqlite
    from netbank.adapters.logging import configure_logging
    from netbank.config import Settings

    settings = Settings()
    if workers > 1 and is_sqlite(settings.resolved_database_url):
        typer.echo(
            f"netbank serve: SQLite serves one process; --workers {workers} needs PostgreSQL "
            "(set NETBANK_DATABASE_URL=postgresql+psycopg://...)",
            err=True,
        )
        raise typer.Exit(2)
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
            result = importer.import_customers(state.deps, OPERATOR, rows, lambda: progress.advance(task))
    finally:
        state.close()
    console.print(f"imported {result.imported} row(s), refused {len(result.errors)}")
    for err in result.errors:
        console.print(f"  line {err.line}: {err.reason}")
    if result.errors:
        raise typer.Exit(1)


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Prove the ledger: every posting balances, every stored balance equals its entries."""
    from netbank.bootstrap import bootstrap
    from netbank.services.ledger import verify_ledger

    state = bootstrap()
    try:
        report = verify_ledger(state.deps)
    finally:
        state.close()
    console.print(f"{report.postings} postings, {report.entries} entries")
    for u in report.unbalanced:
        console.print(f"[red]posting {u.posting_id} does not balance in {u.currency}: {u.total_minor}[/red]")
    for pid in report.short_postings:
        console.print(f"[red]posting {pid} has fewer than two entries[/red]")
    for m in report.account_mismatches:
        console.print(f"[red]account {m.account}: stored {m.stored_minor}, entries {m.summed_minor}[/red]")
    for m in report.gl_mismatches:
        console.print(f"[red]GL {m.account}: stored {m.stored_minor}, entries {m.summed_minor}[/red]")
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]ledger balanced: every balance equals its entries[/green]")


@otp_app.command("code")
def otp_code(
    institution: Annotated[str, typer.Argument(help="Institution code, e.g. edb")],
    customer_number: Annotated[str, typer.Argument(help="Core customer number, e.g. 100002")],
) -> None:
    """Print the TOTP code a demo customer's authenticator shows now (not in production)."""
    from netbank.bootstrap import bootstrap
    from netbank.domain.errors import DomainError
    from netbank.services.strong_auth import current_totp_code

    state = bootstrap()
    try:
        if state.settings.environment == "production":
            console.print("[red]netbank otp code is a development helper; refused in production[/red]")
            raise typer.Exit(2)
        try:
            print(current_totp_code(state.deps, institution, customer_number))
        except DomainError as exc:
            console.print(f"[red]{exc.code.value}[/red]")
            raise typer.Exit(1) from None
    finally:
        state.close()


@outbox_app.command("tail")
def outbox_tail(
    lines: Annotated[int, typer.Option("-n", help="How many messages")] = 10,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new messages")] = False,
) -> None:
    """Show the latest queued messages and their delivery state; with the development file
    sender, also the texts as delivered (one-time codes included)."""
    import json
    import time

    from netbank.bootstrap import bootstrap
    from netbank.services.outbox import recent_messages

    state = bootstrap()
    try:
        table = Table("id", "kind", "to", "status", "attempts", "created", "sent", "error")
        for m in reversed(recent_messages(state.deps, lines)):
            table.add_row(
                str(m.id),
                m.kind,
                m.recipient_masked,
                m.status,
                str(m.attempts),
                m.created_at,
                m.sent_at or "",
                m.last_error or "",
            )
        console.print(table)
        path = state.settings.resolved_outbox_file
        if state.settings.outbox_sender != "file":
            return
        console.print(f"delivered texts ({path}):")
        seen = 0
        while True:
            texts = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            start = max(len(texts) - lines, 0) if seen == 0 else seen
            for raw in texts[start:]:
                item = json.loads(raw)
                console.print(f"  #{item['id']} {item['kind']} to {item['to']}: {item['text']}")
            seen = len(texts)
            if not follow:
                return
            time.sleep(1)
    finally:
        state.close()


@outbox_app.command("run")
def outbox_run(interval: Annotated[float, typer.Option(help="Seconds between passes")] = 1.0) -> None:
    """Deliver queued messages until interrupted (when the server does not run the dispatcher)."""
    import signal
    import threading

    from netbank.adapters.logging import configure_logging
    from netbank.bootstrap import bootstrap, make_sender, retry_policy
    from netbank.services.outbox import run_dispatcher

    state = bootstrap()
    configure_logging(state.settings.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_dispatcher(
            state.deps,
            make_sender(state.settings),
            stop,
            interval_seconds=interval,
            retry=retry_policy(state.settings),
        )
    except KeyboardInterrupt:
        stop.set()
    finally:
        state.close()


if __name__ == "__main__":
    app()
