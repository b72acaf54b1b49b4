"""A submitted task form (flat names like `persons.0.name`) → typed JSON, per-field errors, uploads, action.

Rules (see docs/forms.md):
- only fields of the schema are read; other names (csrf_token, the page's own buttons) are ignored;
- empty optional inputs are omitted from `data` (not ""), checkbox present → True, absent → False;
- entries of a repeating group without any input are dropped from `data`; in `values` (what is shown again)
  they move behind the filled entries, so a path means the same entry in `data`, `values` and `errors`;
- `_add=<group path>` / `_remove=<entry path>` (the add/remove buttons) are applied to `values` and
  reported as `action`; the caller then shows the form again instead of completing the task;
- indices of 200 and more, too long or too deeply nested names are refused with an error under "(root)"
  or the group's path, never by an exception;
- read-only fields (outside repeating groups) keep their value from `current`, whatever was posted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict

from web.forms.convert import ConversionError, to_email, to_integer, to_iso_date, to_number, to_uri
from web.forms.fields import MISSING, ROOT_ERROR
from web.forms.paths import get_path, join
from web.forms.schema import MAX_DEPTH, MAX_ITEMS, Spec, as_mapping, classify, item_schema, properties

ADD = "_add"
REMOVE = "_remove"
REFRESH = "_refresh"
COUNT_PREFIX = "_count."
MAX_NAME_LENGTH = 1000
MAX_SEGMENTS = 2 * MAX_DEPTH + 2
MAX_BLANK_ROWS = 10  # empty entries of one group kept for showing again
_INDEX = re.compile(r"0|[1-9][0-9]*")
_DIGITS = re.compile(r"[0-9]+")
_FALSE_TEXT = frozenset({"", "false", "0", "off", "no"})


@dataclass(frozen=True)
class FormAction:
    """A button that changes the form instead of submitting it: add/remove an entry, or just show it again."""

    kind: Literal["add", "remove", "refresh"]
    path: str = ""  # the group (add) or the entry (remove), as a path of the returned values


@dataclass
class Submission:
    data: dict[str, Any]  # typed JSON for validation and completion
    values: dict[str, Any]  # what to show when rendering the form again (raw text of failed conversions kept)
    errors: dict[str, str]  # conversion errors, dotted path → message
    uploads: dict[str, FileStorage] = field(default_factory=dict)  # dotted path → uploaded file
    action: FormAction | None = None
    focus: str | None = None  # path to focus when showing the form again (the added entry, the group)

    def set_document(self, path: str, document_id: str) -> None:
        """Put the id of the stored upload at `path` into `data` and `values`."""
        for target in (self.data, self.values):
            _put(target, path, document_id)


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    container: Any = target
    for part in parts[:-1]:
        if isinstance(container, dict):
            container = container.setdefault(part, {})
        elif isinstance(container, list) and _INDEX.fullmatch(part) and int(part) < len(container):
            container = container[int(part)]
        else:
            raise KeyError(path)
    if not isinstance(container, dict):
        raise KeyError(path)
    container[parts[-1]] = value


def parse_submission(
    schema: Mapping[str, Any] | None,
    form: MultiDict[str, str],
    files: MultiDict[str, FileStorage] | None = None,
    *,
    ui_schema: Mapping[str, Any] | None = None,
    current: Mapping[str, Any] | None = None,
) -> Submission:
    """Rebuild the typed task data from a submitted form; never raises for what a client sends."""
    root = as_mapping(schema)
    parser = _Parser(root, form, files if files is not None else MultiDict(), as_mapping(current))
    spec = classify(root, as_mapping(ui_schema), root, 0)
    data: Any = {}
    values: Any = {}
    if spec.widget == "fieldset":
        data, values = parser.object(spec, "", "", 0, in_array=False, keep=True)
    action = None
    if ADD in form or REMOVE in form:
        action = parser.action or FormAction("refresh")
    elif REFRESH in form:
        action = FormAction("refresh")
    return Submission(data=data, values=values, errors=parser.errors, uploads=parser.uploads, action=action,
                      focus=parser.focus)


class _Parser:
    def __init__(self, root: Mapping[str, Any], form: MultiDict[str, str], files: MultiDict[str, FileStorage],
                 current: Mapping[str, Any]) -> None:
        self.root = root
        self.form = form
        self.files = files
        self.current = current
        self.errors: dict[str, str] = {}
        self.uploads: dict[str, FileStorage] = {}
        self.action: FormAction | None = None
        self.focus: str | None = None
        self.add_target = form.get(ADD)
        self.remove_target = form.get(REMOVE)
        self.children: dict[str, set[str]] = {}  # path → next segments of submitted names below it
        self.filled: set[str] = set()  # paths with a non-blank value at or below them
        self._index()

    def _index(self) -> None:
        names = [(name, any(v.strip() for v in self.form.getlist(name))) for name in self.form]
        names += [(name, any(f.filename for f in self.files.getlist(name))) for name in self.files]
        for name, has_value in names:
            if name.startswith("_"):
                continue
            if len(name) > MAX_NAME_LENGTH or name.count(".") >= MAX_SEGMENTS:
                self.errors.setdefault(ROOT_ERROR, _("The form contained an invalid field name."))
                continue
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                if end < len(parts):
                    self.children.setdefault(prefix, set()).add(parts[end])
                if has_value:
                    self.filled.add(prefix)

    def node(self, spec: Spec, src: str, dst: str, required: bool, depth: int, in_array: bool) -> tuple[Any, Any]:
        """(data, value to show again) of one field; MISSING where there is none."""
        if spec.widget == "unsupported" or (spec.read_only and not in_array):
            if in_array:
                return MISSING, MISSING
            kept = get_path(self.current, dst)
            return (MISSING, MISSING) if kept is None else (kept, kept)
        if spec.widget == "fieldset":
            return self.object(spec, src, dst, depth, in_array=in_array, keep=required)
        if spec.widget == "repeat":
            return self.array(spec, src, dst, depth)
        return self.scalar(spec, src, dst)

    def object(self, spec: Spec, src: str, dst: str, depth: int, *, in_array: bool, keep: bool) -> tuple[Any, Any]:
        data: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for name, node, ui, required in properties(spec.node, spec.ui):
            child = classify(node, ui, self.root, depth + 1, spec.read_only)
            child_data, child_value = self.node(child, join(src, name), join(dst, name), required, depth + 1,
                                                in_array)
            if child_data is not MISSING:
                data[name] = child_data
            if child_value is not MISSING:
                values[name] = child_value
        return (data if data or keep else MISSING), values

    def array(self, spec: Spec, src: str, dst: str, depth: int) -> tuple[Any, Any]:
        item_node, item_ui = item_schema(spec, self.root)
        item = classify(item_node, item_ui, self.root, depth + 1, spec.read_only)
        rows = self._row_count(src, dst)
        removed = self._removed_row(src, rows, spec)
        if removed is not None:
            self.action, self.focus = FormAction("remove", join(dst, removed)), dst
        filled = [row for row in range(rows) if row != removed and join(src, row) in self.filled]
        blank = min(rows - len(filled) - (1 if removed is not None else 0), MAX_BLANK_ROWS)
        data_rows: list[Any] = []
        value_rows: list[Any] = []
        for new, row in enumerate(filled):
            if item.widget == "fieldset":
                row_data, row_value = self.object(item, join(src, row), join(dst, new), depth + 1, in_array=True,
                                                  keep=True)
            else:
                row_data, row_value = self.node(item, join(src, row), join(dst, new), False, depth + 1, True)
            data_rows.append(None if row_data is MISSING else row_data)  # keeps data and values aligned
            value_rows.append("" if row_value is MISSING else row_value)
        if self.add_target == src and not spec.read_only:
            limit = _limit(spec.node)
            if len(filled) + blank < limit and blank < MAX_BLANK_ROWS:
                blank += 1
                self.focus = join(dst, len(filled) + blank - 1)
            self.action = FormAction("add", dst)
        value_rows.extend({} if item.widget == "fieldset" else "" for _row in range(max(blank, 0)))
        return (data_rows if data_rows else MISSING), value_rows

    def _row_count(self, src: str, dst: str) -> int:
        rows = 0
        for segment in self.children.get(src, ()):
            if not _DIGITS.fullmatch(segment):
                continue
            if len(segment) > 4 or int(segment) >= MAX_ITEMS:
                self.errors.setdefault(dst, _("No more than %(max)d entries are possible.", max=MAX_ITEMS))
            elif _INDEX.fullmatch(segment):
                rows = max(rows, int(segment) + 1)
        count = self.form.get(COUNT_PREFIX + src, "")
        if _DIGITS.fullmatch(count) and len(count) <= 4:
            rows = max(rows, min(int(count), MAX_ITEMS))
        return rows

    def _removed_row(self, src: str, rows: int, spec: Spec) -> int | None:
        target = self.remove_target
        if not target or spec.read_only or not target.startswith(src + "."):
            return None
        index = target[len(src) + 1:]
        if _INDEX.fullmatch(index) and len(index) <= 4 and int(index) < rows:
            return int(index)
        return None

    def scalar(self, spec: Spec, src: str, dst: str) -> tuple[Any, Any]:
        if spec.widget == "file":
            return self._document(src, dst)
        if spec.widget == "checkbox":
            posted = self.form.getlist(src)
            checked = bool(posted) and posted[-1].strip().lower() not in _FALSE_TEXT
            return checked, checked
        if spec.widget == "checkboxes":
            return self._choice_list(spec, src, dst)
        raw = self.form.get(src)
        if raw is None:
            return MISSING, MISSING
        text = raw.replace("\r\n", "\n").strip()
        if not text:
            return MISSING, ""
        try:
            value = self._convert(spec, raw, text)
        except ConversionError as failed:
            self.errors[dst] = failed.message
            return MISSING, text
        return value, value

    def _convert(self, spec: Spec, raw: str, text: str) -> Any:
        if spec.choices:
            for choice in spec.choices:
                if choice.key in (raw, text):
                    return choice.value
            raise ConversionError(_("Please choose one of the options."))
        if spec.value_type == "boolean":  # a hidden boolean field
            return text.lower() not in _FALSE_TEXT
        if spec.value_type == "integer":
            return to_integer(text)
        if spec.value_type == "number":
            return to_number(text)
        fmt = spec.node.get("format")
        if fmt == "date":
            return to_iso_date(text)
        if fmt == "email":
            return to_email(text)
        if fmt in ("uri", "url"):
            return to_uri(text)
        return text

    def _choice_list(self, spec: Spec, src: str, dst: str) -> tuple[Any, Any]:
        by_key = {choice.key: choice.value for choice in spec.choices}
        chosen: list[Any] = []
        for raw in self.form.getlist(src):
            if not raw.strip():
                continue
            if raw not in by_key:
                self.errors[dst] = _("Please choose one of the options.")
            elif by_key[raw] not in chosen:
                chosen.append(by_key[raw])
        return (chosen if chosen else MISSING), chosen

    def _document(self, src: str, dst: str) -> tuple[Any, Any]:
        upload = self.files.get(src)
        if upload is not None and upload.filename:
            self.uploads[dst] = upload
        current_id = (self.form.get(src) or "").strip()
        return (current_id, current_id) if current_id else (MISSING, MISSING)


def _limit(node: Mapping[str, Any]) -> int:
    value = node.get("maxItems")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return min(value, MAX_ITEMS)
    return MAX_ITEMS
