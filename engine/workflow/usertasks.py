"""User-task metadata from the Spiff dialect (spiffworkflow:properties) and camunda: attributes.

Values are literals, or Python expressions marked with a leading `=` (Camunda `${...}` is translated to
that form), e.g. assignee "=initiator". Dates are ISO-8601 dates, date-times or durations ("P14D").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from lxml import etree

from engine.workflow.expressions import ExpressionError, is_juel, juel_to_python
from engine.workflow.model_types import UserTaskMeta
from engine.workflow.problems import ProblemList
from engine.workflow.sandbox import check_source
from engine.workflow.xmlutil import (
    BPMN_NS,
    CAMUNDA_NS,
    camunda_attr,
    extension_children,
    local,
    process_properties,
    spiff_extension,
)

FormLookup = Callable[[str], "dict[str, Any] | None"]
RESERVED_FIELD_NAMES = frozenset({"typename"})  # breaks Spiff state deserialization
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_CAMUNDA_DATE_IDIOM = re.compile(
    r"^\s*[$#]\{\s*dateTime\(\)\.plus(?P<unit>Years|Months|Weeks|Days|Hours|Minutes)\((?P<n>\d+)\)"
    r"\.toDate\(\)\s*\}\s*$"
)
_DURATION_UNITS = {
    "Years": "P{}Y",
    "Months": "P{}M",
    "Weeks": "P{}W",
    "Days": "P{}D",
    "Hours": "PT{}H",
    "Minutes": "PT{}M",
}
_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "integer": {"type": "integer"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}


def is_external_form_key(key: str) -> bool:
    """Camunda form keys such as "embedded:app:forms/x.html" or "app:x.jsf" point at web apps."""
    return ":" in key


def reserved_fields(schema: Any) -> list[str]:
    """Property names of a JSON schema (at any depth) that akte cannot store."""
    found: list[str] = []
    if isinstance(schema, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            found += [name for name in props if name in RESERVED_FIELD_NAMES]
        for value in schema.values():
            found += reserved_fields(value)
    elif isinstance(schema, list):
        for value in schema:
            found += reserved_fields(value)
    return found


def _is_iso_date(text: str) -> bool:
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(text)
        except ValueError:
            continue
        return True
    return bool(_DURATION.match(text))


class UserTaskReader:
    def __init__(self, file: str, problems: ProblemList, lookup_form: FormLookup) -> None:
        self.file = file
        self.problems = problems
        self.lookup_form = lookup_form

    def fail(self, element: etree._Element, message: str, severity: str = "error") -> None:
        self.problems.at(self.file, element, message, severity)

    def value(self, task: etree._Element, what: str, text: str | None) -> str | None:
        """Literal, or "=python" for expressions; None (with a problem) if unusable."""
        if text is None or not text.strip():
            return None
        text = text.strip()
        try:
            python = (
                juel_to_python(text) if is_juel(text) else text[1:].strip() if text.startswith("=") else None
            )
        except ExpressionError as exc:
            self.fail(task, f"{what} {text!r} cannot be translated: {exc}")
            return None
        if python is None:
            return text
        error = check_source(python, "eval")
        if error:
            self.fail(task, f"{what} expression {python!r} rejected: {error}")
            return None
        return f"={python}"

    def date_value(self, task: etree._Element, what: str, text: str | None) -> str | None:
        idiom = _CAMUNDA_DATE_IDIOM.match(text or "")
        if idiom:  # ${dateTime().plusDays(2).toDate()} -> "P2D" (relative to task creation)
            return _DURATION_UNITS[idiom.group("unit")].format(idiom.group("n"))
        result = self.value(task, what, text)
        if result is not None and not result.startswith("=") and not _is_iso_date(result):
            self.fail(task, f"{what} {result!r} is not an ISO-8601 date, date-time or duration")
            return None
        return result

    def priority(self, task: etree._Element, text: str | None) -> int | None:
        if text is None or not text.strip():
            return None
        try:
            return int(text.strip())
        except ValueError:
            self.fail(task, f"priority {text!r} must be a whole number")
            return None

    def groups(self, task: etree._Element, text: str | None, lane: str | None) -> tuple[str, ...]:
        if text is None or not text.strip():
            return (lane,) if lane else ()
        items = [self.value(task, "candidate group", part) for part in text.split(",")]
        return tuple(item for item in items if item)

    def form(self, task: etree._Element, props: dict[str, str]) -> tuple[str | None, dict[str, Any] | None]:
        form_data = extension_children(task, CAMUNDA_NS, "formData")
        if form_data:
            return None, self.generated_form(task, form_data[0])
        key = (
            props.get("formJsonSchemaFilename")
            or camunda_attr(task, "formKey")
            or camunda_attr(task, "formRef")
        )
        if not key:
            return None, None
        if is_external_form_key(key):
            self.fail(
                task, f"form key {key!r} refers to an external web form; akte shows no form for it", "warning"
            )
            return key, None
        schema = self.lookup_form(key)
        if schema is None:
            self.fail(task, f"form {key!r} not found: deploy the JSON schema file with the model")
        return key, schema

    def ui_schema(self, task: etree._Element, props: dict[str, str]) -> dict[str, Any] | None:
        name = props.get("formUiSchemaFilename")
        if not name:
            return None
        schema = self.lookup_form(name)
        if schema is None:
            self.fail(task, f"UI schema {name!r} not found: deploy the JSON file with the model")
        return schema

    def generated_form(self, task: etree._Element, form_data: etree._Element) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in form_data.iter(f"{{{CAMUNDA_NS}}}formField"):
            field_id = field.get("id", "")
            if not field_id.isidentifier() or field_id.startswith("_") or field_id in RESERVED_FIELD_NAMES:
                self.fail(task, f"form field id {field_id!r} is not a usable variable name")
                continue
            properties[field_id] = self.field_schema(task, field)
            if any(c.get("name") == "required" for c in field.iter(f"{{{CAMUNDA_NS}}}constraint")):
                required.append(field_id)
        schema: dict[str, Any] = {"type": "object", "title": _display_name(task), "properties": properties}
        if required:
            schema["required"] = required
        return schema

    def field_schema(self, task: etree._Element, field: etree._Element) -> dict[str, Any]:
        kind = field.get("type", "string")
        values = list(field.iter(f"{{{CAMUNDA_NS}}}value"))
        if kind == "enum":
            schema: dict[str, Any] = {
                "type": "string",
                "oneOf": [{"const": v.get("id"), "title": v.get("name") or v.get("id")} for v in values],
            }
        elif kind in _FIELD_TYPES:
            schema = dict(_FIELD_TYPES[kind])
        else:
            self.fail(task, f"form field {field.get('id')!r} has unsupported type {kind!r}")
            schema = {"type": "string"}
        schema["title"] = field.get("label") or field.get("id")
        default = field.get("defaultValue")
        if default is not None and not is_juel(default):
            schema["default"] = _typed_default(schema.get("type"), default)
        return schema

    def four_eyes(self, task: etree._Element) -> tuple[str, ...]:
        """`fourEyesWith` (camunda:properties or spiffworkflow:properties): ids of user tasks of the same
        process whose completers may not do this task."""
        raw = process_properties(task).get("fourEyesWith", "")
        elements = tuple(part.strip() for part in raw.split(",") if part.strip())
        process = next((p for p in task.iterancestors() if local(p) == "process"), None)
        known = {el.get("id") for el in process.iter(f"{{{BPMN_NS}}}userTask")} if process is not None else set()
        for element in elements:
            if element == task.get("id") or element not in known:
                self.fail(task, f"fourEyesWith: {element!r} is not another user task of this process")
        return elements

    def read(self, task: etree._Element, lane: str | None) -> UserTaskMeta:
        props = process_properties(task)  # camunda:properties or spiffworkflow:properties (Spiff wins)

        def pick(name: str) -> str | None:
            return camunda_attr(task, name) or props.get(name)

        form_key, form_schema = self.form(task, props)
        if camunda_attr(task, "candidateUsers"):
            self.fail(task, "camunda:candidateUsers is not supported; use candidateGroups or assignee")
        return UserTaskMeta(
            element_id=task.get("id", "-"),
            name=_display_name(task),
            lane=lane,
            assignee=self.value(task, "assignee", pick("assignee")),
            candidate_groups=self.groups(task, pick("candidateGroups"), lane),
            due_date=self.date_value(task, "dueDate", pick("dueDate")),
            follow_up_date=self.date_value(task, "followUpDate", pick("followUpDate")),
            priority=self.priority(task, pick("priority")),
            form_key=form_key,
            form_schema=form_schema,
            form_ui_schema=self.ui_schema(task, props),
            instructions=_instructions(task),
            four_eyes_with=self.four_eyes(task),
        )


def _typed_default(kind: Any, text: str) -> Any:
    if kind in ("integer", "number", "boolean"):
        try:
            value = json.loads(text.lower() if kind == "boolean" else text)
        except ValueError:
            return text
        return value
    return text


def _display_name(task: etree._Element) -> str:
    return " ".join((task.get("name") or task.get("id") or "").split())


def _instructions(task: etree._Element) -> str | None:
    node = spiff_extension(task, "instructionsForEndUser")
    if node is not None and (node.text or "").strip():
        return (node.text or "").strip()
    docs = [d.text.strip() for d in task.findall(f"{{{BPMN_NS}}}documentation") if d.text and d.text.strip()]
    return "\n\n".join(docs) or None


def is_user_task(element: etree._Element) -> bool:
    return local(element) == "userTask"
