"""DMN files: every `<decision>` registered by id, FEEL cells translated to the Python Spiff evaluates.

Spiff's own DMN parser registers only the first decision of a file and evaluates cells as Python. Here
each decision table is checked, its FEEL cells are rewritten in place (the tree handed to Spiff, not the
stored file), and one `DecisionParser` per decision is registered with the BPMN parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import Decision

from engine.workflow.expressions import ExpressionError, feel_to_python
from engine.workflow.feel import unary_tests_to_python
from engine.workflow.problems import ProblemList
from engine.workflow.sandbox import check_source

DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)
# Spiff returns the first matching rule for UNIQUE (and for FIRST/ANY, which behave the same there)
# and all matches for COLLECT; other hit policies and COLLECT aggregations are refused.
SUPPORTED_HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "COLLECT")
_PLACEHOLDER = "dmninputexpr"


@dataclass(frozen=True)
class DecisionInfo:
    decision_id: str
    name: str
    file: str
    element: etree._Element
    required_decisions: tuple[str, ...]
    outputs: tuple[str, ...]
    hit_policy: str


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element, localname: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and _local(child) == localname]


def _text_node(element: etree._Element) -> etree._Element | None:
    found = _children(element, "text")
    return found[0] if found else None


class _DecisionTranslator:
    """Rewrites one decision table's cells; records a problem per cell it cannot translate."""

    def __init__(self, file: str, decision: etree._Element, problems: ProblemList) -> None:
        self.file = file
        self.decision_id = decision.get("id", "-")
        self.problems = problems

    def fail(self, element: etree._Element, what: str, message: str) -> None:
        self.problems.at(self.file, element, f"decision {self.decision_id}: {what}: {message}")

    def rewrite(
        self, element: etree._Element, what: str, translate: Callable[[str], str | None], mode_text: str
    ) -> None:
        node = _text_node(element)
        source = (node.text or "") if node is not None else ""
        python_cell = element.get("expressionLanguage", "").lower() == "python"
        try:
            result = (source.strip() or None) if python_cell else translate(source)
        except ExpressionError as exc:
            self.fail(element, what, f"unsupported FEEL {source.strip()!r}: {exc}")
            return
        if node is not None:
            node.text = result or ("-" if mode_text == "test" else None)
        if result:
            error = check_source(result.replace("?", _PLACEHOLDER) if mode_text == "test" else result, "eval")
            if error:
                self.fail(element, what, f"expression {result!r} rejected: {error}")

    def table(self, table: etree._Element) -> None:
        policy = table.get("hitPolicy", "UNIQUE").upper()
        if policy not in SUPPORTED_HIT_POLICIES:
            self.fail(
                table, "hitPolicy", f"{policy} is not supported (use {', '.join(SUPPORTED_HIT_POLICIES)})"
            )
        if table.get("aggregation"):
            self.fail(
                table, "aggregation", f"COLLECT aggregation {table.get('aggregation')} is not supported"
            )
        for clause in _children(table, "input"):
            for expression in _children(clause, "inputExpression"):
                self.rewrite(expression, f"input {clause.get('id', '-')}", _feel_expression, "expr")
        for row, rule in enumerate(_children(table, "rule"), start=1):
            label = f"rule {row} ({rule.get('id', '-')})"
            for entry in _children(rule, "inputEntry"):
                self.rewrite(entry, label, unary_tests_to_python, "test")
            for entry in _children(rule, "outputEntry"):
                self.rewrite(entry, label, _feel_expression, "expr")


def _feel_expression(text: str) -> str | None:
    stripped = text.strip()
    return feel_to_python(stripped) if stripped else None


def _required_decisions(decision: etree._Element) -> tuple[str, ...]:
    refs = []
    for requirement in _children(decision, "informationRequirement"):
        for required in _children(requirement, "requiredDecision"):
            refs.append(required.get("href", "").lstrip("#"))
    return tuple(dict.fromkeys(ref for ref in refs if ref))


def prepare_dmn(file: str, root: etree._Element, problems: ProblemList) -> list[DecisionInfo]:
    """Check and translate every decision of one DMN document; returns what can be registered."""
    decisions = [d for d in root.iter() if isinstance(d.tag, str) and _local(d) == "decision"]
    if not decisions:
        problems.at(file, root, "DMN file contains no <decision> (decision services are not supported)")
        return []
    result = []
    for decision in decisions:
        tables = _children(decision, "decisionTable")
        decision_id = decision.get("id")
        if not decision_id:
            problems.at(file, decision, "decision has no id")
            continue
        if len(tables) != 1:
            kind = "literal expressions and other decision logic" if not tables else "several tables"
            problems.at(
                file,
                decision,
                f"decision {decision_id}: only one decision table per decision is supported ({kind} are not)",
            )
            continue
        _DecisionTranslator(file, decision, problems).table(tables[0])
        outputs = tuple(o.get("name") or o.get("label") or "" for o in _children(tables[0], "output"))
        result.append(
            DecisionInfo(
                decision_id,
                decision.get("name") or decision_id,
                file,
                decision,
                _required_decisions(decision),
                outputs,
                tables[0].get("hitPolicy", "UNIQUE").upper(),
            )
        )
    return result


class DecisionParser(DMNParser):
    """Spiff's DMN parser narrowed to one `<decision>` element of a (possibly multi-decision) file."""

    def __init__(self, parser: object, decision: DecisionInfo, nsmap: dict[str, str]) -> None:
        super().__init__(parser, decision.element.getroottree().getroot(), nsmap, filename=decision.file)
        self.info = decision

    def parse(self) -> None:
        self.decision = self._parse_decision([self.info.element])

    @property
    def bpmn_id(self) -> str:
        return self.info.decision_id

    def get_name(self) -> str:
        return self.info.name


def parsed_decision(parser: DecisionParser) -> Decision:
    """Parse (once) and return the Spiff decision, converting errors to ValidationException."""
    if parser.decision is None:
        try:
            parser.parse()
        except ValidationException:
            raise
        except (KeyError, IndexError, AttributeError, ValueError) as exc:
            raise ValidationException(
                f"decision {parser.bpmn_id} cannot be read: {exc!r}",
                node=parser.info.element,
                file_name=parser.info.file,
            ) from exc
    return parser.decision
