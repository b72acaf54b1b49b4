"""The procedure catalogue for designers: every process key with its versions, their running instances, the DMN
decisions and forms each version uses, and one version in detail (model, decision tables, user tasks, forms).

A version's decisions are the ones its business-rule tasks call, as deployed at that time: the DMN resource
defining the decision in the version's deployment or, if unchanged, the latest earlier one (the deployment
chain). Its forms are the ones its user tasks show, copied into the version at deployment (`user_tasks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select

from core.db import UnitOfWork
from core.errors import NotFound
from engine.instances import definition_version
from engine.models import DeploymentResource, ProcessDefinition, ProcessInstance
from engine.workflow.camunda_rules import decision_ref
from engine.workflow.lint import FLOW_NODES
from engine.workflow.xmlsafe import XmlRejected, load_xml
from engine.workflow.xmlutil import BPMN_NS, local

RUNNING_STATES = ("running", "suspended")  # not ended: what a migration would have to move
MAX_XML_BYTES = 64 * 1024 * 1024  # stored models passed the deploy limit; this only bounds re-reading them
_CACHE_LIMIT = 4096
_refs_by_sha: dict[str, tuple[str, ...]] = {}  # "key:sha256" of a version → decision ids its process calls
_names_by_sha: dict[str, dict[str, str]] = {}  # DMN resource sha256 → {decision id: name}


@dataclass(frozen=True)
class DecisionRef:
    decision_id: str
    name: str
    file: str


@dataclass(frozen=True)
class FormRef:
    element_id: str  # the user task showing the form
    task_name: str
    form_key: str | None  # the deployed JSON file; None for a form generated from camunda:formData
    has_schema: bool


@dataclass(frozen=True)
class VersionEntry:
    id: int
    key: str
    version: int
    name: str
    sha256: str
    source_file: str
    deployed_at: datetime
    deployed_by: str | None
    running: int
    decisions: list[DecisionRef]
    forms: list[FormRef]  # one per user task with a form

    @property
    def distinct_forms(self) -> list[FormRef]:
        """One entry per form file (the first task showing it); generated forms one per task."""
        seen: dict[str, FormRef] = {}
        for form in self.forms:
            seen.setdefault(form.form_key or f"#{form.element_id}", form)
        return list(seen.values())


@dataclass(frozen=True)
class ProcessEntry:
    key: str
    name: str  # the latest version's
    versions: list[VersionEntry]  # newest first

    @property
    def running(self) -> int:
        return sum(version.running for version in self.versions)


@dataclass(frozen=True)
class DecisionRule:
    inputs: list[str]
    outputs: list[str]
    description: str


@dataclass(frozen=True)
class DecisionTable:
    decision_id: str
    name: str
    file: str
    hit_policy: str
    inputs: list[str]
    outputs: list[str]
    rules: list[DecisionRule] = field(default_factory=list)


@dataclass(frozen=True)
class ModelElement:
    """One flow node of the version's process: the diagram as a table."""

    element_id: str
    kind: str  # BPMN local name, e.g. userTask
    name: str
    groups: str = ""
    due: str = ""
    form_key: str = ""


@dataclass(frozen=True)
class VersionDetail:
    entry: VersionEntry
    versions: list[int]  # every version of the key, newest first
    elements: list[ModelElement]
    decision_tables: list[DecisionTable]


@dataclass(frozen=True)
class FormPreview:
    key: str
    version: int
    element_id: str
    task_name: str
    form_key: str | None
    schema: dict[str, Any]
    ui_schema: dict[str, Any] | None


def catalogue(uow: UnitOfWork, *, search: str | None = None) -> list[ProcessEntry]:
    """Every process key (optionally only those whose key or name contains `search`) with its versions."""
    query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    if search and search.strip():
        needle = search.strip().lower()
        query = query.where(func.lower(ProcessDefinition.key).contains(needle, autoescape=True)
                            | func.lower(ProcessDefinition.name).contains(needle, autoescape=True))
    rows = list(uow.session.scalars(query))
    entries = _entries(uow, rows)
    grouped: dict[str, list[VersionEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.key, []).append(entry)
    return [ProcessEntry(key, versions[0].name, versions) for key, versions in grouped.items()]


def version_detail(uow: UnitOfWork, key: str, version: int) -> VersionDetail:
    row = definition_version(uow, key, version)
    [entry] = _entries(uow, [row])
    versions = list(uow.session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                                        .order_by(ProcessDefinition.version.desc())))
    root = _load(row.source_file, bytes(row.bpmn_xml))
    process = _process(root, key) if root is not None else None
    elements = _elements(process, row.user_tasks or {}) if process is not None else []
    return VersionDetail(entry, versions, elements, _decision_tables(uow, row.deployment_id, entry.decisions))


