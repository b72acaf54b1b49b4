"""State of one `parse_models` run: documents, references, checks and the Spiff build."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from engine.handlers import HandlerRegistry
from engine.workflow.camunda import decision_ref
from engine.workflow.dmn import DecisionInfo, prepare_dmn
from engine.workflow.model_types import ParsedProcess, Resolver, SourceFile, UserTaskMeta
from engine.workflow.problems import Problem, ProblemList
from engine.workflow.serializer import spec_bundle_to_json
from engine.workflow.sources import Document, load_document, load_form
from engine.workflow.spiffparser import AkteBpmnParser
from engine.workflow.usertasks import UserTaskReader, is_external_form_key
from engine.workflow.xmlutil import (
    BPMN_NS,
    SPIFF_NS,
    bpmn_elements,
    camunda_attr,
    process_properties,
    spiff_properties,
)

SEARCH_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _message_starts(spec: BpmnProcessSpec) -> tuple[str, ...]:
    """Names of the messages caught by the process's own (top-level) start events."""
    names = {
        task_spec.event_definition.name
        for task_spec in spec.task_specs.values()
        if isinstance(task_spec, StartEvent) and isinstance(task_spec.event_definition, MessageEventDefinition)
    }
    return tuple(sorted(names))


def _timer_starts(spec: BpmnProcessSpec) -> tuple[tuple[str, str], ...]:
    """(element id, expression) of the process's own start events with a timer."""
    return tuple(sorted(
        (str(task_spec.bpmn_id), str(task_spec.event_definition.expression))
        for task_spec in spec.task_specs.values()
        if isinstance(task_spec, StartEvent) and isinstance(task_spec.event_definition, TimerEventDefinition)
    ))


def _processes(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(f"{{{BPMN_NS}}}process"))


def _is_executable(process: etree._Element) -> bool:
    return process.get("isExecutable", "true") == "true"  # Spiff's reading: missing means executable


def _form_names(task: etree._Element) -> list[str]:
    props = spiff_properties(task)
    names = [
        props.get("formJsonSchemaFilename"),
        props.get("formUiSchemaFilename"),
        camunda_attr(task, "formKey"),
        camunda_attr(task, "formRef"),
    ]
    return [n for n in names if n and not is_external_form_key(n)]


def _lanes(root: etree._Element) -> dict[str, str]:
    lanes = {}
    for ref in root.iter(f"{{{BPMN_NS}}}flowNodeRef"):
        lane = ref.getparent()
        if ref.text and lane is not None:
            lanes[ref.text.strip()] = lane.get("name") or lane.get("id") or ""
    return lanes


def _lane_of(task: etree._Element, lanes: dict[str, str]) -> str | None:
    element: etree._Element | None = task
    while element is not None:
        if element.get("id") in lanes:
            return lanes[element.get("id", "")] or None
        element = element.getparent()
    return None


