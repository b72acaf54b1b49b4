"""`akte fileplan`, `akte file`, `akte case`, `akte document`, `akte note`, `akte audit`, `akte storage`."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import IO

import click

from core.errors import ValidationFailed
from records import audit, cases, documents, fileplan, files, notes
from records.blobgc import collect
from records.documents import Upload
from records.files import NewFile, parse_date
from web.casestart import start_case
from web.cli_support import parse_json, print_json, services_from_env
from web.principal import cli_principal

EXIT_AUDIT_BROKEN = 4


@click.group("fileplan")
def fileplan_group() -> None:
    """The file plan (Aktenplan)."""


@fileplan_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def fileplan_import(path: Path) -> None:
    """Import (create or update) file plan entries from a CSV file: code,title[,retention_years]."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"cannot read {path}: {exc}") from exc
    rows = fileplan.parse_plan_csv(text, path.name)
    with services_from_env() as services, services.db.unit_of_work() as uow:
        result = fileplan.import_plan(uow, rows, path.name)
        uow.commit()
    click.echo(f"file plan imported: {result.created} created, {result.updated} updated", err=True)


@fileplan_group.command("list")
def fileplan_list() -> None:
    """Print the file plan as an indented tree."""
    with services_from_env() as services, services.db.unit_of_work() as uow:
        for entry in fileplan.list_entries(uow):
            click.echo(f"{'  ' * entry.code.count('.')}{entry.code}  {entry.title}")


@click.group("file")
def file_group() -> None:
    """Files (Akten)."""


@file_group.command("create")
@click.option("--plan", "plan_code", required=True, help="File plan code, e.g. 32.10.05.")
@click.option("--title", required=True)
@click.option("--unit", "owning_unit", required=True, help="Owning organisational unit.")
@click.option("--confidentiality", default="internal", show_default=True,
              help="public, internal, confidential or secret.")
@click.option("--retention-years", type=int, help="Default: the plan entry's retention period.")
@click.option("--follow-up", "follow_up", help="Follow-up date (Wiedervorlage), YYYY-MM-DD.")
def file_create(plan_code: str, title: str, owning_unit: str, confidentiality: str, retention_years: int | None,
                follow_up: str | None) -> None:
    """Open a file; prints its reference number."""
    new = NewFile(plan_code, title, owning_unit, confidentiality, retention_years,
                  parse_date(follow_up, "--follow-up"))
    with services_from_env() as services, services.db.unit_of_work() as uow:
        view = files.create_file(uow, services.records.clock, cli_principal(), new)
        uow.commit()
    click.echo(view.reference_number)


@file_group.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def file_show(ref: str, as_json: bool) -> None:
    """Show a file (by reference number or id) with its cases, documents and notes."""
    principal = cli_principal()
    with services_from_env() as services, services.db.unit_of_work() as uow:
        view = files.file_by_reference_or_id(uow, cli_principal(), ref)
        case_views = cases.list_cases(uow, services.records, principal, view.id)
        document_views = documents.list_documents(uow, principal, file_id=view.id)
        note_views = notes.list_notes(uow, principal, file_id=view.id)
    if as_json:
        print_json({"file": view, "cases": case_views, "documents": document_views, "notes": note_views})
        return
    click.echo(f"{view.reference_number}  {view.title}  [{view.status}, {view.confidentiality}, {view.owning_unit}]")
    click.echo(f"retention: {view.retention_years or 'permanent'} years; disposal: {view.disposal_date or '-'}; "
               f"follow-up: {view.follow_up_date or '-'}")
    for case in case_views:
        click.echo(f"case {case.id}  {case.title}  [{case.status}]")
    for document in document_views:
        latest = document.versions[-1]
        click.echo(f"document {document.id}  {document.title}  v{latest.number} {latest.media_type} {latest.size} B")
    for note in note_views:
        click.echo(f"note {note.created_at:%Y-%m-%d %H:%M} {note.author}: {note.text}")


@file_group.command("close")
@click.argument("ref")
def file_close(ref: str) -> None:
    """Close a file: its retention period starts."""
    with services_from_env() as services, services.db.unit_of_work() as uow:
        principal = cli_principal()
        file = files.file_by_reference_or_id(uow, principal, ref)
        view = files.close_file(uow, services.records.clock, principal, file.id)
        uow.commit()
    click.echo(f"{view.reference_number} closed; disposal date {view.disposal_date or '-'}", err=True)


@click.group("case")
def case_group() -> None:
    """Cases (Vorgänge)."""


