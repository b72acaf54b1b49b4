"""Inbox actions: claim, unclaim, delegate, follow-up, priority, bulk, drafts, completion by a substitute."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import engine.taskops
import engine.tasks
from core.bootstrap import Services
from core.clock import FrozenClock
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.actors import TaskActor
from engine.drafts import get_draft, save_draft
from engine.instances import get_instance
from engine.models import TaskDraft
from engine.taskops import (
    claim,
    claim_many,
    delegate,
    delegate_many,
    set_follow_up,
    set_priority,
    unclaim,
)
from engine.tasks import complete_task
from engine.views import EventView
from tests.inbox_helpers import actor, deploy_inbox_case, ids, page, start_case

ANNA = actor("anna", "clerks")
BEN = actor("ben", "clerks")
FRANZ = actor("franz", "finance")


def act(services: Services, operation: Any, who: TaskActor, task_id: str, *args: Any, **kwargs: Any) -> Any:
    with services.db.unit_of_work() as uow:
        result = operation(uow, services.engine, who, task_id, *args, **kwargs)
        uow.commit()
    return result


def history(services: Services, task_id: str) -> list[EventView]:
    with services.db.unit_of_work() as uow:
        instance_id = engine.tasks.get_task(uow, task_id).instance_id
        return [e for e in get_instance(uow, instance_id, with_history=True).history if e.task_id == task_id]


def test_claim_and_unclaim(services: Services) -> None:
    deploy_inbox_case(services)
    task = start_case(services)["work"]
    row = act(services, claim, ANNA, task)
    assert row.assignee == "anna"
    assert ids(page(services, ANNA, "mine")) == [task] and ids(page(services, BEN, "groups")) == []
    act(services, claim, ANNA, task)  # claiming one's own task again changes nothing
    with pytest.raises(Conflict, match="already been claimed by anna"):
        act(services, claim, BEN, task)
    with pytest.raises(Forbidden):
        act(services, unclaim, BEN, task)
    act(services, unclaim, ANNA, task, comment="zurück in die Gruppe")
    assert ids(page(services, BEN, "groups")) == [task] and ids(page(services, ANNA, "mine")) == []
    with pytest.raises(Conflict, match="not claimed"):
        act(services, unclaim, ANNA, task)
    events = [(e.kind, e.actor, e.payload) for e in history(services, task)]
    assert events[1:] == [("task_claimed", "anna", {}),
                          ("task_unclaimed", "anna", {"from_assignee": "anna", "comment": "zurück in die Gruppe"})]


def test_claim_is_refused_outside_ones_groups_and_for_closed_or_unknown_tasks(services: Services) -> None:
    deploy_inbox_case(services)
    task = start_case(services)["work"]
    with pytest.raises(Forbidden):
        act(services, claim, FRANZ, task)
    act(services, claim, actor("root", admin=True), task)  # an admin may take any unassigned task
    with pytest.raises(NotFound):
        act(services, claim, ANNA, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound):
        act(services, claim, ANNA, "not-a-task")
    other = start_case(services)
    complete_as(services, ANNA, other["work"])
    with pytest.raises(Conflict, match="already completed"):
        act(services, claim, ANNA, other["work"])


def complete_as(services: Services, who: TaskActor, task_id: str, data: dict[str, Any] | None = None) -> None:
    with services.db.unit_of_work() as uow:
        complete_task(uow, services.engine, task_id, data or {}, actor=who)
        uow.commit()


def test_a_task_without_groups_cannot_be_unclaimed(services: Services) -> None:
    deploy_inbox_case(services)
    task = start_case(services, groups=[], clerk="anna")["work"]
    with pytest.raises(Conflict, match="no candidate group"):
        act(services, unclaim, ANNA, task)


def test_delegate_to_a_colleague_or_a_group(services: Services) -> None:
    deploy_inbox_case(services)
    task = start_case(services, clerk="anna")["work"]
    act(services, delegate, ANNA, task, to_user="ben", comment="Bitte übernehmen")
    assert ids(page(services, BEN, "mine")) == [task]
    with pytest.raises(Forbidden):
        act(services, delegate, ANNA, task, to_user="anna", comment="zurück")
    row = act(services, delegate, BEN, task, to_group="finance", comment="Kasse")
    assert (row.assignee, row.candidate_groups) == (None, ["finance"])
    assert ids(page(services, FRANZ, "groups")) == [task] and ids(page(services, BEN, "mine")) == []
    payloads = [e.payload for e in history(services, task) if e.kind == "task_delegated"]
    assert payloads == [
        {"to_user": "ben", "from_assignee": "anna", "from_groups": ["clerks"], "comment": "Bitte übernehmen"},
        {"to_group": "finance", "from_assignee": "ben", "from_groups": ["clerks"], "comment": "Kasse"},
    ]


@pytest.mark.parametrize(("options", "field"), [
    ({"to_user": "ben", "comment": "  "}, "comment"),
    ({"to_user": "ben", "comment": "x" * 2001}, "comment"),
    ({"to_user": "ben", "to_group": "finance", "comment": "beides"}, "to_user"),
    ({"comment": "niemand"}, "to_user"),
])
def test_delegation_needs_one_target_and_a_comment(services: Services, options: dict[str, Any], field: str) -> None:
    deploy_inbox_case(services)
    task = start_case(services, clerk="anna")["work"]
    with pytest.raises(ValidationFailed) as caught:
        act(services, delegate, ANNA, task, **options)
    assert field in caught.value.details
    with pytest.raises(ValidationFailed), services.db.unit_of_work() as uow:
        delegate_many(uow, services.engine, ANNA, [task], **options)


def test_follow_up_puts_a_task_away_until_its_day(services: Services, clock: FrozenClock) -> None:
    deploy_inbox_case(services)
    task = start_case(services, clerk="anna")["work"]
    day = clock.now().date() + timedelta(days=3)
    row = act(services, set_follow_up, ANNA, task, day, comment="Unterlagen abwarten")
    assert row.follow_up_at is not None and row.follow_up_at.date() == day
    assert ids(page(services, ANNA, "mine")) == [] and page(services, ANNA).counts["mine"] == 0
    clock.advance(timedelta(days=3))
    clock.set(clock.now().replace(hour=0, minute=0))
    assert ids(page(services, ANNA, "followup")) == [task] and ids(page(services, ANNA, "mine")) == [task]
    act(services, set_follow_up, ANNA, task, None)
    assert ids(page(services, ANNA, "followup")) == [] and ids(page(services, ANNA, "mine")) == [task]
    assert [e.payload.get("follow_up") for e in history(services, task) if e.kind == "task_follow_up_set"] == [
        day.isoformat(), None]
    with pytest.raises(Forbidden):
        act(services, set_follow_up, BEN, task, date(2030, 1, 1))


def test_priority(services: Services) -> None:
    deploy_inbox_case(services)
    task = start_case(services)["work"]
    assert act(services, set_priority, ANNA, task, 95).priority == 95
    assert page(services, ANNA, "groups", priority=90).rows[0].id == task
    for wrong in (-1, 101, True, "90"):
        with pytest.raises(ValidationFailed) as caught:
            act(services, set_priority, ANNA, task, wrong)
        assert "priority" in caught.value.details
    with pytest.raises(Forbidden):
        act(services, set_priority, FRANZ, task, 10)
    [event] = [e for e in history(services, task) if e.kind == "task_priority_set"]
    assert (event.actor, event.payload) == ("anna", {"priority": 95, "previous": 50})


def test_bulk_claim_reports_every_task(services: Services) -> None:
    deploy_inbox_case(services)
    free = start_case(services)["work"]
    taken = start_case(services, clerk="ben")["work"]
    foreign = start_case(services, groups="finance")["work"]
    also_free = start_case(services)["work"]
    with services.db.unit_of_work() as uow:
        outcomes = claim_many(uow, services.engine, ANNA, [free, taken, foreign, "nope", also_free, free])
        uow.commit()
    assert [(o.task_id, o.ok, o.code) for o in outcomes] == [
        (free, True, None), (taken, False, "conflict"), (foreign, False, "forbidden"), ("nope", False, "not_found"),
        (also_free, True, None)]
    assert outcomes[1].error == f"task {taken} has already been claimed by ben"
    assert set(ids(page(services, ANNA, "mine"))) == {free, also_free}


def test_bulk_delegate_reports_every_task(services: Services) -> None:
    deploy_inbox_case(services)
    mine = start_case(services, clerk="anna")["work"]
    bens = start_case(services, clerk="ben")["work"]
    with services.db.unit_of_work() as uow:
        outcomes = delegate_many(uow, services.engine, ANNA, [mine, bens], to_group="finance", comment="Kasse")
        uow.commit()
    assert [(o.ok, o.code) for o in outcomes] == [(True, None), (False, "forbidden")]
    assert ids(page(services, FRANZ, "groups")) == [mine] and ids(page(services, BEN, "mine")) == [bens]


def test_a_substitute_works_on_the_absent_users_tasks(services: Services) -> None:
    deploy_inbox_case(services)
    task = start_case(services, clerk="ben")["work"]
    with pytest.raises(Forbidden):
        complete_as(services, ANNA, task)
    standing_in = actor("anna", "clerks", substitutes_for=("ben",))
    act(services, set_priority, standing_in, task, 80)
    complete_as(services, standing_in, task)
    events = history(services, task)
    [priority] = [e for e in events if e.kind == "task_priority_set"]
    [done] = [e for e in events if e.kind == "task_completed"]
    assert priority.actor == "anna" and priority.payload["on_behalf_of"] == "ben"
    assert (done.actor, done.payload["on_behalf_of"]) == ("anna", "ben")  # "by anna for ben"
    with services.db.unit_of_work() as uow:
        assert engine.tasks.get_task(uow, task).completed_by == "anna"


def test_completion_checks_the_actor(services: Services) -> None:
    deploy_inbox_case(services)
    tasks = start_case(services)
    with pytest.raises(Forbidden):
        complete_as(services, FRANZ, tasks["work"])
    complete_as(services, ANNA, tasks["work"])  # a group member may complete an unassigned task directly
    complete_as(services, actor("root", admin=True), tasks["check"])
    [done] = [e for e in history(services, tasks["work"]) if e.kind == "task_completed"]
    assert done.actor == "anna" and "on_behalf_of" not in done.payload


def test_drafts(services: Services, clock: FrozenClock) -> None:
    deploy_inbox_case(services)
    task = start_case(services)["work"]
    with services.db.unit_of_work() as uow:
        assert get_draft(uow, ANNA, task) is None
        save_draft(uow, ANNA, task, {"note": "halb fertig", "amount": None}, now=clock.now())
        save_draft(uow, BEN, task, {"note": "Bens Entwurf"}, now=clock.now())
        uow.commit()
    with services.db.unit_of_work() as uow:
        save_draft(uow, ANNA, task, {"note": "fast fertig"}, now=clock.now())
        uow.commit()
    with services.db.unit_of_work() as uow:
        assert get_draft(uow, ANNA, task) == {"note": "fast fertig"}
        assert get_draft(uow, BEN, task) == {"note": "Bens Entwurf"}
        for wrong in ([1, 2], "text", {"x": float("nan")}):
            with pytest.raises(ValidationFailed) as caught:
                save_draft(uow, ANNA, task, wrong)  # type: ignore[arg-type]
            assert "data" in caught.value.details
        with pytest.raises(Forbidden):
            save_draft(uow, FRANZ, task, {})
        with pytest.raises(NotFound):
            get_draft(uow, ANNA, "00000000-0000-0000-0000-000000000000")
    complete_as(services, ANNA, task)
    with services.db.unit_of_work() as uow:
        assert get_draft(uow, ANNA, task) is None
        assert uow.session.scalars(select(TaskDraft)).all() == []


def test_two_concurrent_claims_one_wins(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy_inbox_case(services)
    task = start_case(services)["work"]
    original = engine.taskops.record_event
    start_together = threading.Barrier(2, timeout=20)

    def slow_record(*args: Any, **kwargs: Any) -> None:
        time.sleep(0.2)  # the first claim holds its row change while the second one tries
        original(*args, **kwargs)

    monkeypatch.setattr(engine.taskops, "record_event", slow_record)
    outcomes: dict[str, str] = {}

    def worker(who: TaskActor) -> None:
        start_together.wait()
        try:
            act(services, claim, who, task)
            outcomes[who.name] = "ok"
        except Conflict:
            outcomes[who.name] = "conflict"

    threads = [threading.Thread(target=worker, args=(who,)) for who in (ANNA, BEN)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["conflict", "ok"]
    [winner] = [name for name, outcome in outcomes.items() if outcome == "ok"]
    assert [row.assignee for row in page(services, actor(winner), "mine").rows] == [winner]
    assert [e.kind for e in history(services, task)].count("task_claimed") == 1
