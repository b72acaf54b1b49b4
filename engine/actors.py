"""Who works on a human task, and the one rule that says whether they may."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TaskActor:
    """A person acting on tasks, as the accounts layer describes them to the engine.

    `substitutes_for` holds the logins whose tasks this person may work on *now* (Vertretung; accounts
    computes it from the substitution periods), `groups` the candidate groups they belong to.
    """

    name: str
    groups: frozenset[str]
    substitutes_for: frozenset[str] = frozenset()
    is_admin: bool = False


class AssignedTask(Protocol):
    """What the rule reads of a task: a `HumanTask` row or a `TaskView`."""

    @property
    def assignee(self) -> str | None: ...

    @property
    def candidate_groups(self) -> list[str]: ...


def in_candidate_groups(actor: TaskActor, task: AssignedTask) -> bool:
    return not actor.groups.isdisjoint(task.candidate_groups)


def may_work(actor: TaskActor, task: AssignedTask) -> bool:
    """Admins; the assignee; a substitute of the assignee; anyone of a candidate group of an unassigned task."""
    if actor.is_admin or task.assignee == actor.name:
        return True
    if task.assignee is not None:
        return task.assignee in actor.substitutes_for
    return in_candidate_groups(actor, task)


def on_behalf_of(actor: TaskActor, task: AssignedTask) -> str | None:
    """The absent assignee when `actor` works on the task as their substitute, else None."""
    if task.assignee is not None and task.assignee != actor.name and task.assignee in actor.substitutes_for:
        return task.assignee
    return None