class Deployment:
    def __init__(self, *, max_bytes: int, handlers: HandlerRegistry, resolve: Resolver | None) -> None:
        self.max_bytes = max_bytes
        self.handlers = handlers
        self.resolve = resolve
        self.problems = ProblemList()
        self.documents: dict[str, Document] = {}
        self.forms: dict[str, tuple[SourceFile, dict[str, Any], bool]] = {}
        self.decisions: dict[str, DecisionInfo] = {}
        self.decision_docs: dict[str, list[DecisionInfo]] = {}
        self.process_docs: dict[str, Document] = {}
        self.user_tasks: dict[str, dict[str, UserTaskMeta]] = {}
        self.service_tasks: dict[str, dict[str, str]] = {}
        self.calls: dict[str, set[str]] = {}
        self.decision_refs: dict[str, set[str]] = {}
        self.form_refs: dict[str, set[str]] = {}
        self.search_fields: dict[str, tuple[str, ...]] = {}
        self._unresolvable: set[tuple[str, str]] = set()

    # -- registration
    def add_form(self, source: SourceFile, schema: dict[str, Any], *, uploaded: bool) -> None:
        self.forms[source.name] = (source, schema, uploaded)

    def add_dmn(self, document: Document, decisions: list[DecisionInfo]) -> None:
        self.documents[document.name] = document
        self.decision_docs[document.name] = decisions
        for decision in decisions:
            if decision.decision_id in self.decisions:
                self.problems.at(
                    document.name, decision.element, f"decision id {decision.decision_id} is defined twice"
                )
            else:
                self.decisions[decision.decision_id] = decision

    def add_bpmn(self, document: Document) -> None:
        self.documents[document.name] = document
        for process in _processes(document.root):
            pid = process.get("id", "")
            if pid in self.process_docs:
                self.problems.at(document.name, process, f"process id {pid} is defined twice")
            else:
                self.process_docs[pid] = document

    def bpmn_documents(self) -> list[Document]:
        return [d for d in self.documents.values() if d.name not in self.decision_docs]

    def uploaded_forms(self) -> dict[str, dict[str, Any]]:
        return {name: schema for name, (_, schema, uploaded) in self.forms.items() if uploaded}

    def require_executable_processes(self) -> None:
        for document in self.bpmn_documents():
            processes = _processes(document.root)
            if not any(_is_executable(p) for p in processes):
                anchor = processes[0] if processes else document.root
                self.problems.at(
                    document.name,
                    anchor,
                    'file has no executable process (isExecutable="true"); nothing to deploy',
                )

    # -- references to previously deployed files
    def _fetch(self, kind: str, name: str) -> SourceFile | None:
        if self.resolve is None or (kind, name) in self._unresolvable:
            return None
        source = self.resolve(kind, name)
        if source is None or source.name in self.documents or source.name in self.forms:
            self._unresolvable.add((kind, name))
            return None
        return source

    def resolve_references(self) -> None:
        changed = True
        while changed:
            changed = False
            for document in self.bpmn_documents():
                for call in bpmn_elements(document.root, "callActivity"):
                    changed |= self._resolve_process(call.get("calledElement") or "")
                for task in bpmn_elements(document.root, "businessRuleTask"):
                    changed |= self._resolve_decision(decision_ref(task) or "")

    def _resolve_process(self, pid: str) -> bool:
        if not pid or pid in self.process_docs:
            return False
        source = self._fetch("process", pid)
        document = source and load_document(source, "bpmn", self.max_bytes, self.problems, uploaded=False)
        if document:
            self.add_bpmn(document)
        return bool(document)

    def _resolve_decision(self, decision_id: str) -> bool:
        if not decision_id or decision_id in self.decisions:
            return False
        source = self._fetch("decision", decision_id)
        document = source and load_document(source, "dmn", self.max_bytes, self.problems, uploaded=False)
        if document:
            self.add_dmn(document, prepare_dmn(document.name, document.root, self.problems))
        return bool(document)

    def lookup_form(self, name: str) -> dict[str, Any] | None:
        if name not in self.forms:
            source = self._fetch("form", name)
            schema = load_form(source, self.max_bytes, self.problems) if source else None
            if source and schema is not None:
                self.add_form(source, schema, uploaded=False)
        found = self.forms.get(name)
        return found[1] if found else None

    # -- checks on the (camunda-mapped) documents
    def check_document(self, document: Document) -> None:
        reader = UserTaskReader(document.name, self.problems, self.lookup_form)
        lanes = _lanes(document.root)
        for process in _processes(document.root):
            pid = process.get("id", "")
            self.user_tasks[pid] = {
                task.get("id", ""): reader.read(task, _lane_of(task, lanes))
                for task in bpmn_elements(process, "userTask")
            }
            self.service_tasks[pid] = self._service_handlers(document, process)
            self.calls[pid] = self._called(document, process)
            self.decision_refs[pid] = self._decisions_used(document, process)
            self.form_refs[pid] = {n for t in bpmn_elements(process, "userTask") for n in _form_names(t)}
            self.search_fields[pid] = self._search_fields(document, process)
        for store in bpmn_elements(document.root, "dataStore", "dataStoreReference"):
            self.problems.at(document.name, store, "data stores are not supported")

    def _search_fields(self, document: Document, process: etree._Element) -> tuple[str, ...]:
        """`searchFields`: process variables whose values make a case findable (comma-separated names)."""
        raw = process_properties(process).get("searchFields", "")
        names = tuple(name.strip() for name in raw.split(",") if name.strip())
        for name in names:
            if not SEARCH_FIELD.fullmatch(name):
                self.problems.at(document.name, process, f"searchFields: {name!r} is not a variable name")
        return tuple(name for name in names if SEARCH_FIELD.fullmatch(name))

    def _service_handlers(self, document: Document, process: etree._Element) -> dict[str, str]:
        handlers = {}
        for task in bpmn_elements(process, "serviceTask"):
            operator = task.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}serviceTaskOperator")
            name = operator.get("id") if operator is not None else None
            if not name:
                self.problems.at(
                    document.name,
                    task,
                    "service task names no handler (spiffworkflow:"
                    'serviceTaskOperator, or camunda:type="external" with camunda:topic)',
                )
            elif not self.handlers.is_registered(name):
                self.problems.at(document.name, task, f"service task handler {name!r} is not registered")
            else:
                handlers[task.get("id", "")] = name
        return handlers

    def _called(self, document: Document, process: etree._Element) -> set[str]:
        called = set()
        for call in bpmn_elements(process, "callActivity"):
            pid = call.get("calledElement") or ""
            if pid not in self.process_docs:
                self.problems.at(document.name, call, f"called process {pid!r} is not deployed")
            called.add(pid)
        return called

    def _decisions_used(self, document: Document, process: etree._Element) -> set[str]:
        used = set()
        for task in bpmn_elements(process, "businessRuleTask"):
            ref = decision_ref(task)
            decision = self.decisions.get(ref or "")
            if decision is None:
                continue  # reported by the Spiff build (names the missing decision)
            used.add(decision.decision_id)
            for required in decision.required_decisions:
                self.problems.at(
                    document.name,
                    task,
                    f"decision {ref} requires decision {required}; akte "
                    "does not evaluate required decisions, their results must already be "
                    "process variables",
                    "warning",
                )
        return used

    # -- the Spiff build
    def _spiff_problem(self, exc: Exception, document: Document, fallback_id: str) -> Problem:
        if isinstance(exc, ValidationException):
            file = exc.file_name if exc.file_name in self.documents else document.name
            doc = self.documents[file]
            line = exc.line_number if isinstance(exc.line_number, int) and exc.line_number else None
            element_id = exc.id or doc.id_at_line(line) or fallback_id
            element_id = fallback_id if element_id == "-" else element_id
            message = str(exc.args[0]) if exc.args else str(exc)
            return Problem(file, line or doc.line_of(element_id), element_id, message)
        message = f"cannot be parsed: {type(exc).__name__}: {exc}"
        return Problem(document.name, document.line_of(fallback_id), fallback_id, message)

    def _add_spiff_problem(self, problem: Problem) -> None:
        if not any(
            (p.file, p.element_id) == (problem.file, problem.element_id) for p in self.problems.errors
        ):
            self.problems.extend([problem])

    def _feed(self, parser: AkteBpmnParser) -> set[str]:
        failed = set()
        for name, decisions in self.decision_docs.items():
            try:
                parser.add_decisions(name, self.documents[name].root, decisions)
            except Exception as exc:
                self._add_spiff_problem(self._spiff_problem(exc, self.documents[name], "-"))
        for document in self.bpmn_documents():
            if any(p.file == document.name and "data store" in p.message for p in self.problems.errors):
                failed.add(document.name)  # Spiff refuses the whole file without naming the element
                continue
            try:
                parser.add_bpmn_xml(document.root, filename=document.name)
            except Exception as exc:
                self._add_spiff_problem(self._spiff_problem(exc, document, "-"))
                failed.add(document.name)
        return failed

    def _deployable(self) -> Iterator[tuple[str, Document]]:
        for document in self.bpmn_documents():
            if document.uploaded:
                for process in _processes(document.root):
                    if _is_executable(process):
                        yield process.get("id", ""), document

    def build_processes(self) -> list[ParsedProcess]:
        parser = AkteBpmnParser()
        failed = self._feed(parser)
        specs: dict[str, tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]] = {}
        for pid, document in self._deployable():
            if document.name in failed:
                continue
            try:
                spec = parser.get_spec(pid)
                specs[pid] = (spec, parser.get_subprocess_specs(pid, require_call_activity_specs=False))
            except Exception as exc:
                self._add_spiff_problem(self._spiff_problem(exc, document, pid))
        if self.problems.errors:
            return []
        return [self._parsed(pid, self.process_docs[pid], *bundle) for pid, bundle in specs.items()]

    # -- results
    def _closure(self, pid: str) -> list[str]:
        seen, todo = [pid], [pid]
        while todo:
            for called in sorted(self.calls.get(todo.pop(), ())):
                if called not in seen:
                    seen.append(called)
                    todo.append(called)
        return seen

    def _dependencies(self, used: list[str]) -> dict[str, bytes]:
        deps: dict[str, bytes] = {}
        for pid in used:
            deps[self.process_docs[pid].name] = self.process_docs[pid].source.content
            for decision_id in self.decision_refs.get(pid, ()):
                deps[self.decisions[decision_id].file] = self.documents[
                    self.decisions[decision_id].file
                ].source.content
            for form in self.form_refs.get(pid, ()):
                if form in self.forms:
                    deps[form] = self.forms[form][0].content
        return deps

    def _parsed(
        self, pid: str, document: Document, spec: BpmnProcessSpec, subs: dict[str, BpmnProcessSpec]
    ) -> ParsedProcess:
        used = self._closure(pid)
        digest = hashlib.sha256(document.source.content)
        for name, content in sorted(self._dependencies(used).items()):
            if name != document.name:
                digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(content).digest())
        user_tasks: dict[str, UserTaskMeta] = {}
        service_tasks: dict[str, str] = {}
        for process_id in reversed(used):
            user_tasks.update(self.user_tasks.get(process_id, {}))
            service_tasks.update(self.service_tasks.get(process_id, {}))
        return ParsedProcess(
            key=pid,
            name=spec.description or pid,
            source_file=document.name,
            sha256=digest.hexdigest(),
            bpmn_xml=document.source.content,
            spec_json=spec_bundle_to_json(spec, subs),
            user_tasks=user_tasks,
            called_processes=tuple(used[1:]),
            service_tasks=service_tasks,
            message_starts=_message_starts(spec),
            timer_starts=_timer_starts(spec),
            search_fields=self.search_fields.get(pid, ()),
        )
