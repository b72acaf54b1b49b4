"""Compare two BPMN documents element by element (matched by id): what was added, removed or changed.

Pure: it takes the XML of both versions, reads it with the engine's hardened parser and touches nothing else.
Only the semantic model is compared (elements of the BPMN namespace that carry an id); the diagram layout
(BPMN DI) is ignored, so moving a shape is no change. For each element it compares its type, name, every
attribute (camunda:* included), its incoming and outgoing flows, condition, script, documentation, extension
elements (one entry per kind, e.g. camunda:inputOutput) and other content. Event definitions and loop
characteristics belong to the element that holds them, so a changed timer shows on its event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from engine.workflow.problems import ModelRejected
from engine.workflow.xmlsafe import XmlRejected, load_xml
from engine.workflow.xmlutil import ACTIVITI_NS, BPMN_NS, CAMUNDA_NS, SPIFF_NS

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PREFIXES = {CAMUNDA_NS: "camunda", SPIFF_NS: "spiffworkflow", XSI_NS: "xsi", ACTIVITI_NS: "activiti"}
LISTS = frozenset({"incoming", "outgoing", "flowNodeRef"})  # order carries no meaning
TEXTS = {"conditionExpression": "condition", "script": "script", "documentation": "documentation", "text": "text"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class FieldChange:
    """One compared aspect of an element: `field` is e.g. "name", "camunda:candidateGroups", "outgoing"."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: ChangeKind
    element_type: str  # BPMN local name of the newer element (the older one when removed), e.g. "userTask"
    name: str
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class ModelDiff:
    changes: tuple[ElementChange, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def of_kind(self, kind: ChangeKind) -> list[ElementChange]:
        return [change for change in self.changes if change.kind == kind]

    def markers(self, *kinds: ChangeKind) -> dict[str, str]:
        """Element id -> change kind, for the kinds asked for (a diagram marks those)."""
        return {change.element_id: change.kind for change in self.changes if change.kind in kinds}


@dataclass(frozen=True)
class _Snapshot:
    element_id: str
    element_type: str
    name: str
    values: dict[str, str]


def diff_models(before: bytes, after: bytes, *, before_name: str = "before.bpmn", after_name: str = "after.bpmn",
                max_bytes: int = DEFAULT_MAX_BYTES) -> ModelDiff:
    """Differences from `before` to `after`: changed and added elements in the newer document's order, then
    removed ones in the older document's order. Raises ModelRejected if either is not safe, well-formed XML."""
    old = _snapshots(_load(before_name, before, max_bytes))
    new = _snapshots(_load(after_name, after, max_bytes))
    changes: list[ElementChange] = []
    for element_id, now in new.items():
        was = old.get(element_id)
        if was is None:
            changes.append(ElementChange(element_id, "added", now.element_type, now.name))
            continue
        fields = _compare(was, now)
        if fields:
            changes.append(ElementChange(element_id, "changed", now.element_type, now.name or was.name, fields))
    for element_id, was in old.items():
        if element_id not in new:
            changes.append(ElementChange(element_id, "removed", was.element_type, was.name))
    return ModelDiff(tuple(changes))


def _load(name: str, content: bytes, max_bytes: int) -> etree._Element:
    try:
        return load_xml(name, content, max_bytes=max_bytes)
    except XmlRejected as exc:
        raise ModelRejected([exc.problem]) from None


def _compare(was: _Snapshot, now: _Snapshot) -> tuple[FieldChange, ...]:
    fields: list[FieldChange] = []
    if was.element_type != now.element_type:
        fields.append(FieldChange("type", was.element_type, now.element_type))
    if was.name != now.name:
        fields.append(FieldChange("name", was.name or None, now.name or None))
    for key in [*now.values, *(k for k in was.values if k not in now.values)]:
        before, after = was.values.get(key), now.values.get(key)
        if before != after:
            fields.append(FieldChange(key, before, after))
    return tuple(fields)


def _snapshots(root: etree._Element) -> dict[str, _Snapshot]:
    found: dict[str, _Snapshot] = {}
    for element in _model_elements(root):
        element_id = str(element.get("id"))
        if element_id not in found:  # duplicate ids are the validator's business; the first one counts
            found[element_id] = _snapshot(element)
    return found


def _model_elements(element: etree._Element) -> Iterator[etree._Element]:
    """BPMN elements with an id, outside DI, extension elements and the parts folded into their owner."""
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN_NS:
            continue
        local = etree.QName(child).localname
        if local == "extensionElements" or _folded(local) or local in TEXTS:
            continue
        if child.get("id"):
            yield child
        yield from _model_elements(child)


def _folded(local: str) -> bool:
    """Parts that describe their parent rather than stand on their own (timer, message, loop, condition)."""
    return local.endswith(("EventDefinition", "LoopCharacteristics")) or local == "conditionExpression"


def _snapshot(element: etree._Element) -> _Snapshot:
    values: dict[str, str] = {}
    for name, value in sorted(element.attrib.items()):
        qualified = _qualified(element, str(name))
        if qualified not in ("id", "name"):
            values[qualified] = str(value)
    grouped: dict[str, list[str]] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        local = qname.localname
        if qname.namespace == BPMN_NS and local == "extensionElements":
            for extension in child:
                if isinstance(extension.tag, str):
                    grouped.setdefault(_qualified(extension, extension.tag), []).append(_canonical(extension))
        elif qname.namespace == BPMN_NS and local in LISTS:
            grouped.setdefault(local, []).append((child.text or "").strip())
        elif qname.namespace == BPMN_NS and local in TEXTS:
            grouped.setdefault(TEXTS[local], []).append(_text_value(child))
        elif qname.namespace == BPMN_NS and child.get("id") and not _folded(local):
            continue  # an element of its own, compared by its id
        else:
            grouped.setdefault(_qualified(child, child.tag), []).append(_canonical(child))
    for key, items in grouped.items():
        values[key] = ", ".join(sorted(items)) if key in LISTS else "\n".join(items)
    return _Snapshot(str(element.get("id")), etree.QName(element).localname, (element.get("name") or "").strip(),
                     values)


def _text_value(element: etree._Element) -> str:
    """A script's or condition's text; its language (if any) in front, e.g. "[python] x > 1"."""
    text = "".join(element.itertext()).strip()
    language = element.get("language") or element.get("scriptFormat")
    return f"[{language}] {text}" if language else text


def _qualified(element: etree._Element, name: str) -> str:
    """`{ns}local` as prefix:local (well-known prefixes first); BPMN and unqualified names stay bare."""
    qname = etree.QName(name)
    if qname.namespace in (None, BPMN_NS):
        return qname.localname
    prefix = PREFIXES.get(qname.namespace) or next(
        (p for p, uri in element.nsmap.items() if uri == qname.namespace and p), None)
    return f"{prefix}:{qname.localname}" if prefix else f"{{{qname.namespace}}}{qname.localname}"


def _canonical(element: etree._Element) -> str:
    """A compact, prefix-independent rendering of an element for comparison and display (ids left out)."""
    tag = _qualified(element, element.tag)
    attributes = " ".join(f'{_qualified(element, str(k))}="{v}"' for k, v in sorted(element.attrib.items())
                          if _qualified(element, str(k)) != "id")
    head = f"{tag} {attributes}" if attributes else tag
    body = (element.text or "").strip() + "".join(
        _canonical(child) + (child.tail or "").strip() for child in element if isinstance(child.tag, str))
    return f"<{head}>{body}</{tag}>" if body else f"<{head}/>"