def version_form(uow: UnitOfWork, key: str, version: int, element_id: str) -> FormPreview:
    """The form user task `element_id` of the version shows caseworkers (schema and UI schema as deployed)."""
    row = definition_version(uow, key, version)
    meta = (row.user_tasks or {}).get(element_id)
    if not isinstance(meta, dict) or not isinstance(meta.get("form_schema"), dict):
        raise NotFound(f"user task {element_id} of {key} version {version} has no form")
    ui_schema = meta.get("form_ui_schema")
    return FormPreview(key, version, element_id, str(meta.get("name") or element_id), meta.get("form_key"),
                       dict(meta["form_schema"]), dict(ui_schema) if isinstance(ui_schema, dict) else None)


def _running_counts(uow: UnitOfWork, definition_ids: Sequence[int]) -> dict[int, int]:
    if not definition_ids:
        return {}
    rows = uow.session.execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.status.in_(RUNNING_STATES), ProcessInstance.definition_id.in_(definition_ids))
        .group_by(ProcessInstance.definition_id)
    ).all()
    return {int(definition_id): int(count) for definition_id, count in rows}


def _entries(uow: UnitOfWork, rows: Sequence[ProcessDefinition]) -> list[VersionEntry]:
    running = _running_counts(uow, [row.id for row in rows])
    refs = _decision_refs(uow, rows)
    chain = _DecisionChain(uow)
    return [
        VersionEntry(row.id, row.key, row.version, row.name, row.sha256, row.source_file, row.deployed_at,
                     row.deployed_by, running.get(row.id, 0),
                     chain.resolve(refs.get(row.id, ()), row.deployment_id), _forms(row.user_tasks or {}))
        for row in rows
    ]


def _forms(user_tasks: dict[str, Any]) -> list[FormRef]:
    forms = []
    for element_id, meta in user_tasks.items():
        if isinstance(meta, dict) and (meta.get("form_key") or meta.get("form_schema")):
            forms.append(FormRef(element_id, str(meta.get("name") or element_id), meta.get("form_key"),
                                 isinstance(meta.get("form_schema"), dict)))
    return forms


def _remember(cache: dict[str, Any], key: str, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _load(name: str, content: bytes) -> etree._Element | None:
    try:
        return load_xml(name, content, max_bytes=MAX_XML_BYTES)
    except XmlRejected:
        return None


def _process(root: etree._Element, key: str) -> etree._Element | None:
    return next((p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == key), None)


def _decision_refs(uow: UnitOfWork, rows: Sequence[ProcessDefinition]) -> dict[int, tuple[str, ...]]:
    """definition id → decision ids called by business-rule tasks of the version's own process (cached by key and
    sha256: a version's content never changes)."""
    found = {row.id: _refs_by_sha.get(f"{row.key}:{row.sha256}") for row in rows}
    missing = [definition_id for definition_id, refs in found.items() if refs is None]
    if missing:
        query = select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.sha256,
                       ProcessDefinition.source_file, ProcessDefinition.bpmn_xml).where(
                           ProcessDefinition.id.in_(missing))
        for definition_id, key, sha256, source_file, xml in uow.session.execute(query):
            root = _load(source_file, bytes(xml))
            process = _process(root, key) if root is not None else None
            tasks = process.iter(f"{{{BPMN_NS}}}businessRuleTask") if process is not None else ()
            refs = tuple(dict.fromkeys(ref for task in tasks if (ref := decision_ref(task))))
            _remember(_refs_by_sha, f"{key}:{sha256}", refs)
            found[definition_id] = refs
    return {definition_id: refs or () for definition_id, refs in found.items()}


