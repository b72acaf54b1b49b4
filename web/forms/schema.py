"""Reading a task's JSON schema (+ UI schema) the same way for rendering and for parsing a submission.

`classify` turns one schema node and its UI hints into a `Spec`: what kind of value it holds and which
widget shows it. Both `web.forms.fields` (rendering) and `web.forms.submission` (parsing) use it, so a field
is read back exactly as it was shown. Nothing here raises on a strange schema: what akte cannot show
becomes the `unsupported` widget (shown read-only, never parsed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

MAX_DEPTH = 8  # nesting of objects/arrays below the root that akte renders and parses
MAX_ITEMS = 200  # entries of one repeating group
MAX_REF_HOPS = 16
RADIO_MAX_OPTIONS = 4
LONG_TEXT_LENGTH = 200  # maxLength above this → textarea
DOCUMENT_FORMAT = "akte-document"

ValueType = Literal["string", "number", "integer", "boolean", "enum", "enum-list", "document", "object", "array",
                    "none"]
Widget = Literal["text", "textarea", "date", "email", "url", "number", "select", "radio", "checkbox", "checkboxes",
                 "file", "hidden", "fieldset", "repeat", "unsupported"]

EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True)
class Choice:
    """One allowed value of an enum: the typed value, its form value and the schema node carrying its title."""

    value: Any
    key: str
    title_node: Mapping[str, Any]


@dataclass(frozen=True)
class Spec:
    node: Mapping[str, Any]
    ui: Mapping[str, Any]
    value_type: ValueType
    widget: Widget
    read_only: bool
    choices: tuple[Choice, ...] = field(default=())


def option_key(value: Any) -> str:
    """The form value of an enum constant (strings as they are, everything else as JSON)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else EMPTY


