"""The hash-chained audit trail: every change and every content read is recorded; tampering is found."""

from __future__ import annotations

import itertools

from sqlalchemy import select, update

from core.bootstrap import Services
from records import audit, notes
from records.documents import read_content
from records.files import update_file
from records.models import AuditEntry
from tests.records_helpers import ADMIN, add, load_plan, new_case, new_file


def _entries(services: Services) -> list[AuditEntry]:
    with services.db.unit_of_work() as uow:
        entries = list(uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        uow.session.expunge_all()  # keep them readable after the unit of work ends
        return entries


def _fill(services: Services) -> None:
    load_plan(services)
    file = new_file(services)
    case = new_case(services, file)
    document = add(services, case, b"Antrag\n", "antrag.txt")
    with services.db.unit_of_work() as uow:
        update_file(uow, services.records.clock, ADMIN, file.id, {"title": "Umbenannt"})
        note = notes.add_note(uow, services.records, ADMIN, "Rückruf vereinbart", case_id=case.id)
        notes.edit_note(uow, services.records, ADMIN, note.id, "Rückruf erledigt")
        notes.delete_note(uow, services.records, ADMIN, note.id)
        read_content(uow, services.records, ADMIN, document.id)
        uow.commit()


def test_every_change_and_read_is_an_entry_with_before_and_after(services: Services) -> None:
    _fill(services)
    entries = _entries(services)
    assert [(e.entity_type, e.action) for e in entries] == [
        ("file", "create"), ("case", "create"), ("document", "create"), ("file", "update"), ("note", "create"),
        ("note", "update"), ("note", "delete"), ("document", "read")]
    assert [e.seq for e in entries] == list(range(1, 9))
    update_entry = entries[3]
    assert update_entry.before is not None and update_entry.after is not None
    assert update_entry.before["title"] != "Umbenannt" and update_entry.after["title"] == "Umbenannt"
    assert entries[6].before == {"case_id": str(entries[1].entity_id), "text": "Rückruf erledigt"}
    assert all(e.actor == "test-admin" for e in entries)
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    with services.db.unit_of_work() as uow:
        report = audit.verify(uow)
    assert report.intact and report.checked == 8


def test_a_changed_entry_is_named(services: Services) -> None:
    _fill(services)
    with services.db.engine.begin() as connection:
        connection.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(actor="someone-else"))
    with services.db.unit_of_work() as uow:
        report = audit.verify(uow)
    assert (report.broken_seq, report.checked) == (4, 3)
    assert "does not match its hash" in report.reason


def test_a_removed_entry_is_named(services: Services) -> None:
    _fill(services)
    with services.db.engine.begin() as connection:
        connection.execute(AuditEntry.__table__.delete().where(AuditEntry.seq == 5))
    with services.db.unit_of_work() as uow:
        report = audit.verify(uow)
    assert report.broken_seq == 5 and "missing" in report.reason


def test_removing_the_newest_entries_is_noticed(services: Services) -> None:
    _fill(services)
    with services.db.engine.begin() as connection:
        connection.execute(AuditEntry.__table__.delete().where(AuditEntry.seq >= 7))
    with services.db.unit_of_work() as uow:
        report = audit.verify(uow)
    assert report.broken_seq == 7 and "removed" in report.reason


def test_a_rewritten_chain_tail_is_found_by_its_link(services: Services) -> None:
    """Recomputing one entry's own hash after a change still breaks the link to the next entry."""
    _fill(services)
    with services.db.unit_of_work() as uow:
        entry = uow.session.get(AuditEntry, 2)
        assert entry is not None
        entry.actor = "forger"
        entry.hash = audit.entry_hash(entry)
        uow.commit()
    with services.db.unit_of_work() as uow:
        report = audit.verify(uow)
    assert report.broken_seq == 3 and "previous-hash" in report.reason
