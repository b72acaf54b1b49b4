"""(schema, UI schema, values, errors, locale) → `FormView`, the descriptors the Jinja macros render.

Values may be a stored task's data, a draft or a `Submission.values` being shown again: anything is accepted
(a string where a number is expected is shown as it is, in a text input, so the user sees what was entered).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from web.forms.paths import DEFAULT_ID_PREFIX, field_id, join
from web.forms.schema import (
    MAX_ITEMS,
    Choice,
    Spec,
    as_mapping,
    choice_title,
    classify,
    item_schema,
    language,
    localized,
    option_key,
    properties,
    ui_text,
)
from web.forms.views import FieldView, FormView, ItemView, OptionView, SummaryItem

MISSING: Any = object()
ROOT_ERROR = "(root)"
_HTML_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]{0,30}")


def build_form(
    schema: Mapping[str, Any] | None,
    ui_schema: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
    locale: Any = None,
    *,
    id_prefix: str = DEFAULT_ID_PREFIX,
    focus: str | None = None,
    document_label: Callable[[str], str] | None = None,
) -> FormView:
    """Describe the form for `schema`, showing `values` and per-field `errors` (dotted path → message).

    `locale`: "de" (default) or "en" (or a babel Locale); None takes Flask-Babel's current locale.
    `focus`: dotted path of the field or group to focus (e.g. `Submission.focus` after "add another").
    `document_label`: how to show the current value (a document id) of a file field; default: the id.
    """
    if not _ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be letters and digits, starting with a letter: {id_prefix!r}")
    root = as_mapping(schema)
    builder = _Builder(root, current_language(locale), id_prefix, document_label)
    root_spec = classify(root, as_mapping(ui_schema), root, 0)
    fields = builder.children(root_spec, "", as_mapping(values), 1, "") if root_spec.widget == "fieldset" else []
    lang = builder.lang
    form = FormView(fields=fields, summary=[], id_prefix=id_prefix, title=localized(root, "title", lang),
                    intro=ui_text(root_spec.ui, "ui:help", lang) or localized(root, "description", lang))
    form.summary = _attach_errors(form, errors or {})
    if focus and not form.summary:
        _set_focus(form, focus)
    return form


def current_language(locale: Any = None) -> str:
    """"de" or "en" … from `locale`, or from Flask-Babel's locale of the request when it is None."""
    if locale is None:
        try:
            locale = get_locale()
        except (RuntimeError, KeyError, AttributeError):  # Babel not set up on this app
            locale = None
    return language(locale)


