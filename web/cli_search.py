"""`akte search`, `akte reindex` and `akte extraction …`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import click
from rich.progress import Progress

from records.access import Confidentiality, Principal
from web.cli_support import services_from_env
from web.principal import cli_principal


@click.command("search")
@click.argument("query")
@click.option("--user", "login", help="Search as this user (their units and clearance).")
@click.option("--unit", "units", multiple=True, help="Search as a caseworker of this unit (repeatable).")
@click.option("--clearance", default="internal", show_default=True, help="That caseworker's clearance.")
@click.option("--size", default=20, show_default=True)
@click.option("--cursor", help="Continue after a previous page (its next_cursor).")
@click.option("--json", "as_json", is_flag=True)
def search_command(query: str, login: str | None, units: tuple[str, ...], clearance: str, size: int,
                   cursor: str | None, as_json: bool) -> None:
    """Full-text search over files, cases, documents and notes (as an administrator unless --user/--unit)."""
    from accounts.users import get_user
    from search.service import search

    principal = (Principal("cli", frozenset(units), Confidentiality.parse(clearance, "--clearance"))
                 if units else cli_principal())
    with services_from_env() as services:
        if login is not None:
            with services.db.unit_of_work() as uow:
                principal = get_user(uow, login).principal()
        result = search(services.search.index, principal, query, size=size, cursor=cursor)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
        return
    for hit in result.hits:
        click.echo(f"{hit.reference_number}  {hit.kind}  {hit.title}")
        click.echo(f"    {hit.snippet}")
    more = f"; next page: --cursor {result.next_cursor}" if result.next_cursor else ""
    total = str(result.total) if result.total_exact else f"about {result.total}"
    order = "" if result.order == "relevance" else " (too many to rank: newest first)"
    click.echo(f"{total} hit(s){order}{more}", err=True)


@click.command("reindex")
@click.option("--backend", help="Index URL to rebuild (default: AKTE_SEARCH_URL), e.g. http://es:9200.")
@click.option("--restart", is_flag=True, help="Start from scratch instead of resuming a stopped run.")
def reindex_command(backend: str | None, restart: bool) -> None:
    """Rebuild the search index from the database (resumable; documents are not extracted again)."""
    from search.factory import open_search_index
    from search.reindex import count_files, reindex

    with services_from_env() as services:
        index = open_search_index(backend, services.db) if backend else services.search.index
        target = hashlib.sha256((backend or services.settings.search_url).encode()).hexdigest()[:12]
        checkpoint = Path(services.settings.data_dir) / f"reindex-{index.name}-{target}.json"  # one per target
        with Progress(transient=False) as progress:
            task = progress.add_task(f"reindexing into {index.name}", total=count_files(services.db))
            written = reindex(services.db, services.records, index, checkpoint, restart=restart,
                              progress=lambda n: progress.advance(task, n))
    click.echo(f"reindexed {written} file(s) into {index.name}", err=True)


@click.group("extraction")
def extraction_group() -> None:
    """Text extraction of documents (done by the worker)."""


@extraction_group.command("failed")
def extraction_failed() -> None:
    """List documents whose text could not be extracted, with the reason."""
    from sqlalchemy import select

    from search.models import DocumentText

    with services_from_env() as services, services.db.session() as session:
        rows = session.scalars(select(DocumentText).where(DocumentText.status == "failed"))
        for row in rows:
            click.echo(f"{row.document_id}  v{row.version}  attempts={row.attempts}  {row.error}")


@extraction_group.command("retry")
def extraction_retry() -> None:
    """Try every failed extraction again (the worker picks them up)."""
    from search.extraction import retry_failed

    with services_from_env() as services:
        count = retry_failed(services.db)
    click.echo(f"{count} document(s) queued for extraction again", err=True)


@click.group("outbox")
def outbox_group() -> None:
    """Changes waiting for the search index."""


@outbox_group.command("failed")
def outbox_failed() -> None:
    """List index events parked after repeated failures, with their last error."""
    from core import outbox

    with services_from_env() as services, services.db.unit_of_work() as uow:
        events = outbox.failed(uow, outbox.INDEX_TOPIC)
        for event in events:
            click.echo(f"{event.id}  {event.entity_type}:{event.entity_id}  attempts={event.attempts}  "
                       f"{event.last_error}")
        click.echo(f"{len(events)} parked event(s); waiting: {outbox.pending(uow, outbox.INDEX_TOPIC)}", err=True)


@outbox_group.command("retry")
def outbox_retry() -> None:
    """Try every parked index event again."""
    from core import outbox

    with services_from_env() as services, services.db.unit_of_work() as uow:
        count = outbox.retry_failed(uow, outbox.INDEX_TOPIC, services.clock.now())
        uow.commit()
    click.echo(f"{count} event(s) will be indexed again", err=True)


def register(cli: click.Group) -> None:
    for command in (search_command, reindex_command, extraction_group, outbox_group):
        cli.add_command(command)

