"""`akte einvoice receive|route|list|show|retry`, `akte mail fetch`, `akte dropfolder scan`: the e-invoice intake."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import click

from core.errors import ConfigurationError, ValidationFailed
from web.cli_einvoice import einvoice_group as einvoice
from web.cli_support import print_json, print_rows, services_from_env
from web.principal import cli_principal

EXIT_INVALID = 2


def _summary(view: object) -> str:
    from intake.views import ReceivedView

    assert isinstance(view, ReceivedView)
    parts = [view.status]
    if view.invoice_number:
        parts.append(f"invoice {view.invoice_number}")
    if view.unit:
        parts.append(f"unit {view.unit}/{view.candidate_group}")
    if view.error:
        parts.append(view.error)
    elif view.note:
        parts.append(view.note)
    return "; ".join(parts)


@einvoice.command("receive")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--process", "process_now", is_flag=True, help="Process the received files now, not by the worker.")
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
def einvoice_receive(paths: tuple[Path, ...], process_now: bool, as_json: bool) -> None:
    """Store e-invoice files (each in its own transaction); the worker processes them. Prints the item ids.

    A file received before (same content) is not stored again: its earlier item is printed. Exit 2 when any
    file could not be stored (the others are).
    """
    from intake.process import process_pending
    from intake.receive import get_item, receive_file
    from records.documents import Upload

    principal = cli_principal()
    received: list[uuid.UUID] = []
    failed = False
    with services_from_env() as services:
        for path in paths:
            try:
                with path.open("rb") as stream, services.db.unit_of_work() as uow:
                    view = receive_file(uow, services, principal, Upload(stream, path.name), "cli")
                    uow.commit()
            except OSError as exc:
                click.echo(f"{path}: cannot read: {exc.strerror or exc}", err=True)
                failed = True
                continue
            except ValidationFailed as exc:
                click.echo(f"{path}: {exc.message}", err=True)
                failed = True
                continue
            received.append(view.id)
            state = "already received" if view.already_received else "received"
            click.echo(f"{path}: {state} ({view.status})", err=True)
        if process_now and received:
            process_pending(services, limit=len(received), ids=received)
        with services.db.unit_of_work() as uow:
            views = [get_item(uow, principal, item_id) for item_id in received]
    if as_json:
        print_json(views)
    else:
        for view in views:
            click.echo(view.id)
            if process_now:
                click.echo(f"{view.filename}: {_summary(view)}", err=True)
    if failed:
        sys.exit(EXIT_INVALID)


@einvoice.command("list")
@click.option("--status", help="Only items with this status (received, accepted, rejected, duplicate, paper, …).")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def einvoice_list(status: str | None, limit: int, as_json: bool) -> None:
    """List received items, newest first."""
    from intake.receive import list_items

    with services_from_env() as services, services.db.unit_of_work() as uow:
        views = list_items(uow, cli_principal(), status=status, limit=limit)
    print_rows(views, as_json,
               lambda view: f"{view.id}\t{view.received_at:%Y-%m-%d %H:%M}\t{view.channel}\t{view.filename}\t"
                            f"{_summary(view)}")


@einvoice.command("show")
@click.argument("item_id")
def einvoice_show(item_id: str) -> None:
    """Show one received item as JSON."""
    from intake.receive import get_item

    with services_from_env() as services, services.db.unit_of_work() as uow:
        print_json(get_item(uow, cli_principal(), item_id))


@einvoice.command("retry")
@click.argument("item_id", required=False)
def einvoice_retry(item_id: str | None) -> None:
    """Make failed items (or the one given) due again; the worker processes them."""
    from intake.process import retry_failed

    with services_from_env() as services:
        count = retry_failed(services, item_id)
    click.echo(f"{count} failed item(s) will be processed again", err=True)


@einvoice.group("route")
def route_group() -> None:
    """The Leitweg-ID routing table (unit and candidate group per Leitweg-ID)."""


@route_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Remove routes that are not in the file.")
def route_import(path: Path, replace: bool) -> None:
    """Import routes from a CSV file with the columns leitweg_id;unit;group (all rows or none)."""
    from intake.routing import import_routes, parse_routes_csv

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"cannot read {path}: {exc}") from exc
    rows = parse_routes_csv(text, path.name)
    with services_from_env() as services, services.db.unit_of_work() as uow:
        result = import_routes(uow, services.clock, rows, replace=replace)
        uow.commit()
    click.echo(f"routes imported: {result.created} created, {result.updated} updated, {result.removed} removed",
               err=True)


@route_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def route_list(as_json: bool) -> None:
    """Print the routing table."""
    from intake.routing import list_routes

    with services_from_env() as services, services.db.unit_of_work() as uow:
        routes = list_routes(uow)
    print_rows(routes, as_json, lambda route: f"{route.leitweg_id}\t{route.unit}\t{route.candidate_group}")


@click.group("mail")
def mail_group() -> None:
    """The e-invoice mailbox (AKTE_IMAP_URL)."""


@mail_group.command("fetch")
@click.option("--json", "as_json", is_flag=True)
def mail_fetch(as_json: bool) -> None:
    """Read new messages once: store each with its attachments, then mark it read (and move it)."""
    from intake.mail import fetch_mail

    with services_from_env() as services:
        report = fetch_mail(services)
    if as_json:
        print_json(report)
    else:
        for item_id in report.items:
            click.echo(item_id)
        click.echo(f"{report.stored} message(s) stored, {report.known} stored before, {report.refused} refused"
                   + (", more waiting" if report.more else ""), err=True)
    for problem in report.failed:
        click.echo(f"akte: {problem}", err=True)
    if report.failed:
        sys.exit(1)


@click.group("dropfolder")
def dropfolder_group() -> None:
    """The watched drop folder (AKTE_DROP_DIR)."""


@dropfolder_group.command("scan")
@click.option("--json", "as_json", is_flag=True)
def dropfolder_scan(as_json: bool) -> None:
    """Take every complete file of the drop folder once (stored, then moved to processed/ or rejected/)."""
    from intake.dropfolder import scan

    with services_from_env() as services:
        if services.settings.drop_dir is None:
            raise ConfigurationError("no drop folder configured: set AKTE_DROP_DIR")
        report = scan(services)
    if as_json:
        click.echo(json.dumps({"taken": report.taken, "rejected": report.rejected, "waiting": report.waiting}))
        return
    for item_id in report.taken:
        click.echo(item_id)
    click.echo(f"{len(report.taken)} file(s) taken, {len(report.rejected)} rejected, {report.waiting} not complete "
               "yet", err=True)


def register(cli: click.Group) -> None:
    """Adds `mail` and `dropfolder`; the einvoice subcommands are attached to `web.cli_einvoice.einvoice`."""
    cli.add_command(mail_group)
    cli.add_command(dropfolder_group)
