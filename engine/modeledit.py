"""What the designer's modeler and version diff need: a version's source, the deployed forms to choose from,
saving an edited model as a new version, and the differences between two versions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork
from engine.context import EngineContext
from engine.deploy import DeployResult, deploy
from engine.instances import definition_version
from engine.modeldiff import ModelDiff, diff_models
from engine.models import DeploymentResource, ProcessDefinition
from engine.workflow.model_types import SourceFile
from engine.workflow.problems import ModelRejected, Problem
from engine.workflow.xmlsafe import XmlRejected, load_xml
from engine.workflow.xmlutil import BPMN_NS


@dataclass(frozen=True)
class VersionSource:
    key: str
    version: int
    name: str
    source_file: str
    bpmn_xml: bytes
    deployed_at: str
    deployed_by: str | None


def version_source(uow: UnitOfWork, key: str, version: int) -> VersionSource:
    """The deployed BPMN file of process `key` in `version`; NotFound if there is no such version."""
    row = definition_version(uow, key, version)
    return VersionSource(row.key, row.version, row.name, row.source_file, bytes(row.bpmn_xml),
                         row.deployed_at.isoformat(), row.deployed_by)


def version_numbers(uow: UnitOfWork, key: str) -> list[int]:
    """Every deployed version of process `key`, oldest first (empty if none)."""
    return list(uow.session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                                    .order_by(ProcessDefinition.version)))


def deployed_form_names(uow: UnitOfWork) -> list[str]:
    """File names of every JSON form deployed so far (a form key refers to one of these)."""
    names = uow.session.scalars(select(DeploymentResource.name).where(DeploymentResource.kind == "form").distinct())
    return sorted(set(names))


def save_edited_version(uow: UnitOfWork, ctx: EngineContext, key: str, source_file: str, xml: bytes, *,
                        deployed_by: str) -> DeployResult:
    """Validate the edited model of process `key` and deploy it (a new version if anything changed).

    The file keeps the name it was deployed under, so forms, decisions and templates of earlier deployments
    resolve as before. Raises ModelRejected (nothing stored) if the model is unsafe, invalid, or no longer
    defines process `key`.
    """
    try:
        root = load_xml(source_file, xml, max_bytes=ctx.max_model_bytes)
    except XmlRejected as exc:
        raise ModelRejected([exc.problem]) from None
    defined = {str(p.get("id")) for p in root.iter(f"{{{BPMN_NS}}}process")}
    if key not in defined:
        raise ModelRejected([Problem(source_file, None, "-", f"the model no longer defines process {key!r}; "
                                     "keep its id to save a new version")])
    return deploy(uow, ctx, [SourceFile(source_file, xml)], deployed_by=deployed_by)


def version_diff(uow: UnitOfWork, ctx: EngineContext, key: str, older: int, newer: int) -> ModelDiff:
    """Differences from version `older` to version `newer` of process `key`."""
    before = version_source(uow, key, older)
    after = version_source(uow, key, newer)
    return diff_models(before.bpmn_xml, after.bpmn_xml, before_name=f"{key} v{older}", after_name=f"{key} v{newer}",
                       max_bytes=max(ctx.max_model_bytes, len(before.bpmn_xml), len(after.bpmn_xml)))