class _DecisionChain:
    """Finds the DMN resource that defined a decision for a deployment (itself or the latest earlier one)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._rows: list[tuple[int, int, str, str, list[str]]] | None = None

    def rows(self) -> list[tuple[int, int, str, str, list[str]]]:
        if self._rows is None:
            query = (select(DeploymentResource.id, DeploymentResource.deployment_id, DeploymentResource.name,
                            DeploymentResource.sha256, DeploymentResource.defines)
                     .where(DeploymentResource.kind == "dmn")
                     .order_by(DeploymentResource.deployment_id.desc(), DeploymentResource.id.desc()))
            self._rows = [(int(r[0]), int(r[1]), str(r[2]), str(r[3]), list(r[4] or [])) for r in
                          self._uow.session.execute(query)]
        return self._rows

    def find(self, decision_id: str, deployment_id: int) -> tuple[int, str, str] | None:
        """(resource id, file name, sha256) of the DMN file defining `decision_id` for `deployment_id`."""
        for resource_id, deployed_in, name, sha256, defines in self.rows():
            if deployed_in <= deployment_id and decision_id in defines:
                return resource_id, name, sha256
        return None

    def resolve(self, refs: Iterable[str], deployment_id: int) -> list[DecisionRef]:
        found = []
        for decision_id in refs:
            hit = self.find(decision_id, deployment_id)
            if hit is None:
                found.append(DecisionRef(decision_id, decision_id, ""))
                continue
            resource_id, name, sha256 = hit
            names = self._names(resource_id, name, sha256)
            found.append(DecisionRef(decision_id, names.get(decision_id) or decision_id, name))
        return found

    def _names(self, resource_id: int, name: str, sha256: str) -> dict[str, str]:
        names = _names_by_sha.get(sha256)
        if names is None:
            root = _load(name, self.content(resource_id))
            names = {str(d.get("id")): " ".join((d.get("name") or "").split())
                     for d in (root.iter("{*}decision") if root is not None else ()) if d.get("id")}
            _remember(_names_by_sha, sha256, names)
        return names

    def content(self, resource_id: int) -> bytes:
        content = self._uow.session.scalar(select(DeploymentResource.content)
                                           .where(DeploymentResource.id == resource_id))
        return bytes(content or b"")


def _decision_tables(uow: UnitOfWork, deployment_id: int, decisions: Sequence[DecisionRef]) -> list[DecisionTable]:
    chain = _DecisionChain(uow)
    tables = []
    for decision in decisions:
        hit = chain.find(decision.decision_id, deployment_id)
        root = _load(hit[1], chain.content(hit[0])) if hit else None
        element = next((d for d in root.iter("{*}decision") if d.get("id") == decision.decision_id), None) \
            if root is not None else None
        if element is not None:
            tables.append(_table(decision, element))
    return tables


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and local(child) == name]


def _text(element: etree._Element) -> str:
    texts = _children(element, "text")
    return " ".join((texts[0].text or "").split()) if texts else ""


def _table(decision: DecisionRef, element: etree._Element) -> DecisionTable:
    tables = _children(element, "decisionTable")
    if not tables:
        return DecisionTable(decision.decision_id, decision.name, decision.file, "", [], [])
    table = tables[0]
    inputs = []
    for column in _children(table, "input"):
        expression = next(iter(_children(column, "inputExpression")), None)
        source = _text(expression) if expression is not None else ""
        label = (column.get("label") or "").strip()
        inputs.append(f"{label} ({source})" if label and source and label != source else label or source)
    outputs = [(column.get("label") or column.get("name") or "").strip()
               + (f" ({column.get('name')})" if column.get("label") and column.get("name") else "")
               for column in _children(table, "output")]
    rules = [DecisionRule([_text(entry) for entry in _children(rule, "inputEntry")],
                          [_text(entry) for entry in _children(rule, "outputEntry")],
                          " ".join(" ".join(d.text.split()) for d in _children(rule, "description") if d.text))
             for rule in _children(table, "rule")]
    return DecisionTable(decision.decision_id, decision.name, decision.file, table.get("hitPolicy") or "UNIQUE",
                         inputs, outputs, rules)


def _elements(process: etree._Element, user_tasks: dict[str, Any]) -> list[ModelElement]:
    elements = []
    for node in process.iter():
        if not isinstance(node.tag, str) or local(node) not in FLOW_NODES or not node.get("id"):
            continue
        meta = user_tasks.get(str(node.get("id")))
        name = " ".join((node.get("name") or "").split())
        if isinstance(meta, dict):
            groups = ", ".join([*(meta.get("candidate_groups") or []),
                                *([f"→ {meta['assignee']}"] if meta.get("assignee") else [])])
            elements.append(ModelElement(str(node.get("id")), local(node), name, groups, meta.get("due_date") or "",
                                         meta.get("form_key") or ""))
        else:
            elements.append(ModelElement(str(node.get("id")), local(node), name))
    return elements
