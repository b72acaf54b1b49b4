"""Deploy-time parsing and validation of BPMN, DMN and JSON form files (`parse_models`).

The uploaded files are loaded safely (`xmlsafe`), Camunda extensions are mapped onto the Spiff dialect
(`camunda`), scripts and conditions are translated and checked (`scripts`), DMN decisions are registered
one by one (`dmn`), references to decisions, called processes, forms and service-task handlers are
resolved (uploaded files first, then the deployed ones via `resolve`), and finally SpiffWorkflow builds
the specs. Every problem found on the way is collected; if any is an error, `ModelRejected` lists them
all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.handlers import HandlerRegistry
from engine.workflow.camunda import apply_camunda
from engine.workflow.deployment import Deployment
from engine.workflow.dmn import prepare_dmn
from engine.workflow.lint import lint_models
from engine.workflow.model_types import ParsedProcess, ParseResult, Resolver, SourceFile, UserTaskMeta
from engine.workflow.problems import ModelRejected, Problem
from engine.workflow.scripts import check_scripts
from engine.workflow.sources import check_template, kind_of, load_document, load_form

__all__ = [
    "ModelRejected",
    "ParseResult",
    "ParsedProcess",
    "Problem",
    "Resolver",
    "SourceFile",
    "UserTaskMeta",
    "parse_models",
]


def _load_uploads(deployment: Deployment, files: Sequence[SourceFile]) -> None:
    seen: set[str] = set()
    for source in files:
        problems = deployment.problems
        if source.name in seen:
            problems.add(source.name, None, "-", "file name given twice")
            continue
        seen.add(source.name)
        kind = kind_of(source.name)
        if kind is None:
            problems.add(source.name, None, "-", "unsupported file type (expected .bpmn, .dmn, .json or .html)")
        elif kind == "template":
            check_template(source, deployment.max_bytes, problems)
        elif kind == "form":
            schema = load_form(source, deployment.max_bytes, problems)
            if schema is not None:
                deployment.add_form(source, schema, uploaded=True)
        else:
            document = load_document(source, kind, deployment.max_bytes, problems, uploaded=True)
            if document is not None and kind == "dmn":
                deployment.add_dmn(document, prepare_dmn(source.name, document.root, problems))
            elif document is not None:
                deployment.add_bpmn(document)


def parse_models(
    files: Sequence[SourceFile],
    *,
    max_bytes: int,
    handlers: HandlerRegistry,
    resolve: Resolver | None = None,
) -> ParseResult:
    """Parse and validate model files; raises ModelRejected listing every problem found."""
    deployment = Deployment(max_bytes=max_bytes, handlers=handlers, resolve=resolve)
    _load_uploads(deployment, files)
    deployment.require_executable_processes()
    deployment.resolve_references()
    for document in deployment.bpmn_documents():
        apply_camunda(document.name, document.root, deployment.decisions, deployment.problems)
        check_scripts(document.name, document.root, deployment.problems)
        deployment.check_document(document)
    lint_models(deployment.bpmn_documents(), deployment.user_tasks, deployment.problems)
    processes = deployment.build_processes()
    deployment.problems.raise_if_errors()
    forms: dict[str, dict[str, Any]] = deployment.uploaded_forms()
    return ParseResult(processes=processes, forms=forms, warnings=deployment.problems.warnings)