@case_group.command("create")
@click.option("--file", "file_ref", required=True, help="Reference number or id of the file.")
@click.option("--title", required=True)
@click.option("--applicant", help="Applicant (person or organisation) as a JSON object.")
@click.option("--process", "process_key", help="Start this process for the case (case_id is in its data).")
@click.option("--data", help="Initial process data as a JSON object.")
def case_create(file_ref: str, title: str, applicant: str | None, process_key: str | None,
                data: str | None) -> None:
    """Open a case in a file (and start its process); prints the case id."""
    with services_from_env() as services, services.db.unit_of_work() as uow:
        started = start_case(uow, services, cli_principal(), file=file_ref, title=title,
                             applicant=parse_json(applicant, "--applicant"), process_key=process_key,
                             data=parse_json(data, "--data"))
        uow.commit()
    click.echo(started.case.id)


@click.group("document")
def document_group() -> None:
    """Documents and their versions."""


@document_group.command("add")
@click.argument("case_id")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--title", help="Title (only with one file; default: the file name).")
def document_add(case_id: str, paths: tuple[Path, ...], title: str | None) -> None:
    """Add files to a case as new documents, all or none; prints one document id per file."""
    for path in paths:
        if not path.exists() or path.is_dir():
            raise ValidationFailed(f"{path}: no such file")
    with services_from_env() as services, services.db.unit_of_work() as uow:
        added = []
        for path in paths:
            with path.open("rb") as stream:
                added.append(documents.add_document(
                    uow, services.records, cli_principal(), Upload(stream, path.name), case_id=case_id,
                    title=title if len(paths) == 1 else None))
        uow.commit()
    for view in added:
        click.echo(view.id)


@document_group.command("get")
@click.argument("document_id")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option("-o", "--output", required=True, help="Where to write the content ('-' for stdout).")
def document_get(document_id: str, number: int | None, output: str) -> None:
    """Write a document version's content to a file (written completely or not at all)."""
    with services_from_env() as services:
        with services.db.unit_of_work() as uow:
            content = documents.read_content(uow, services.records, cli_principal(), document_id, number)
            uow.commit()
        with services.records.blobs.open(content.blob_key) as stream:
            if output == "-":
                _copy(stream, sys.stdout.buffer)
                return
            _write_atomically(stream, Path(output))
    click.echo(f"{content.version.filename} v{content.version.number} ({content.version.size} bytes) -> {output}",
               err=True)


def _copy(source: IO[bytes], target: IO[bytes]) -> None:
    while chunk := source.read(1024 * 1024):
        target.write(chunk)


def _write_atomically(stream: IO[bytes], path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    handle, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as target:
            _copy(stream, target)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@click.group("note")
def note_group() -> None:
    """Notes (Vermerke)."""


@note_group.command("add")
@click.argument("text")
@click.option("--case", "case_id", help="The case the note is about.")
@click.option("--file", "file_ref", help="The file (reference number or id) the note is about.")
def note_add(text: str, case_id: str | None, file_ref: str | None) -> None:
    """Add a note to a case or a file; prints its id."""
    if (case_id is None) == (file_ref is None):
        raise ValidationFailed("give exactly one of --case or --file")
    with services_from_env() as services, services.db.unit_of_work() as uow:
        file_id = files.file_by_reference_or_id(uow, cli_principal(), file_ref).id if file_ref else None
        view = notes.add_note(uow, services.records, cli_principal(), text, case_id=case_id, file_id=file_id)
        uow.commit()
    click.echo(view.id)


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit 4 and name the first broken entry if it does not hold."""
    with services_from_env() as services, services.db.unit_of_work() as uow:
        report = audit.verify(uow)
    if not report.intact:
        click.echo(f"akte: audit trail broken at entry {report.broken_seq}: {report.reason} "
                   f"({report.checked} entries before it are intact)", err=True)
        sys.exit(EXIT_AUDIT_BROKEN)
    click.echo(f"audit trail intact: {report.checked} entries", err=True)


@click.group("storage")
def storage_group() -> None:
    """The document store."""


@storage_group.command("gc")
@click.option("--grace-hours", type=float, default=24.0, show_default=True,
              help="Only blobs older than this are considered (uploads in flight are younger).")
def storage_gc(grace_hours: float) -> None:
    """Remove blobs no document version refers to (left by crashed uploads)."""
    if grace_hours < 0:
        raise ValidationFailed("--grace-hours must not be negative")
    with services_from_env() as services:
        report = collect(services.db, services.records.blobs, services.clock.now(), timedelta(hours=grace_hours),
                         progress=lambda n: click.echo(f"\rexamined {n} blobs", nl=False, err=True))
    click.echo(f"\nstorage gc: {report.examined} blobs examined, {report.removed} removed, "
               f"{report.partials_removed} unfinished uploads removed", err=True)


def register(cli: click.Group) -> None:
    for group in (fileplan_group, file_group, case_group, document_group, note_group, audit_group, storage_group):
        cli.add_command(group)
