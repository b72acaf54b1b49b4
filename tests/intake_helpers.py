"""Builders for the e-invoice intake tests: settings, the file plan, the test process, receiving, reading back."""

from __future__ import annotations

import dataclasses
import io
import os
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.bootstrap import Services
from engine.deploy import deploy
from intake.models import IntakeItem
from intake.process import process_pending
from intake.receive import receive_file
from intake.views import ReceivedView
from records.access import Principal
from records.documents import Upload
from records.fileplan import import_plan, parse_plan_csv
from records.models import Document, DocumentVersion, Note, RecordCase, RecordFile
from tests.bpmn.driver import procedure_files
from tests.conftest import testdata_dir
from tests.helpers import akte_env

PLAN_CSV = "code;title;retention_years\n20;Finanzen;\n20.30;Rechnungseingang;10\n"
CLERK = Principal("clerk", frozenset({"unit-x"}))


def rules_dir() -> Path:
    return testdata_dir().parent / "einvoice-rules"


def invoice_path(relative: str) -> Path:
    """A file of ../shared/testdata, e.g. `xrechnung/valid/01.01a-INVOICE_ubl.xml`."""
    return testdata_dir() / relative


def with_settings(services: Services, **changes: Any) -> Services:
    return dataclasses.replace(services, settings=services.settings.model_copy(update=changes))


def intake_services(services: Services, tmp_path: Path, **changes: Any) -> Services:
    """The test's services with the official rules, a drop folder and the intake file plan loaded."""
    settings: dict[str, Any] = {"einvoice_rules": rules_dir(), "drop_dir": tmp_path / "drop",
                                "drop_settle_seconds": 0.0, **changes}
    configured = with_settings(services, **settings)
    with configured.db.unit_of_work() as uow:
        import_plan(uow, parse_plan_csv(PLAN_CSV, "plan.csv"))
        uow.commit()
    return configured


def deploy_invoice_process(services: Services) -> None:
    """The shipped Rechnungseingang procedure (bpmn/rechnungseingang/, with its decision, forms and letter)."""
    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, procedure_files("rechnungseingang"))
        uow.commit()


def intake_env(services: Services) -> dict[str, str]:
    """Environment of an `akte` subprocess that uses the same database, store and intake settings."""
    settings = services.settings
    env = akte_env(services)
    env.update(AKTE_EINVOICE_RULES=str(settings.einvoice_rules or ""),
               AKTE_INVOICE_PLAN_CODE=settings.invoice_plan_code,
               AKTE_INVOICE_CENTRAL_UNIT=settings.invoice_central_unit,
               AKTE_INVOICE_CENTRAL_GROUP=settings.invoice_central_group,
               AKTE_DROP_SETTLE_SECONDS=str(settings.drop_settle_seconds))
    if settings.drop_dir is not None:
        env["AKTE_DROP_DIR"] = str(settings.drop_dir)
    if not settings.einvoice_rules:
        env.pop("AKTE_EINVOICE_RULES")
    for name in ("imap_url", "imap_user", "imap_folder", "imap_done_folder"):
        value = getattr(settings, name)
        if value:
            env[f"AKTE_{name.upper()}"] = str(value)
    if settings.imap_password is not None:
        env["AKTE_IMAP_PASSWORD"] = settings.imap_password.get_secret_value()
    return env


def receive_bytes(services: Services, content: bytes, filename: str, channel: str = "cli",
                  principal: Principal = CLERK) -> ReceivedView:
    with services.db.unit_of_work() as uow:
        view = receive_file(uow, services, principal, Upload(io.BytesIO(content), filename), channel)
        uow.commit()
    return view


def receive_path(services: Services, relative: str, channel: str = "cli") -> ReceivedView:
    path = invoice_path(relative)
    return receive_bytes(services, path.read_bytes(), path.name, channel)


def process_all(services: Services) -> int:
    total = 0
    while done := process_pending(services, limit=50):
        total += done
    return total


def item(services: Services, item_id: uuid.UUID | str) -> IntakeItem:
    with services.db.session() as session:
        found = session.get(IntakeItem, uuid.UUID(str(item_id)))
        assert found is not None
        session.expunge(found)  # readable after the session ends
        return found


def items(services: Services) -> list[IntakeItem]:
    with services.db.session() as session:
        found = list(session.scalars(select(IntakeItem).order_by(IntakeItem.received_at, IntakeItem.filename)))
        session.expunge_all()
        return found


def count(services: Services, model: type[Any]) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def documents_of(services: Services, *, case_id: uuid.UUID | str | None = None,
                 file_id: uuid.UUID | str | None = None) -> dict[str, tuple[str, str]]:
    """title -> (filename, media type) of the documents of a case, or directly of a file."""
    case_id = uuid.UUID(str(case_id)) if case_id else None
    file_id = uuid.UUID(str(file_id)) if file_id else None
    with services.db.session() as session:
        query = (select(Document.title, DocumentVersion.filename, DocumentVersion.media_type)
                 .join(DocumentVersion, DocumentVersion.document_id == Document.id))
        query = query.where(Document.case_id == case_id) if case_id else query.where(
            Document.file_id == file_id, Document.case_id.is_(None))
        return {title: (filename, media_type) for title, filename, media_type in session.execute(query)}


def content_of(services: Services, document_id: uuid.UUID | str) -> bytes:
    with services.db.session() as session:
        key = session.scalar(select(DocumentVersion.blob_key).where(
            DocumentVersion.document_id == uuid.UUID(str(document_id))))
    assert key is not None
    with services.records.blobs.open(key) as stream:
        return stream.read()


def notes_of(services: Services, *, case_id: uuid.UUID | None = None, file_id: uuid.UUID | None = None) -> list[str]:
    with services.db.session() as session:
        query = select(Note.text).order_by(Note.created_at)
        query = query.where(Note.case_id == case_id) if case_id else query.where(Note.file_id == file_id)
        return list(session.scalars(query))


def case_and_file(services: Services, case_id: uuid.UUID) -> tuple[RecordCase, RecordFile]:
    with services.db.session() as session:
        case = session.get(RecordCase, case_id)
        assert case is not None
        file = session.get(RecordFile, case.file_id)
        assert file is not None
        session.expunge_all()
        return case, file


def blob_count(services: Services) -> int:
    return sum(1 for _ in services.records.blobs.iter_blobs())


def mail_with(attachments: list[tuple[str, bytes, str]], *, message_id: str | None = None,
              subject: str = "Rechnung", sender: str = "buchhaltung@lieferant.example") -> bytes:
    """A message with `(filename, content, mime type)` attachments."""
    message = EmailMessage()
    message["From"] = f"Lieferant GmbH <{sender}>"
    message["To"] = "rechnungseingang@stadt.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@lieferant.example>"
    message.set_content("Sehr geehrte Damen und Herren,\nanbei unsere Rechnung.\n")
    for filename, content, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


def aged(path: Path, seconds: float = 3600) -> Path:
    """Make `path` look untouched for `seconds` (mtime and atime)."""
    stat = path.stat()
    os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))
    return path
