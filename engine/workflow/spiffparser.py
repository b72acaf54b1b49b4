"""akte's SpiffBpmnParser: validating, every DMN decision registered by id, clear reference errors."""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.workflow.dmn import DecisionInfo, DecisionParser, parsed_decision
from engine.workflow.servicetask import PARSER_OVERRIDES


@cache
def _dmn_validator(schema_path: str) -> BpmnValidator:
    return BpmnValidator(schema_path)


class AkteBpmnParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES, **PARSER_OVERRIDES}

    def __init__(self) -> None:
        super().__init__(validator=VALIDATOR)

    def add_decisions(self, file: str, root: etree._Element, decisions: list[DecisionInfo]) -> None:
        """Validate one DMN document against its schema and register each of its decisions."""
        namespaces: dict[str, Any] = dict(self.namespaces)
        namespaces.update({k: v for k, v in root.nsmap.items() if k is not None})
        if None in root.nsmap:
            namespaces["dmn"] = root.nsmap[None]
        schema = self.dmn_schemas.get(namespaces.get("dmn"))
        if schema is not None:
            _dmn_validator(schema).validate(root, file)
        for decision in decisions:
            if decision.decision_id in self.dmn_parsers:
                raise ValidationException(
                    f"decision id {decision.decision_id} is defined twice",
                    node=decision.element,
                    file_name=file,
                )
            parser = DecisionParser(self, decision, namespaces)
            self.dmn_parsers[decision.decision_id] = parser
            self.dmn_parsers_by_name[decision.name] = parser

    def get_engine(self, decision_ref: str | None, node: etree._Element) -> DMNEngine:
        if not decision_ref:
            raise ValidationException(
                "business rule task names no decision "
                "(spiffworkflow:calledDecisionId or camunda:decisionRef)",
                node=node,
            )
        if decision_ref not in self.dmn_parsers:
            raise ValidationException(f"decision {decision_ref!r} is not deployed", node=node)
        decision = parsed_decision(self.dmn_parsers[decision_ref])
        return DMNEngine(decision.decisionTables[0])
