"""File plan import, files with gap-free reference numbers, disposal dates and the visibility rule."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.bootstrap import Services, bootstrap
from core.clock import FrozenClock
from core.db import Database
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.migrate import upgrade
from core.settings import load_settings
from records import audit, files
from records.access import require_file, sees, visible_files
from records.fileplan import FilePlanProblems, import_plan, list_entries, parse_plan_csv
from records.files import NewFile, create_file, disposal_date
from records.models import FilePlanEntry, RecordFile
from tests.conftest import empty_tables
from tests.records_helpers import ADMIN, CLERK_A, CLERK_B, load_plan, new_file


def test_plan_import_builds_the_tree_and_updates_on_reimport(services: Services) -> None:
    load_plan(services)
    with services.db.unit_of_work() as uow:
        entries = {entry.code: entry for entry in list_entries(uow)}
        assert entries["32.10.05"].parent_code == "32.10" and entries["32"].parent_code is None
        assert entries["32.10.05"].retention_years == 10 and entries["32.10"].title == "Straßenverkehr"
        result = import_plan(uow, parse_plan_csv("code,title\n32.10,Verkehr\n32.10.07,Parken\n"))
        uow.commit()
    assert (result.created, result.updated) == (1, 1)
    with services.db.unit_of_work() as uow:
        assert uow.session.get(FilePlanEntry, "32.10").title == "Verkehr"  # type: ignore[union-attr]


def test_duplicate_codes_name_both_lines_and_nothing_is_imported(services: Services) -> None:
    with pytest.raises(FilePlanProblems) as caught:
        parse_plan_csv("code,title\n32,Ordnung\n32.10,Verkehr\n32,Nochmal\n", "plan.csv")
    assert caught.value.problems == ["plan.csv:4: duplicate code 32 (first on line 2)"]
    with services.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(FilePlanEntry)) == 0


def test_orphan_codes_are_refused_with_their_line(services: Services) -> None:
    rows = parse_plan_csv("code,title\n32,Ordnung\n32.10.05,Fahrerlaubnisse\n", "plan.csv")
    with services.db.unit_of_work() as uow, pytest.raises(FilePlanProblems) as caught:
        import_plan(uow, rows, "plan.csv")
    assert caught.value.problems == ["plan.csv:3: code 32.10.05 has no parent 32.10 in the file or the plan"]
    with services.db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(FilePlanEntry)) == 0


@pytest.mark.parametrize(("text", "message"), [
    ("kode,titel\n1,x\n", "plan.csv:1: the header must name the columns code and title"),
    ("code,title\n3 2,x\n", "plan.csv:2: code '3 2' is not a subject code"),
    ("code,title\n32,\n", "plan.csv:2: code 32 has no title"),
    ("code,title,retention_years\n32,x,ten\n", "plan.csv:2: retention_years of 32 must be a whole number"),
])
def test_malformed_plan_lines_are_named(text: str, message: str) -> None:
    with pytest.raises(FilePlanProblems) as caught:
        parse_plan_csv(text, "plan.csv")
    assert caught.value.problems[0].startswith(message)


def test_reference_numbers_count_per_code_and_year(services: Services, clock: FrozenClock) -> None:
    load_plan(services)
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    first, second = new_file(services), new_file(services)
    other_code = new_file(services, plan_code="63.01")
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # already 2027 in Krefeld
    next_year = new_file(services)
    assert [first.reference_number, second.reference_number] == ["32.10.05-2026/00001", "32.10.05-2026/00002"]
    assert other_code.reference_number == "63.01-2026/00001"
    assert next_year.reference_number == "32.10.05-2027/00001"
    assert first.retention_years == 10 and other_code.retention_years == 30


def test_a_rolled_back_creation_leaves_no_gap(services: Services) -> None:
    load_plan(services)
    with services.db.unit_of_work() as uow:
        create_file(uow, services.records.clock, ADMIN, NewFile("32.10.05", "verworfen", "unit-a"))
        # no commit: rolled back
    assert new_file(services).reference_number.endswith("/00001")


def test_unknown_plan_code_and_bad_values_are_named(services: Services) -> None:
    load_plan(services)
    with services.db.unit_of_work() as uow:
        with pytest.raises(NotFound, match=r"99\.99"):
            create_file(uow, services.records.clock, ADMIN, NewFile("99.99", "x", "unit-a"))
        with pytest.raises(ValidationFailed) as caught:
            create_file(uow, services.records.clock, ADMIN, NewFile("32.10.05", "x", "unit-a", "geheim"))
        assert "confidentiality" in caught.value.details
        with pytest.raises(ValidationFailed) as caught:
            create_file(uow, services.records.clock, ADMIN, NewFile("32.10.05", " ", "unit-a"))
        assert caught.value.details == {"title": "required"}


def test_closing_derives_the_disposal_date(services: Services, clock: FrozenClock) -> None:
    load_plan(services)
    clock.set(datetime(2026, 5, 4, tzinfo=UTC))
    file = new_file(services)
    with services.db.unit_of_work() as uow:
        closed = files.close_file(uow, clock, ADMIN, file.id)
        uow.commit()
    assert closed.status == "closed" and closed.disposal_date == date(2037, 1, 1)
    with services.db.unit_of_work() as uow, pytest.raises(Conflict, match="already closed"):
        files.close_file(uow, clock, ADMIN, file.id)
    assert disposal_date(None, 10) is None and disposal_date(datetime(2026, 1, 1, tzinfo=UTC), None) is None


def test_follow_up_and_title_changes(services: Services) -> None:
    load_plan(services)
    file = new_file(services)
    with services.db.unit_of_work() as uow:
        changed = files.update_file(uow, services.records.clock, ADMIN, file.id,
                                    {"follow_up_date": "2026-12-01", "title": "Neuer Titel"})
        uow.commit()
    assert changed.follow_up_date == date(2026, 12, 1) and changed.title == "Neuer Titel"
    with services.db.unit_of_work() as uow, pytest.raises(ValidationFailed) as caught:
        files.update_file(uow, services.records.clock, ADMIN, file.id, {"follow_up_date": "01.12.2026"})
    assert "follow_up_date" in caught.value.details
    with services.db.unit_of_work() as uow, pytest.raises(ValidationFailed, match="cannot change reference"):
        files.update_file(uow, services.records.clock, ADMIN, file.id, {"reference_number": "x"})


def test_visibility_needs_the_unit_and_enough_clearance(services: Services) -> None:
    load_plan(services)
    internal_a = new_file(services, unit="unit-a")
    confidential_a = new_file(services, unit="unit-a", confidentiality="confidential")
    internal_b = new_file(services, unit="unit-b")
    with services.db.unit_of_work() as uow:
        seen_by_a = {f.id for f in files.list_files(uow, CLERK_A)}
        seen_by_b = {f.id for f in files.list_files(uow, CLERK_B)}
        seen_by_admin = {f.id for f in files.list_files(uow, ADMIN)}
        assert seen_by_a == {internal_a.id}  # confidential is above clerk A's clearance
        assert seen_by_b == {internal_b.id}  # other unit
        assert seen_by_admin == {internal_a.id, confidential_a.id, internal_b.id}
        with pytest.raises(NotFound):
            files.get_file(uow, CLERK_A, confidential_a.id)
        with pytest.raises(NotFound):
            files.find_file(uow, CLERK_B, internal_a.reference_number)


def test_a_file_already_loaded_is_judged_by_the_same_rule(services: Services) -> None:
    """require_file takes a file the transaction holds from the session (records.access.sees): the same answer
    as the query with visible_files, for every file and person."""
    load_plan(services)
    made = [new_file(services, unit="unit-a"), new_file(services, unit="unit-a", confidentiality="confidential"),
            new_file(services, unit="unit-b")]
    for principal in (CLERK_A, CLERK_B, ADMIN):
        with services.db.unit_of_work() as uow:
            by_query = set(uow.session.scalars(select(RecordFile.id).where(visible_files(principal))))
            loaded = [uow.session.get(RecordFile, file.id) for file in made]  # now in the session
            assert {file.id for file in loaded if file is not None and sees(principal, file)} == by_query
            for file in made:
                if file.id in by_query:
                    assert require_file(uow, principal, file.id).id == file.id
                else:
                    with pytest.raises(NotFound):
                        require_file(uow, principal, file.id)


def test_nobody_creates_files_beyond_their_unit_or_clearance(services: Services) -> None:
    load_plan(services)
    with services.db.unit_of_work() as uow:
        with pytest.raises(Forbidden, match="unit-b"):
            create_file(uow, services.records.clock, CLERK_A, NewFile("32.10.05", "x", "unit-b"))
        with pytest.raises(Forbidden, match="secret"):
            create_file(uow, services.records.clock, CLERK_B, NewFile("32.10.05", "x", "unit-b", "secret"))
    assert new_file(services, unit="unit-a", principal=CLERK_A).created_by == "clerk-a"


def test_parallel_creators_get_gap_free_unique_numbers(postgres_url: str, tmp_path: Path) -> None:
    """Eight threads with their own connections create 200 files of one code and year on PostgreSQL."""
    database = Database(postgres_url)
    upgrade(database)
    database.dispose()
    services = bootstrap(load_settings(database_url=postgres_url, data_dir=tmp_path,
                                       blob_url=f"file://{tmp_path / 'blobs'}"))
    try:
        load_plan(services)
        errors: list[BaseException] = []
        start = threading.Barrier(8)

        def creator() -> None:
            try:
                start.wait()
                for _ in range(25):
                    new_file(services)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=creator) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with services.db.unit_of_work() as uow:
            numbers = sorted(uow.session.scalars(select(RecordFile.sequence)))
            references = set(uow.session.scalars(select(RecordFile.reference_number)))
            chain = audit.verify(uow)
        assert numbers == list(range(1, 201))
        assert len(references) == 200
        assert chain.intact and chain.checked == 200  # eight writers, one unbroken chain
    finally:
        empty_tables(services.db)
        services.db.dispose()