class _Builder:
    def __init__(self, root: Mapping[str, Any], lang: str, id_prefix: str,
                 document_label: Callable[[str], str] | None) -> None:
        self.root = root
        self.lang = lang
        self.id_prefix = id_prefix
        self.document_label = document_label

    def children(self, spec: Spec, path: str, values: Mapping[str, Any], depth: int, context: str,
                 in_array: bool = False) -> list[FieldView]:
        views = []
        for name, node, ui, required in properties(spec.node, spec.ui):
            child = classify(node, ui, self.root, depth, spec.read_only)
            if child.widget == "unsupported" and child.ui.get("ui:widget") == "hidden":
                continue  # a hidden group: not shown, its value kept (see parse_submission)
            value = values.get(name, MISSING)
            if value is MISSING and not in_array and "default" in child.node:
                value = child.node["default"]
            label = ui_text(child.ui, "ui:title", self.lang) or localized(child.node, "title", self.lang) or name
            views.append(self.field(child, join(path, name), value, required, depth, label, context, in_array))
        return views

    def field(self, spec: Spec, path: str, value: Any, required: bool, depth: int, label: str, context: str,
              in_array: bool) -> FieldView:
        view = FieldView(
            path=path, id=field_id(path, self.id_prefix), widget=spec.widget, label=label,
            full_label=f"{context} – {label}" if context else label,
            required=required and not (spec.value_type == "boolean" and spec.widget == "checkbox"
                                       and spec.node.get("const") is not True),
            read_only=spec.read_only,
            help=ui_text(spec.ui, "ui:help", self.lang) or localized(spec.node, "description", self.lang),
            placeholder=ui_text(spec.ui, "ui:placeholder", self.lang),
        )
        if spec.widget == "fieldset":
            view.children = self.children(spec, path, as_mapping(value), depth + 1, view.full_label, in_array)
        elif spec.widget == "repeat":
            self._repeat(view, spec, value, depth)
        else:
            self._scalar(view, spec, value)
        return view

    def _repeat(self, view: FieldView, spec: Spec, value: Any, depth: int) -> None:
        rows = list(value[:MAX_ITEMS]) if isinstance(value, list) else []
        item_node, item_ui = item_schema(spec, self.root)
        item_spec = classify(item_node, item_ui, self.root, depth + 1, spec.read_only)
        limit = _int_keyword(spec.node, "maxItems", MAX_ITEMS)
        given = len(rows)  # entries added here (up to minItems, one empty at the end) get no remove button
        if not spec.read_only:
            while len(rows) < min(_int_keyword(spec.node, "minItems", 0), limit):
                rows.append(MISSING)
            if len(rows) < limit and (not rows or not _is_blank(rows[-1])):
                rows.append(MISSING)
        title = localized(item_spec.node, "title", self.lang) or view.label
        for index, row in enumerate(rows):
            label = f"{title} {index + 1}"
            item = self.field(item_spec, join(view.path, index), row, False, depth + 1, label, "", True)
            view.items.append(ItemView(item, removable=not spec.read_only and index < given))
        view.can_add = not spec.read_only and len(rows) < limit

    def _scalar(self, view: FieldView, spec: Spec, value: Any) -> None:
        node = spec.node
        if spec.widget in ("select", "radio", "checkboxes"):
            view.options = self._options(view, spec, value)
        elif spec.widget == "checkbox":
            view.checked = value is True
        elif spec.widget == "file":
            if isinstance(value, str) and value:
                view.value = value
                view.document = _("Current document: %(document)s",
                                  document=self.document_label(value) if self.document_label else value)
        elif spec.widget == "number":
            view.value = _display(value)
            if view.value and not _HTML_NUMBER.fullmatch(view.value):
                view.widget = "text"  # keep what was typed visible; a number input would blank it
                view.attrs["inputmode"] = "decimal" if spec.value_type == "number" else "numeric"
            else:
                view.attrs.update(_number_attrs(node, spec.value_type))
        elif spec.widget == "date":
            view.value = _display(value)
            if view.value and not _ISO_DATE.fullmatch(view.value):
                view.widget = "text"
        elif spec.widget == "hidden" and spec.choices:
            view.value = "" if value is MISSING or value is None else option_key(value)
        elif spec.widget == "unsupported":
            view.value = "" if value is MISSING or value is None else json.dumps(value, ensure_ascii=False, indent=2,
                                                                               default=str)
        else:
            view.value = _display(value)
        if spec.widget in ("text", "textarea", "email", "url") and not spec.read_only:
            max_length = _int_keyword(node, "maxLength", 0)
            if max_length > 0:
                view.attrs["maxlength"] = str(max_length)
        if view.widget == "textarea":
            rows = as_mapping(spec.ui.get("ui:options")).get("rows")
            view.attrs["rows"] = str(rows if isinstance(rows, int) and 1 <= rows <= 40 else 5)
        if view.widget in ("email", "url"):
            view.attrs["spellcheck"] = "false"

    def _options(self, view: FieldView, spec: Spec, value: Any) -> list[OptionView]:
        if spec.widget == "checkboxes":
            chosen = {option_key(item) for item in value} if isinstance(value, list) else set()
        else:
            chosen = set() if value is MISSING or value is None else {option_key(value)}
        return [OptionView(id=f"{view.id}--{index}", value=choice.key, label=self._choice_label(spec, choice),
                           selected=choice.key in chosen)
                for index, choice in enumerate(spec.choices)]

    def _choice_label(self, spec: Spec, choice: Choice) -> str:
        if spec.value_type == "boolean":
            return _("Yes") if choice.value is True else _("No")
        return choice_title(spec, choice, self.lang)


def _display(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _number_attrs(node: Mapping[str, Any], kind: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for keyword, attr in (("minimum", "min"), ("maximum", "max")):
        bound = node.get(keyword)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            attrs[attr] = _display(bound)
    step = node.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        attrs["step"] = _display(step)
    else:
        attrs["step"] = "1" if kind == "integer" else "any"
    return attrs


def _int_keyword(node: Mapping[str, Any], keyword: str, default: int) -> int:
    value = node.get(keyword)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return min(value, MAX_ITEMS) if keyword in ("maxItems", "minItems") else value
    return default


def _is_blank(value: Any) -> bool:
    """An entry of a repeating group with nothing in it (what parse_submission drops)."""
    if value is MISSING or value is None or value is False or value == "":
        return True
    if isinstance(value, Mapping):
        return all(_is_blank(item) for item in value.values())
    if isinstance(value, list):
        return all(_is_blank(item) for item in value)
    return False


def _attach_errors(form: FormView, errors: Mapping[str, Any]) -> list[SummaryItem]:
    views = form.walk()
    by_path = {view.path: view for view in views}
    extra: list[SummaryItem] = []
    for path, message in errors.items():
        text = str(message)
        view = by_path.get(str(path))
        if view is not None:
            if view.error is None:
                view.error = text
            continue
        ancestor = _nearest(by_path, str(path))
        if ancestor is None:
            extra.append(SummaryItem(text, None))
        else:
            extra.append(SummaryItem(f"{ancestor.full_label}: {text}", ancestor.anchor))
    summary = [SummaryItem(f"{view.full_label}: {view.error}", view.anchor) for view in views if view.error]
    return summary + extra


def _nearest(by_path: Mapping[str, FieldView], path: str) -> FieldView | None:
    parts = path.split(".") if path != ROOT_ERROR else []
    while parts:
        parts.pop()
        view = by_path.get(".".join(parts))
        if view is not None:
            return view
    return None


def _set_focus(form: FormView, path: str) -> None:
    target = form.find(path)
    if target is None:
        return
    if target.widget == "repeat":
        target.autofocus = True
        return
    for view in target.walk():
        if view.widget not in ("fieldset", "repeat", "hidden", "unsupported") and not view.read_only:
            view.autofocus = True
            return
