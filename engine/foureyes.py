"""The four-eyes principle (Vier-Augen-Prinzip): a user task marked `fourEyesWith="Task_a, Task_b"` may not be
claimed, delegated to, or completed by anyone who completed a task of those elements in the same instance.

Checked wherever a person takes on a task (claim, delegation to a colleague, completion), so the rule holds
for the inbox, the JSON API and the CLI alike; admins are no exception.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Forbidden
from engine.models import HumanTask, ProcessDefinition


def _separated_from(session: Session, row: HumanTask) -> list[str]:
    tasks = session.scalar(select(ProcessDefinition.user_tasks).where(ProcessDefinition.id == row.definition_id))
    meta = (tasks or {}).get(row.element_id) or {}
    return [str(element) for element in meta.get("four_eyes_with") or ()]


def require_other_person(session: Session, row: HumanTask, user: str | None) -> None:
    """Forbidden if `user` completed one of the tasks this task must be separated from (or is unknown)."""
    elements = _separated_from(session, row)
    if not elements:
        return
    if not user:
        raise Forbidden(f"task {row.id} follows the four-eyes principle: it needs a named user")
    earlier = session.scalar(
        select(HumanTask.name).where(HumanTask.instance_id == row.instance_id, HumanTask.element_id.in_(elements),
                                     HumanTask.status == "completed", HumanTask.completed_by == user).limit(1)
    )
    if earlier is not None:
        raise Forbidden(f"four-eyes principle: {user} completed “{earlier}” in this case and may not also "
                        f"do “{row.name}”; another person must")
