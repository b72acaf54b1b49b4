"""The inbox query: views, counts, follow-up dates, filters, sorting, keyset pages (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import Conflict, ValidationFailed
from engine import inboxsql
from engine.drafts import save_draft
from engine.inbox import SORTS, InboxRow
from engine.lifecycle import cancel_instance
from engine.models import HumanTask, HumanTaskEntry, TaskDraft
from engine.taskops import claim, set_priority
from tests.helpers import complete, deploy_models, start
from tests.inbox_helpers import actor, deploy_inbox_case, ids, page, start_case

ANNA = actor("anna", "clerks", "review")


def test_a_task_carries_its_case_and_follows_the_case_data(services: Services) -> None:
    deploy_inbox_case(services)
    tasks = start_case(services, reference="32.10.05-2026/00017", applicant_name="Erika Mustermann",
                       licence_class="B", amount=25.5, internal_note="XQ17")
    [row] = page(services, ANNA, "groups", procedure="inbox_case", fields={"licence_class": "B"},
                 sort="name").rows[:1]
    assert (row.name, row.process_key, row.process_name) == ("Antrag bearbeiten", "inbox_case",
                                                            "Führerscheinumtausch")
    assert (row.reference, row.applicant) == ("32.10.05-2026/00017", "Erika Mustermann")
    assert row.fields == {"licence_class": "B", "amount": 25.5}  # only the declared search fields
    assert row.candidate_groups == ["clerks"] and row.assignee is None and row.on_behalf_of is None

    complete(services, tasks["check"], {"licence_class": "CE", "applicant_name": "Erika Musterfrau"})
    assert ids(page(services, ANNA, "groups", fields={"licence_class": "B"})) == []
    [row] = page(services, ANNA, "groups", fields={"licence_class": "CE"}).rows
    assert row.id == tasks["work"] and row.applicant == "Erika Musterfrau" and row.fields["licence_class"] == "CE"
    assert ids(page(services, ANNA, "groups", text="musterfrau")) == [tasks["work"]]

    complete(services, tasks["work"], {})
    with services.db.session() as session:
        assert session.scalars(select(HumanTaskEntry)).all() == []  # closed tasks leave every inbox


def test_views_and_counts(services: Services, clock: FrozenClock) -> None:
    deploy_inbox_case(services)
    mine = start_case(services, clerk="anna")["work"]
    claimable = start_case(services, groups=["clerks", "permits"])["work"]
    other_group = start_case(services, groups="finance")["work"]
    ben_s = start_case(services, clerk="ben")["work"]
    put_away = start_case(services, clerk="anna", follow_up=(clock.now() + timedelta(days=2)).isoformat())["work"]
    anna = actor("anna", "clerks", "permits", substitutes_for=("ben",))

    assert ids(page(services, anna, "mine")) == [mine]
    groups = page(services, anna, "groups")
    assert ids(groups) == [claimable]  # a task of two of her groups is listed once
    assert other_group not in ids(groups)
    substitutions = page(services, anna, "substitutions")
    assert ids(substitutions) == [ben_s] and substitutions.rows[0].on_behalf_of == "ben"
    assert ids(page(services, anna, "followup")) == []
    assert groups.counts == {"mine": 1, "groups": 1, "substitutions": 1, "followup": 0}

    clock.advance(timedelta(days=2))  # the follow-up date has come: back in "mine", and in "followup"
    result = page(services, anna, "followup")
    assert ids(result) == [put_away]
    assert set(ids(page(services, anna, "mine"))) == {mine, put_away}
    assert result.counts == {"mine": 2, "groups": 1, "substitutions": 1, "followup": 1}
    assert page(services, actor("nobody")).counts == {"mine": 0, "groups": 0, "substitutions": 0, "followup": 0}


@pytest.mark.parametrize("words_as_set", [True, False], ids=["few-matches", "many-matches"])
def test_filters(services: Services, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, words_as_set: bool) -> None:
    if not words_as_set:  # the text filter is then checked on each walked task instead of as a set of matches
        monkeypatch.setattr(inboxsql, "WORD_SET_LIMIT", 0)
    deploy_inbox_case(services)
    deploy_models(services, "two_step.bpmn", "capture-schema.json", "review-schema.json")
    today = clock.now().date()
    a = start_case(services, groups="clerks", licence_class="B", amount=100,
                   due=(today + timedelta(days=1)).isoformat(), applicant_name="Max Müller")["work"]
    b = start_case(services, groups="clerks", licence_class="CE", amount=100,
                   due=(today + timedelta(days=5)).isoformat(), reference="63.01-2026/00001")["work"]
    c = start_case(services, groups="clerks", licence_class="B", amount=7.0, approved=True)["work"]
    d = two_step(services)
    clerk = actor("clara", "clerks", "intake", admin=True)
    with services.db.unit_of_work() as uow:
        set_priority(uow, services.engine, clerk, c, 90)
        uow.commit()

    def found(**options: Any) -> set[str]:
        return set(ids(page(services, clerk, "groups", **options)))

    assert found() == {a, b, c, d}
    assert found(procedure="inbox_case") == {a, b, c}
    assert found(procedure="two_step") == {d}
    assert found(fields={"licence_class": "B"}) == {a, c}
    assert found(fields={"licence_class": "B", "amount": "100"}) == {a}
    assert found(fields={"amount": "7"}) == {c}  # 7.0 in the process data
    assert found(fields={"licence_class": "B"}, procedure="two_step") == set()
    assert found(fields={"approved": "true"}) == set()  # not a declared search field
    assert found(due_from=today, due_to=today + timedelta(days=1)) == {a}
    assert found(due_from=today + timedelta(days=2)) == {b, d}  # d: two_step's capture is due in 14 days
    assert found(due_to=today + timedelta(days=5)) == {a, b}
    assert found(due_from=today + timedelta(days=5), due_to=today + timedelta(days=5)) == {b}
    assert found(priority=80) == {c}
    assert found(priority=50) == {a, b, c, d}  # two_step's capture has priority 70
    assert found(text="MÜLLER") == {a}
    assert found(text="63.01-2026") == {b}
    assert found(text="antrag") == {a, b, c, d}  # task names: "Antrag bearbeiten", "Antrag erfassen"
    assert found(text="antrag erfassen") == {d}
    assert found(text="100%") == set()  # LIKE wildcards are plain characters
    assert found(text="führerscheinumtausch") == {a, b, c}
    assert found(text="ag") == {a, b, c, d}  # words under 3 letters are always checked per task
    assert found(text="müller", fields={"licence_class": "B"}, procedure="inbox_case") == {a}


def two_step(services: Services) -> str:
    """Start two_step; the id of its first task ("Antrag erfassen", group intake, priority 70)."""
    return start(services, "two_step").open_tasks[0].id


def test_every_sort_pages_through_all_rows_in_order(services: Services, clock: FrozenClock) -> None:
    deploy_inbox_case(services)
    deploy_models(services, "two_step.bpmn", "capture-schema.json", "review-schema.json")
    admin = actor("root", "clerks", "intake", admin=True)
    created = []
    for number in range(11):
        clock.advance(timedelta(minutes=7))
        due = (clock.now().date() + timedelta(days=number % 4)).isoformat() if number % 3 else None
        created.append(start_case(services, reference=f"R-{number % 5}" if number % 4 else None, due=due,
                                  applicant_name=f"Antragsteller {number % 3}" if number % 2 else None)["work"])
        if number % 5 == 0:
            created.append(two_step(services))
    with services.db.unit_of_work() as uow:
        for number, task_id in enumerate(created):
            set_priority(uow, services.engine, admin, task_id, [10, 50, 90][number % 3])
            if number % 4 == 1:
                claim(uow, services.engine, actor(f"user{number % 3}", "clerks", "intake"), task_id)
        uow.commit()
    viewer = actor("root", "clerks", "intake", substitutes_for=("user0", "user1", "user2"))
    everything = page(services, viewer, "followup", now=clock.now() + timedelta(days=3650))  # nothing has one
    assert everything.rows == []
    assert len(_all_rows(services, viewer, "groups", "due", False, 100)) == 10  # 14 work/capture, 4 claimed
    assert len(_all_rows(services, viewer, "substitutions", "due", False, 100)) == 4
    for sort in SORTS:
        for descending in (False, True):
            for view in ("groups", "substitutions"):
                expected = _expected(_all_rows(services, viewer, view, sort, descending, 100), sort, descending)
                paged = _all_rows(services, viewer, view, sort, descending, 4)
                assert [r.id for r in paged] == [r.id for r in expected], (view, sort, descending)


def _all_rows(services: Services, who: Any, view: str, sort: str, descending: bool, limit: int) -> list[InboxRow]:
    rows: list[InboxRow] = []
    cursor = None
    for _ in range(50):
        result = page(services, who, view, sort=sort, descending=descending, limit=limit, cursor=cursor)
        rows += result.rows
        cursor = result.next_cursor
        if cursor is None:
            return rows
        assert len(result.rows) == limit
    raise AssertionError("the cursor never ended")


SORT_VALUE = {
    "name": lambda r: r.name, "procedure": lambda r: r.process_name, "reference": lambda r: r.reference,
    "applicant": lambda r: r.applicant, "created": lambda r: r.created_at, "due": lambda r: r.due_at,
    "priority": lambda r: r.priority, "assignee": lambda r: r.assignee,
}


def _expected(rows: list[InboxRow], sort: str, descending: bool) -> list[InboxRow]:
    """NULLs last in both directions, then the task id (in the direction of the sort)."""
    value = SORT_VALUE[sort]
    present = sorted((r for r in rows if value(r) is not None), key=lambda r: (value(r), uuid.UUID(r.id).hex),
                     reverse=descending)
    missing = sorted((r for r in rows if value(r) is None), key=lambda r: uuid.UUID(r.id).hex, reverse=descending)
    return present + missing


def test_a_forged_or_foreign_cursor_is_refused(services: Services) -> None:
    deploy_inbox_case(services)
    for _ in range(3):
        start_case(services)
    first = page(services, ANNA, "groups", limit=2)
    assert first.next_cursor is not None
    assert len(page(services, ANNA, "groups", limit=2, cursor=first.next_cursor).rows) == 2  # 3 work + 3 check
    forged = base64.urlsafe_b64encode(json.dumps({"s": "due", "d": False, "v": "yesterday", "i": "x"}).encode())
    for cursor in ("garbage!", "e30", forged.decode(), first.next_cursor[:-3]):
        with pytest.raises(ValidationFailed) as caught:
            page(services, ANNA, "groups", limit=2, cursor=cursor)
        assert "cursor" in caught.value.details
    with pytest.raises(ValidationFailed) as other_sort:
        page(services, ANNA, "groups", limit=2, cursor=first.next_cursor, sort="name")
    assert "cursor" in other_sort.value.details


@pytest.mark.parametrize(("option", "value", "field"), [
    ("view", "everything", "view"), ("sort", "colour", "sort"), ("priority", 101, "priority"),
    ("due_to", date(2020, 1, 1), "due_to"), ("text", "a b c d e f", "text"), ("fields", {"@procedure": "x"}, "fields"),
])
def test_invalid_queries_name_the_field(services: Services, option: str, value: Any, field: str) -> None:
    options: dict[str, Any] = {option: value}
    if option == "due_to":
        options["due_from"] = date(2021, 1, 1)
    view = options.pop("view", "mine")
    with pytest.raises(ValidationFailed) as caught:
        page(services, ANNA, view, **options)
    assert field in caught.value.details


def test_no_workflow_is_loaded_to_list_tasks(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_inbox_case(services)
    start_case(services, licence_class="B")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the inbox deserialized a workflow")

    monkeypatch.setattr(services.engine.runtime, "load", refuse)
    assert len(page(services, ANNA, "groups", fields={"licence_class": "B"}, text="antrag").rows) == 1
    with services.db.session() as session:
        row = session.scalars(select(HumanTask).where(HumanTask.element_id == "work")).one()
        assert row.search_text == "antrag bearbeiten führerscheinumtausch b"


def test_cancelling_an_instance_takes_its_tasks_and_drafts_away(services: Services) -> None:
    deploy_inbox_case(services)
    tasks = start_case(services, clerk="anna")
    with services.db.unit_of_work() as uow:
        save_draft(uow, ANNA, tasks["work"], {"note": "angefangen"})
        instance_id = uow.session.get(HumanTask, uuid.UUID(tasks["work"])).instance_id  # type: ignore[union-attr]
        uow.commit()
    with services.db.unit_of_work() as uow:
        cancel_instance(uow, services.engine, str(instance_id), actor="anna")
        uow.commit()
    assert page(services, ANNA).counts == {"mine": 0, "groups": 0, "substitutions": 0, "followup": 0}
    with services.db.session() as session:
        assert session.scalars(select(HumanTaskEntry)).all() == []
        assert session.scalars(select(TaskDraft)).all() == []
    with services.db.unit_of_work() as uow, pytest.raises(Conflict, match="already cancelled"):
        claim(uow, services.engine, ANNA, tasks["check"])
