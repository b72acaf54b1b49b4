"""Loading uploaded and previously deployed model files into checked documents."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine.workflow.dmn import DMN_NAMESPACES
from engine.workflow.model_types import SourceFile
from engine.workflow.problems import ProblemList, element_line, find_by_id, nearest_id
from engine.workflow.usertasks import reserved_fields
from engine.workflow.xmlsafe import XmlRejected, load_xml, require_root
from engine.workflow.xmlutil import BPMN_NS

KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "form", ".html": "template"}


@dataclass
class Document:
    source: SourceFile
    root: etree._Element
    uploaded: bool

    @property
    def name(self) -> str:
        return self.source.name

    def line_of(self, element_id: str) -> int | None:
        return element_line(find_by_id(self.root, element_id))

    def id_at_line(self, line: int | None) -> str:
        if line:
            for element in self.root.iter():
                if element.sourceline == line and isinstance(element.tag, str):
                    return nearest_id(element)
        return "-"


def kind_of(name: str) -> str | None:
    lowered = name.lower()
    return next((kind for suffix, kind in KINDS.items() if lowered.endswith(suffix)), None)


def load_document(
    source: SourceFile, kind: str, max_bytes: int, problems: ProblemList, uploaded: bool
) -> Document | None:
    """Parse a .bpmn/.dmn file safely and check its root element; None (with a problem) if unusable."""
    try:
        root = load_xml(source.name, source.content, max_bytes=max_bytes)
        if kind == "bpmn":
            require_root(source.name, root, (BPMN_NS,), "definitions")
        else:
            require_root(source.name, root, DMN_NAMESPACES, "definitions")
    except XmlRejected as exc:
        problems.extend([exc.problem])
        return None
    return Document(source, root, uploaded)


def load_form(source: SourceFile, max_bytes: int, problems: ProblemList) -> dict[str, Any] | None:
    """Parse a JSON form schema file; None (with a problem) if unusable."""
    name = source.name
    if len(source.content) > max_bytes:
        problems.add(name, None, "-", f"file is {len(source.content)} bytes, limit is {max_bytes}")
        return None
    try:
        schema = json.loads(source.content.decode("utf-8"))
    except UnicodeDecodeError:
        problems.add(name, None, "-", "form file is not UTF-8 text")
        return None
    except json.JSONDecodeError as exc:
        problems.add(name, exc.lineno, "-", f"form file is not valid JSON: {exc.msg}")
        return None
    if not isinstance(schema, dict):
        problems.add(name, 1, "-", "form file must contain a JSON object (a JSON schema)")
        return None
    for field in reserved_fields(schema):
        problems.add(name, None, "-", f"form field name {field!r} is reserved and cannot be stored")
    return schema


def check_template(source: SourceFile, max_bytes: int, problems: ProblemList) -> bool:
    """A letter template (`letters/*.html`, Jinja): UTF-8 text that Jinja can parse; False (with a problem) if not."""
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    name = source.name
    if len(source.content) > max_bytes:
        problems.add(name, None, "-", f"file is {len(source.content)} bytes, limit is {max_bytes}")
        return False
    try:
        text = source.content.decode("utf-8")
    except UnicodeDecodeError:
        problems.add(name, None, "-", "letter template is not UTF-8 text")
        return False
    try:
        SandboxedEnvironment(autoescape=True).parse(text)
    except TemplateSyntaxError as exc:
        problems.add(name, exc.lineno, "-", f"letter template is not valid Jinja: {exc.message}")
        return False
    return True
