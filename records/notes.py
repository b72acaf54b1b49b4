"""Notes (Vermerke) on files and cases: add, list, edit, delete — every change audited."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import Forbidden, NotFound, ValidationFailed
from core.ids import parse_uuid
from records import audit
from records.access import Principal, visible_files
from records.cases import resolve_owner
from records.context import RecordsContext
from records.models import Note, RecordFile
from records.views import NoteView

MAX_NOTE = 20_000


def _text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("the note has no text", {"text": "required"})
    if len(text) > MAX_NOTE:
        raise ValidationFailed(f"a note holds at most {MAX_NOTE} characters", {"text": "too long"})
    return text.strip()


def add_note(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, text: object, *,
    case_id: str | uuid.UUID | None = None, file_id: str | uuid.UUID | None = None,
) -> NoteView:
    file, owner_case = resolve_owner(uow, principal, case_id, file_id)
    note = Note(id=uuid.uuid4(), file_id=file.id, case_id=owner_case, text=_text(text), author=principal.name,
                created_at=ctx.clock.now())
    uow.session.add(note)
    uow.flush()
    audit.record(uow, actor=principal.name, action="create", entity_type="note", entity_id=note.id,
                 at=note.created_at, file_id=file.id, after={"case_id": owner_case, "text": note.text})
    return NoteView.of(note)


def list_notes(
    uow: UnitOfWork, principal: Principal, *, case_id: str | uuid.UUID | None = None,
    file_id: str | uuid.UUID | None = None,
) -> list[NoteView]:
    file, owner_case = resolve_owner(uow, principal, case_id, file_id)
    condition = Note.case_id == owner_case if owner_case else Note.file_id == file.id
    return [NoteView.of(note) for note in uow.session.scalars(select(Note).where(condition).order_by(Note.created_at))]


def _own_note(uow: UnitOfWork, principal: Principal, note_id: str | uuid.UUID) -> Note:
    query = (select(Note).join(RecordFile, RecordFile.id == Note.file_id)
             .where(Note.id == parse_uuid(note_id, "note"), visible_files(principal))
             .with_for_update(of=Note).execution_options(populate_existing=True))
    note = uow.session.scalars(query).one_or_none()
    if note is None:
        raise NotFound(f"note {note_id} does not exist or is not visible to {principal.name}")
    if note.author != principal.name and not principal.is_admin:
        raise Forbidden("only the author of a note can change or delete it")
    return note


def edit_note(
    uow: UnitOfWork, ctx: RecordsContext, principal: Principal, note_id: str | uuid.UUID, text: object
) -> NoteView:
    note = _own_note(uow, principal, note_id)
    before = note.text
    note.text, note.updated_at = _text(text), ctx.clock.now()
    audit.record(uow, actor=principal.name, action="update", entity_type="note", entity_id=note.id,
                 at=note.updated_at, file_id=note.file_id, before={"text": before}, after={"text": note.text})
    return NoteView.of(note)


def delete_note(uow: UnitOfWork, ctx: RecordsContext, principal: Principal, note_id: str | uuid.UUID) -> None:
    note = _own_note(uow, principal, note_id)
    audit.record(uow, actor=principal.name, action="delete", entity_type="note", entity_id=note.id,
                 at=ctx.clock.now(), file_id=note.file_id, before={"case_id": note.case_id, "text": note.text})
    uow.session.delete(note)
