"""Validation of submitted process data against a task's JSON schema, with per-field messages."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from core.errors import ValidationFailed

RESERVED_FIELDS = frozenset({"typename"})  # breaks SpiffWorkflow's serializer (see notes)


def require_object(data: Any, what: str = "data") -> dict[str, Any]:
    """Process data must be a JSON object without reserved field names."""
    if not isinstance(data, dict):
        raise ValidationFailed(f"{what} must be a JSON object", {what: "expected an object"})
    reserved = sorted(RESERVED_FIELDS.intersection(data))
    if reserved:
        raise ValidationFailed(
            f"field name {reserved[0]!r} is reserved", {name: "this field name is reserved" for name in reserved}
        )
    return data


def _field_path(error: Any) -> str:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(path) or "(root)"


def validate_form_data(schema: dict[str, Any] | None, data: Any) -> dict[str, Any]:
    """Return `data` if it satisfies `schema`; else raise ValidationFailed naming every wrong field."""
    payload = require_object(data)
    if not schema:
        return payload
    try:
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    except SchemaError as exc:  # checked at deploy, but be explicit
        raise ValidationFailed(f"the task's form schema is invalid: {exc.message}") from exc
    details: dict[str, str] = {}
    for error in sorted(validator.iter_errors(payload), key=lambda e: list(map(str, e.absolute_path))):
        details.setdefault(_field_path(error), error.message)
    if details:
        fields = ", ".join(sorted(details))
        raise ValidationFailed(f"invalid value for {fields}", details)
    return payload


def keep_read_only(schema: dict[str, Any] | None, data: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`data` with every `readOnly` field (at any depth of objects) set to its current value, or left out when
    there is none: a submission cannot change what the form only shows (the web form keeps them; this holds for
    the JSON API and the CLI too)."""
    properties = (schema or {}).get("properties")
    if not isinstance(properties, dict):
        return data
    kept = dict(data)
    for name, field in properties.items():
        if not isinstance(field, dict):
            continue
        if field.get("readOnly") is True:
            if name in current:
                kept[name] = current[name]
            else:
                kept.pop(name, None)
        elif field.get("type") == "object" and isinstance(kept.get(name), dict):
            inner = current.get(name)
            kept[name] = keep_read_only(field, kept[name], inner if isinstance(inner, dict) else {})
    return kept
