"""Plain results of model parsing (re-exported by `engine.workflow.parsing`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.workflow.problems import Problem


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class UserTaskMeta:
    element_id: str
    name: str
    lane: str | None
    assignee: str | None
    candidate_groups: tuple[str, ...]
    due_date: str | None
    follow_up_date: str | None
    priority: int | None
    form_key: str | None
    form_schema: dict[str, Any] | None
    form_ui_schema: dict[str, Any] | None
    instructions: str | None
    four_eyes_with: tuple[str, ...] = ()  # user tasks whose completers may not do this one (engine.foureyes)


@dataclass(frozen=True)
class ParsedProcess:
    key: str
    name: str
    source_file: str
    sha256: str
    bpmn_xml: bytes
    spec_json: str
    user_tasks: dict[str, UserTaskMeta]
    called_processes: tuple[str, ...]
    service_tasks: dict[str, str]
    message_starts: tuple[str, ...] = ()  # names of messages whose arrival starts an instance
    timer_starts: tuple[tuple[str, str], ...] = ()  # (start event id, timer expression) that start instances
    search_fields: tuple[str, ...] = ()  # process variables that make a case findable (property searchFields)


@dataclass(frozen=True)
class ParseResult:
    processes: list[ParsedProcess]
    forms: dict[str, dict[str, Any]]
    warnings: list[Problem]


Resolver = Callable[[str, str], SourceFile | None]
