"""Scripts, conditions and timer expressions of a BPMN document: translated where needed and checked.

Spiff evaluates all of them as Python. JUEL `${...}` conditions are translated (see `expressions`);
script tasks must be Python; every script and expression is compiled by the sandbox's `check_source`.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.workflow.expressions import ExpressionError, is_juel, juel_to_python
from engine.workflow.problems import ProblemList
from engine.workflow.sandbox import check_source
from engine.workflow.xmlutil import BPMN_NS, SPIFF_NS, bpmn_elements, camunda_attr, local

_PYTHON_FORMATS = frozenset({"python", "py", "text/x-python", "text/python", "application/x-python"})
_ISO_TIME = re.compile(
    r"^(R\d*/)?([0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9:]+)?)?|P(?!$)[0-9YMWD]*(T[0-9.HMS]+)?)"
    r"(/.*)?$"
)
_EXPRESSION_LANGUAGES = frozenset({"", "python", "http://www.w3.org/1999/xpath"})


class ScriptChecker:
    def __init__(self, file: str, root: etree._Element, problems: ProblemList) -> None:
        self.file = file
        self.root = root
        self.problems = problems

    def fail(self, element: etree._Element, message: str) -> None:
        self.problems.at(self.file, element, message)

    def check(self, element: etree._Element, source: str, mode: str, what: str) -> None:
        error = check_source(source, mode)
        if error:
            self.fail(element, f"{what} rejected: {error}")

    def run(self) -> None:
        for task in bpmn_elements(self.root, "scriptTask"):
            self.script_task(task)
        for node in self.root.iter(f"{{{SPIFF_NS}}}preScript", f"{{{SPIFF_NS}}}postScript"):
            if (node.text or "").strip():
                self.check(node, node.text or "", "exec", f"spiffworkflow:{local(node)}")
        for flow in bpmn_elements(self.root, "conditionExpression", "completionCondition", "loopCondition"):
            self.expression(flow, local(flow))
        for timer in bpmn_elements(self.root, "timeDate", "timeDuration", "timeCycle"):
            self.timer(timer)

    def script_task(self, task: etree._Element) -> None:
        script_format = (task.get("scriptFormat") or "python").strip().lower()
        if script_format not in _PYTHON_FORMATS:
            self.fail(
                task, f"scriptFormat {task.get('scriptFormat')!r} is not supported; scripts must be Python"
            )
            return
        if camunda_attr(task, "resource"):
            self.fail(task, "external script resources (camunda:resource) are not supported")
            return
        script = task.find(f"{{{BPMN_NS}}}script")
        source = script.text if script is not None else None
        if not (source or "").strip():
            self.fail(task, "script task has no script")
            return
        self.check(task, source or "", "exec", "script")

    def _translated(self, element: etree._Element, text: str, what: str) -> str | None:
        if not is_juel(text):
            return text.strip()
        try:
            python = juel_to_python(text)
        except ExpressionError as exc:
            self.fail(element, f"{what} {text.strip()!r} cannot be translated: {exc}")
            return None
        element.text = python
        return python

    def expression(self, element: etree._Element, what: str) -> None:
        language = (element.get("language") or "").strip().lower()
        if language not in _EXPRESSION_LANGUAGES and "juel" not in language:
            self.fail(element, f"{what} language {element.get('language')!r} is not supported")
            return
        if camunda_attr(element, "resource"):
            self.fail(element, f"{what} from an external resource is not supported")
            return
        python = self._translated(element, element.text or "", what)
        if python:
            self.check(element, python, "eval", what)
        elif python == "" and what != "conditionExpression":
            self.fail(element, f"{what} is empty")

    def timer(self, element: etree._Element) -> None:
        text = (element.text or "").strip()
        if not text:
            self.fail(element, f"timer {local(element)} has no expression")
            return
        if _ISO_TIME.match(text):
            element.text = repr(text)
            return
        python = self._translated(element, text, f"timer {local(element)}")
        if python:
            self.check(
                element, python, "eval", f"timer {local(element)} (a Python expression or ISO 8601 text)"
            )


def check_scripts(file: str, root: etree._Element, problems: ProblemList) -> None:
    """Translate JUEL and ISO timer literals in place and check every script and expression."""
    ScriptChecker(file, root, problems).run()
