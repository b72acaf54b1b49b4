"""Dotted field paths (`persons.0.name`) and the HTML ids derived from them (`f-persons-0-name`).

Ids: segments are joined with "-"; inside a segment every character outside [A-Za-z0-9] is escaped (`_` as
`__`, others as `_<hex>_`), so two different paths never share an id, and an id never contains "--".
Ids of parts of a field (help text, error, options) append `--help`, `--error`, `--<n>`: they cannot clash
with another field's id either.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, MutableSequence
from typing import Any

DEFAULT_ID_PREFIX = "f"


def join(path: str, segment: str | int) -> str:
    return f"{path}.{segment}" if path else str(segment)


def _escape(segment: str) -> str:
    out: list[str] = []
    for char in segment:
        if char.isascii() and char.isalnum():
            out.append(char)
        elif char == "_":
            out.append("__")
        else:
            out.append(f"_{ord(char):x}_")
    return "".join(out)


def field_id(path: str, prefix: str = DEFAULT_ID_PREFIX) -> str:
    """`persons.0.name` → `f-persons-0-name`; `e-mail` → `f-e_2d_mail`."""
    return "-".join([_escape(prefix) or DEFAULT_ID_PREFIX, *(_escape(part) for part in path.split("."))])


def set_path(target: MutableMapping[str, Any], path: str, value: Any) -> None:
    """Put `value` at a dotted path into nested dicts/lists that already exist up to its parent
    (e.g. a document id into `Submission.data` at the path of its upload)."""
    parts = path.split(".")
    container: Any = target
    for part in parts[:-1]:
        container = _child(container, part)
        if container is None:
            raise KeyError(path)
    last = parts[-1]
    if isinstance(container, MutableMapping):
        container[last] = value
    elif isinstance(container, MutableSequence) and last.isdigit() and int(last) < len(container):
        container[int(last)] = value
    else:
        raise KeyError(path)


def get_path(source: Any, path: str) -> Any:
    """The value at a dotted path, or None."""
    current = source
    for part in path.split(".") if path else []:
        current = _child(current, part)
        if current is None:
            return None
    return current


def _child(container: Any, part: str) -> Any:
    if isinstance(container, Mapping):
        return container.get(part)
    if isinstance(container, list) and part.isdigit() and int(part) < len(container):
        return container[int(part)]
    return None
