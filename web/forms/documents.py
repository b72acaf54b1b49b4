"""Which values of submitted task data are document ids (file fields), so the route can check them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from web.forms.paths import join
from web.forms.schema import DOCUMENT_FORMAT, MAX_DEPTH, as_mapping, resolve


def document_values(schema: Mapping[str, Any] | None, data: Any) -> Iterator[tuple[str, str]]:
    """(dotted path, value) of every file field in `data` that holds a value."""
    root = as_mapping(schema)
    yield from _walk(root, root, data, "", 0)


def _walk(node: Any, root: Mapping[str, Any], value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_DEPTH:
        return
    spec = resolve(node, root)
    if spec.get("format") == DOCUMENT_FORMAT and isinstance(value, str) and value:
        yield path, value
    elif isinstance(value, Mapping):
        for name, child in as_mapping(spec.get("properties")).items():
            if name in value:
                yield from _walk(child, root, value[name], join(path, name), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(spec.get("items"), root, item, join(path, index), depth + 1)
