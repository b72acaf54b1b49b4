"""Keeps what the inbox reads current: the case columns of `human_task` and its `human_task_entry` rows.

The inbox never deserializes a workflow and never reads process data: when the engine saves an instance it
copies the case's reference (business key), procedure name, applicant (process variable `applicant_name`)
and the procedure's search fields onto each open task, and writes one entry row per place the task shows
up (see `HumanTaskEntry`). Every inbox action rewrites the task's entries; closing a task drops them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from engine.models import HumanTask, HumanTaskEntry, TaskDraft

FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)  # `due_sort` of a task without a due date: last in due order
APPLICANT_VARIABLE = "applicant_name"
PROCEDURE_FIELD = "@procedure"  # the entry field whose value is the process key
MAX_VALUE = 255  # longer field values are shown and found by text, but not offered as exact filters
MAX_SEARCH_TEXT = 8000


def user_holder(login: str) -> str:
    return f"u:{login}"


def group_holder(group: str) -> str:
    return f"g:{group}"


@dataclass(frozen=True)
class CaseColumns:
    """The case as every open task of an instance shows it."""

    reference: str | None
    process_name: str
    applicant: str | None
    case_fields: dict[str, Any]

    @classmethod
    def of(cls, business_key: str | None, process_name: str, search_fields: Iterable[str],
           data: dict[str, Any]) -> CaseColumns:
        applicant = data.get(APPLICANT_VARIABLE)
        return cls(
            reference=business_key, process_name=process_name,
            applicant=_text(applicant)[:500] if _is_scalar(applicant) and applicant != "" else None,
            case_fields={name: data[name] for name in search_fields if name in data},
        )

    def differs_from(self, row: HumanTask) -> bool:
        return (row.reference, row.process_name, row.applicant, row.case_fields) != (
            self.reference, self.process_name, self.applicant, self.case_fields)

    def apply_to(self, row: HumanTask) -> None:
        row.reference, row.process_name, row.applicant = self.reference, self.process_name, self.applicant
        row.case_fields = dict(self.case_fields)
        row.search_text = search_text(row)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _text(value: Any) -> str:
    """A field value as the inbox filters it: JSON spelling for booleans, whole numbers without ".0"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def filter_value(value: Any) -> str | None:
    """The entry value an exact field filter on `value` matches, or None when it cannot be an entry."""
    text = _text(value)
    return text if _is_scalar(value) and len(text) <= MAX_VALUE else None


def search_text(row: HumanTask) -> str:
    """What the free-text filter searches: task name, procedure, reference, applicant and field values."""
    values = [_text(v) for v in row.case_fields.values() if _is_scalar(v)]
    words = [row.name, row.process_name, row.reference or "", row.applicant or "", *values]
    return " ".join(word for word in words if word).lower()[:MAX_SEARCH_TEXT]


def holders(row: HumanTask) -> list[str]:
    """Whose inbox lists the task: its assignee's, else those of its candidate groups."""
    if row.assignee:
        return [user_holder(row.assignee)]
    return [group_holder(group) for group in row.candidate_groups]


def entry_rows(row: HumanTask) -> list[dict[str, Any]]:
    filters: list[tuple[str, str]] = [("", ""), (PROCEDURE_FIELD, row.process_key[:MAX_VALUE])]
    for name, value in sorted(row.case_fields.items()):
        for item in value if isinstance(value, list) else [value]:
            text = filter_value(item)
            if text is not None and len(name) <= 100 and (name, text) not in filters:
                filters.append((name, text))
    common = {"task_id": row.id, "process_key": row.process_key, "due_sort": row.due_at or FAR_FUTURE,
              "follow_up_at": row.follow_up_at, "priority": row.priority, "created_at": row.created_at}
    return [dict(common, holder=holder, field=field, value=value)
            for holder in holders(row) for field, value in filters]


def write_entries(session: Session, rows: Iterable[HumanTask]) -> None:
    """Insert the entries of newly created open tasks (their rows must be added to the session)."""
    values = [entry for row in rows for entry in entry_rows(row)]
    if values:
        session.execute(insert(HumanTaskEntry), values)


def rewrite_entries(session: Session, row: HumanTask) -> None:
    """Replace the entries of an open task whose holders or case fields changed."""
    session.execute(delete(HumanTaskEntry).where(HumanTaskEntry.task_id == row.id))
    write_entries(session, [row])


def drop_closed(session: Session, task_ids: list[uuid.UUID]) -> None:
    """A completed or cancelled task leaves every inbox, and its drafts go."""
    if task_ids:
        session.execute(delete(HumanTaskEntry).where(HumanTaskEntry.task_id.in_(task_ids)))
        session.execute(delete(TaskDraft).where(TaskDraft.task_id.in_(task_ids)))
