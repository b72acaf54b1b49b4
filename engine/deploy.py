"""Deployment: parse and validate model files, store a new version of each changed process."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from core.db import UnitOfWork
from core.errors import Conflict
from engine.context import EngineContext
from engine.models import Deployment, DeploymentResource, ProcessDefinition
from engine.starts import schedule_start_timers
from engine.views import DefinitionView
from engine.workflow.parsing import ParseResult, SourceFile, parse_models
from engine.workflow.problems import Problem
from engine.workflow.xmlsafe import XmlRejected, load_xml


@dataclass(frozen=True)
class DeployedProcess:
    key: str
    version: int
    definition_id: int
    sha256: str
    new_version: bool


@dataclass(frozen=True)
class DeployResult:
    deployment_id: int | None
    processes: list[DeployedProcess]
    warnings: list[Problem] = field(default_factory=list)


def resource_kind(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith((".bpmn", ".bpmn20.xml", ".bpmn2")):
        return "bpmn"
    if lowered.endswith(".dmn"):
        return "dmn"
    if lowered.endswith(".html"):
        return "template"  # a letter template (Jinja), fetched by `akte.letter` through engine.resources
    return "form"


def read_source_files(paths: Sequence[str | Path], max_bytes: int) -> list[SourceFile]:
    """Read files for deployment, refusing oversized ones before reading them whole."""
    from core.errors import NotFound
    from engine.workflow.problems import ModelRejected

    files: list[SourceFile] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise NotFound(f"{path}: no such file")
        size = path.stat().st_size
        if size > max_bytes:
            problems.append(Problem(path.name, None, "-", f"file is {size} bytes, the limit is {max_bytes}"))
            continue
        files.append(SourceFile(path.name, path.read_bytes()))
    if problems:
        raise ModelRejected(problems)
    return files


class _Resolver:
    """Finds earlier deployed processes, decisions and forms that new models refer to.

    Forms and decisions are found by name, and two procedures may well both have an `antrag.json`: the ones
    deployed together with an earlier version of the same process (`keys`) come first, then any."""

    def __init__(self, uow: UnitOfWork, keys: Collection[str] = ()) -> None:
        self._session = uow.session
        self._own = (select(ProcessDefinition.deployment_id).where(ProcessDefinition.key.in_(list(keys)))
                     if keys else None)

    def _candidates(self, condition: ColumnElement[bool]) -> Iterator[DeploymentResource]:
        query = select(DeploymentResource).where(condition).order_by(DeploymentResource.id.desc())
        if self._own is not None:
            yield from self._session.scalars(query.where(DeploymentResource.deployment_id.in_(self._own)))
        yield from self._session.scalars(query)

    def __call__(self, kind: str, name: str) -> SourceFile | None:
        if kind == "process":
            definition = self._session.scalars(
                select(ProcessDefinition).where(ProcessDefinition.key == name)
                .order_by(ProcessDefinition.version.desc())
            ).first()
            return SourceFile(definition.source_file, definition.bpmn_xml) if definition else None
        if kind == "form":
            condition = and_(DeploymentResource.kind == "form", DeploymentResource.name == name)
            row = next(self._candidates(condition), None)
            return SourceFile(row.name, row.content) if row else None
        for row in self._candidates(DeploymentResource.kind == "dmn"):
            if name in row.defines:
                return SourceFile(row.name, row.content)
        return None


def _process_ids(files: Sequence[SourceFile], max_bytes: int) -> list[str]:
    """The ids of the processes the uploaded BPMN files define (unreadable files are parse_models' to report)."""
    ids: list[str] = []
    for source in files:
        if resource_kind(source.name) != "bpmn":
            continue
        try:
            root = load_xml(source.name, source.content, max_bytes=max_bytes)
        except XmlRejected:
            continue
        ids += [str(el.get("id")) for el in root.iter("{*}process") if el.get("id")]
    return ids


def deploy(
    uow: UnitOfWork, ctx: EngineContext, files: Sequence[SourceFile], *, deployed_by: str | None = None
) -> DeployResult:
    """Validate all files together; store a new version of every process whose content changed.

    Raises ModelRejected (nothing stored) listing every problem as file, line, element and message.
    """
    resolver = _Resolver(uow, _process_ids(files, ctx.max_model_bytes))
    parsed = parse_models(files, max_bytes=ctx.max_model_bytes, handlers=ctx.handlers, resolve=resolver)
    now = ctx.clock.now()
    deployment = Deployment(created_at=now, deployed_by=deployed_by)
    new_resources = _new_resources(uow, files, parsed, ctx.max_model_bytes)
    results: list[DeployedProcess] = []
    pending: list[ProcessDefinition] = []
    for process in parsed.processes:
        latest = uow.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == process.key)
            .order_by(ProcessDefinition.version.desc())
        ).first()
        if latest is not None and latest.sha256 == process.sha256:
            results.append(DeployedProcess(process.key, latest.version, latest.id, latest.sha256, False))
            continue
        definition = ProcessDefinition(
            key=process.key, version=(latest.version + 1) if latest else 1, name=process.name,
            sha256=process.sha256, source_file=process.source_file, bpmn_xml=process.bpmn_xml,
            spec_json=process.spec_json,
            user_tasks={element: asdict(meta) for element, meta in process.user_tasks.items()},
            service_tasks=dict(process.service_tasks), message_starts=list(process.message_starts),
            timer_starts=[list(start) for start in process.timer_starts], search_fields=list(process.search_fields),
            deployed_at=now, deployed_by=deployed_by,
        )
        pending.append(definition)
    if not pending and not new_resources:
        return DeployResult(None, results, parsed.warnings)
    uow.session.add(deployment)
    uow.flush()
    for resource in new_resources:
        resource.deployment_id = deployment.id
        uow.session.add(resource)
    for definition in pending:
        definition.deployment_id = deployment.id
        uow.session.add(definition)
    try:
        uow.flush()
    except IntegrityError as exc:
        raise Conflict("another deployment of the same process happened at the same time; retry") from exc
    for definition in pending:
        schedule_start_timers(uow, ctx, definition)
    results.extend(DeployedProcess(d.key, d.version, d.id, d.sha256, True) for d in pending)
    results.sort(key=lambda r: r.key)
    return DeployResult(deployment.id, results, parsed.warnings)


