"""Validate parsed task data with the engine's rules and word the errors for the people filling the form.

The engine (`engine.forms.validate_form_data`) decides what is valid; this module only replaces jsonschema's
English developer messages ("'x' is too short") with translated ones ("Please enter at least 5 characters.")
and merges the conversion errors of `parse_submission`, which win over schema errors at the same path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from core.errors import ValidationFailed
from engine.forms import validate_form_data
from web.forms.fields import ROOT_ERROR, current_language
from web.forms.schema import as_mapping, localized


def validate(
    schema: Mapping[str, Any] | None,
    data: Any,
    conversion_errors: Mapping[str, str] | None = None,
    locale: Any = None,
) -> dict[str, str]:
    """Every problem of `data` as dotted path → message (empty: valid). Never raises for invalid data."""
    errors = dict(conversion_errors or {})
    if schema:
        try:
            Draft202012Validator.check_schema(dict(schema))
        except SchemaError:
            errors[ROOT_ERROR] = _("The form definition of this task is invalid. Please tell the process designers.")
            return errors
    try:
        validate_form_data(dict(schema) if schema else None, data)
    except ValidationFailed as failed:
        errors.update(field_messages(schema, data, failed, locale, keep=errors))
    return errors


def field_messages(
    schema: Mapping[str, Any] | None,
    data: Any,
    failed: ValidationFailed,
    locale: Any = None,
    keep: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Translated messages for a `ValidationFailed` from the engine (e.g. raised by completing the task)."""
    details = failed.details if isinstance(failed.details, Mapping) else {}
    if not details:
        return {ROOT_ERROR: failed.message}
    lang = current_language(locale)
    friendly = _friendly(schema, data, lang)
    return {str(path): friendly.get(str(path), str(message))
            for path, message in details.items() if str(path) not in (keep or {})}


def _friendly(schema: Mapping[str, Any] | None, data: Any, lang: str) -> dict[str, str]:
    if not schema or not isinstance(data, dict):
        return {}
    try:
        validator = Draft202012Validator(dict(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)
        found = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    except (SchemaError, RecursionError):
        return {}
    messages: dict[str, str] = {}
    for error in found:
        messages.setdefault(_path(error), message_for(error, lang))
    return messages


def _path(error: ValidationError) -> str:
    """The same path as engine.forms reports (a missing required property's own path)."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        path.append(error.message.split("'")[1] if "'" in error.message else "")
    return ".".join(path) or ROOT_ERROR


def message_for(error: ValidationError, lang: str) -> str:
    node = as_mapping(error.schema)
    rule = str(error.validator)
    limit = error.validator_value
    if rule == "required":
        return _("This field is required.")
    custom = localized(node, "x-errorMessage", lang)
    if custom:
        return custom
    if rule in ("minLength", "maxLength", "minItems", "maxItems") and isinstance(limit, int):
        return _counted(rule, limit)
    if rule in _BOUNDS and isinstance(limit, int | float) and not isinstance(limit, bool):
        return _bound(rule, _number(limit, lang))
    if rule == "multipleOf" and isinstance(limit, int | float):
        return _("Please enter a multiple of %(step)s.", step=_number(limit, lang))
    if rule in ("enum", "oneOf", "anyOf", "const"):
        return _("Please tick this box.") if node.get("const") is True else _("Please choose one of the options.")
    if rule == "type":
        return _type_message(limit)
    if rule in ("pattern", "format"):
        return _("Please check the format of this entry.")
    if rule == "uniqueItems":
        return _("Each entry may appear only once.")
    if rule in ("additionalProperties", "unevaluatedProperties"):
        return _("The form contains fields that are not allowed here.")
    return _("This entry is not valid.")


def _counted(rule: str, limit: int) -> str:
    if rule == "minLength":
        return ngettext("Please enter at least %(num)d character.", "Please enter at least %(num)d characters.",
                        limit)
    if rule == "maxLength":
        return ngettext("Please enter at most %(num)d character.", "Please enter at most %(num)d characters.", limit)
    if rule == "minItems":
        return ngettext("Please add at least %(num)d entry.", "Please add at least %(num)d entries.", limit)
    return ngettext("Please enter no more than %(num)d entry.", "Please enter no more than %(num)d entries.", limit)


_BOUNDS = frozenset({"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"})


def _bound(rule: str, limit: str) -> str:
    if rule == "minimum":
        return _("Please enter a value of at least %(limit)s.", limit=limit)
    if rule == "exclusiveMinimum":
        return _("Please enter a value greater than %(limit)s.", limit=limit)
    if rule == "maximum":
        return _("Please enter a value of at most %(limit)s.", limit=limit)
    return _("Please enter a value less than %(limit)s.", limit=limit)


def _type_message(expected: Any) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    if "integer" in kinds:
        return _("Please enter a whole number.")
    if "number" in kinds:
        return _("Please enter a number.")
    if "boolean" in kinds:
        return _("Please choose yes or no.")
    if "string" in kinds:
        return _("Please enter text.")
    return _("This entry is not valid.")


def _number(value: float, lang: str) -> str:
    text = str(value)
    return text.replace(".", ",") if lang == "de" else text