def resolve(node: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local `$ref`s (`#/$defs/...`); keywords beside `$ref` win over the referenced ones."""
    current = as_mapping(node)
    for _ in range(MAX_REF_HOPS):
        ref = current.get("$ref")
        if not isinstance(ref, str):
            return current
        target = _pointer(root, ref)
        if target is None:
            return {key: value for key, value in current.items() if key != "$ref"}
        current = {**target, **{key: value for key, value in current.items() if key != "$ref"}}
    return EMPTY


def _pointer(root: Mapping[str, Any], ref: str) -> Mapping[str, Any] | None:
    if not ref.startswith("#"):
        return None
    target: Any = root
    for raw in ref[1:].split("/")[1:] if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, Mapping) or part not in target:
            return None
        target = target[part]
    return target if isinstance(target, Mapping) else None


def usable_property_name(name: Any) -> bool:
    """Dotted paths address fields: names with a dot, empty names and `_`-names (control fields) are skipped."""
    return isinstance(name, str) and bool(name) and "." not in name and not name.startswith("_") and len(name) <= 200


def properties(node: Mapping[str, Any], ui: Mapping[str, Any]) -> Iterator[tuple[str, Any, Mapping[str, Any], bool]]:
    """(name, child schema, child UI schema, required) of an object node, in `ui:order` order."""
    props = as_mapping(node.get("properties"))
    required_names = node.get("required")
    required = set(required_names) if isinstance(required_names, list) else set()
    names = [name for name in props if usable_property_name(name)]
    for name in _ordered(names, ui.get("ui:order")):
        yield name, props[name], as_mapping(ui.get(name)), name in required


def _ordered(names: list[str], order: Any) -> list[str]:
    if not isinstance(order, list):
        return names
    listed = [name for name in order if isinstance(name, str) and (name in names or name == "*")]
    rest = [name for name in names if name not in listed]
    if "*" not in listed:
        listed.append("*")
    result: list[str] = []
    for name in listed:
        if name == "*":
            result.extend(rest)
        elif name not in result:
            result.append(name)
    return result


def _types(node: Mapping[str, Any]) -> list[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [kind for kind in declared if isinstance(kind, str)]
    return []


def _choices(node: Mapping[str, Any]) -> tuple[Choice, ...] | None:
    one_of = node.get("oneOf", node.get("anyOf"))
    if isinstance(one_of, list) and one_of and all(isinstance(o, Mapping) and "const" in o for o in one_of):
        return tuple(Choice(o["const"], option_key(o["const"]), o) for o in one_of)
    enum = node.get("enum")
    if isinstance(enum, list) and enum:
        return tuple(Choice(value, option_key(value), EMPTY) for value in enum)
    return None


def value_type(node: Mapping[str, Any]) -> ValueType:
    if _choices(node) is not None:
        return "enum"
    kinds = [kind for kind in _types(node) if kind != "null"]
    kind = kinds[0] if kinds else _inferred_type(node)
    if kind == "string" and node.get("format") == DOCUMENT_FORMAT:
        return "document"
    if kind == "array":
        items = as_mapping(node.get("items"))
        return "enum-list" if _choices(items) is not None else "array"
    if kind in ("string", "number", "integer", "boolean", "object"):
        return kind  # type: ignore[return-value]
    return "none"


def _inferred_type(node: Mapping[str, Any]) -> str:
    if "properties" in node:
        return "object"
    if "items" in node:
        return "array"
    if "const" in node:
        const = node["const"]
        if isinstance(const, bool):
            return "boolean"
        return "string" if isinstance(const, str) else "none"
    return "none" if _types(node) else "string"


def classify(node: Any, ui: Mapping[str, Any], root: Mapping[str, Any], depth: int,
             parent_read_only: bool = False) -> Spec:
    """The value type and widget of one schema node at nesting `depth` (root properties: 1)."""
    resolved = resolve(node, root)
    ui = as_mapping(ui)
    read_only = parent_read_only or resolved.get("readOnly") is True or ui.get("ui:readonly") is True
    kind = value_type(resolved)
    requested = ui.get("ui:widget")
    if kind in ("object", "array") and depth > MAX_DEPTH:
        return Spec(resolved, ui, "none", "unsupported", True)
    choices = _choices(resolved) or ()
    if requested == "hidden":
        hidden: Widget = "hidden" if kind not in ("object", "array", "enum-list", "none") else "unsupported"
        return Spec(resolved, ui, kind, hidden, read_only, tuple(choices))
    widget: Widget
    if kind == "enum":
        many = len(choices) > RADIO_MAX_OPTIONS
        widget = "radio" if requested == "radio" or (not many and requested != "select") else "select"
    elif kind == "enum-list":
        choices = _choices(as_mapping(resolve(resolved.get("items"), root))) or ()
        widget = "checkboxes"
    elif kind == "boolean":
        widget = requested if requested in ("radio", "select") else "checkbox"
        if widget != "checkbox":
            choices = (Choice(True, "true", EMPTY), Choice(False, "false", EMPTY))
    elif kind in ("string", "number", "integer"):
        widget = _scalar_widget(kind, resolved, requested)
    elif kind == "document":
        widget = "file"
    elif kind == "object":
        widget = "fieldset"
    elif kind == "array":
        items = resolve(resolved.get("items"), root)
        item_kind = value_type(items)
        widget = "repeat" if item_kind not in ("array", "enum-list", "none") else "unsupported"
    else:
        widget = "unsupported"
    return Spec(resolved, ui, kind, widget, read_only or widget == "unsupported", tuple(choices))


def _scalar_widget(kind: str, node: Mapping[str, Any], requested: Any) -> Widget:
    if kind in ("number", "integer"):
        return "number"
    fmt = node.get("format")
    if requested == "textarea":
        return "textarea"
    if requested == "text":
        return "text"
    if fmt == "date":
        return "date"
    if fmt == "email":
        return "email"
    if fmt in ("uri", "url"):
        return "url"
    max_length = node.get("maxLength")
    if isinstance(max_length, int) and not isinstance(max_length, bool) and max_length > LONG_TEXT_LENGTH:
        return "textarea"
    return "text"


def item_schema(spec: Spec, root: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(items schema, items UI schema) of an array spec."""
    return resolve(spec.node.get("items"), root), as_mapping(spec.ui.get("items"))


def language(locale: Any) -> str:
    """"de_DE", "en-GB", a babel Locale … → "de" / "en"; anything unusable → "de"."""
    text = str(locale or "").strip().replace("-", "_").split("_")[0].lower()
    return text if text.isalpha() and len(text) <= 8 else "de"


def localized(node: Mapping[str, Any], key: str, lang: str) -> str | None:
    """`node[key]` (German) or its `x-translations[lang][key]`."""
    translation = as_mapping(as_mapping(node.get("x-translations")).get(lang)).get(key)
    if isinstance(translation, str):
        return translation
    value = node.get(key)
    return value if isinstance(value, str) else None


def ui_text(ui: Mapping[str, Any], key: str, lang: str) -> str | None:
    """A UI hint given as a string, or as {"de": ..., "en": ...}."""
    value = ui.get(key)
    if isinstance(value, Mapping):
        value = value.get(lang, value.get("de"))
    return value if isinstance(value, str) else None


def choice_title(spec: Spec, choice: Choice, lang: str) -> str:
    """Title of an enum option: per-option translation, the node's `enumTitles`, the option's title, its value."""
    own = localized(choice.title_node, "title", lang)
    titles = as_mapping(as_mapping(as_mapping(spec.node.get("x-translations")).get(lang)).get("enumTitles"))
    if spec.value_type == "enum-list" and not titles:
        items = as_mapping(spec.node.get("items"))
        titles = as_mapping(as_mapping(as_mapping(items.get("x-translations")).get(lang)).get("enumTitles"))
    translated = titles.get(choice.key)
    if isinstance(translated, str):
        return translated
    if own is not None:
        return own
    return choice.key