def _decision_ids(source: SourceFile, max_bytes: int) -> list[str]:
    root = load_xml(source.name, source.content, max_bytes=max_bytes)
    return [str(el.get("id")) for el in root.iter("{*}decision") if el.get("id")]


def _new_resources(
    uow: UnitOfWork, files: Sequence[SourceFile], parsed: ParseResult, max_bytes: int
) -> list[DeploymentResource]:
    resources = []
    for source in files:
        digest = hashlib.sha256(source.content).hexdigest()
        kind = resource_kind(source.name)
        latest = uow.session.scalars(
            select(DeploymentResource).where(DeploymentResource.kind == kind, DeploymentResource.name == source.name)
            .order_by(DeploymentResource.id.desc())
        ).first()
        if latest is not None and latest.sha256 == digest:
            continue
        if kind == "bpmn":
            defines = [p.key for p in parsed.processes if p.source_file == source.name]
        elif kind == "dmn":
            defines = _decision_ids(source, max_bytes)
        else:
            defines = []
        resources.append(DeploymentResource(name=source.name, kind=kind, sha256=digest, content=source.content,
                                            defines=defines))
    return resources


def list_definitions(uow: UnitOfWork, *, key: str | None = None) -> list[DefinitionView]:
    query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
    if key is not None:
        query = query.where(ProcessDefinition.key == key)
    return [DefinitionView.of(row) for row in uow.session.scalars(query)]


def procedures(uow: UnitOfWork) -> list[tuple[str, str, list[str]]]:
    """(key, name, searchable case fields) of every deployed process, latest version's name and fields."""
    rows = uow.session.execute(select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.search_fields)
                               .order_by(ProcessDefinition.key, ProcessDefinition.version)).all()
    latest = {key: (name, list(fields or [])) for key, name, fields in rows}
    return [(key, name, fields) for key, (name, fields) in latest.items()]
