"""Hardened XML loading for uploaded model files.

The size limit is checked before anything is parsed; the lxml parser never resolves entities, never
loads a DTD and never touches the network; any document that declares entities or points at an external
DTD is refused (XXE, "billion laughs"). Every failure becomes a `Problem`, never a traceback.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.workflow.problems import Problem

_ENTITY_DECLARATION = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)


class XmlRejected(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=False,
        remove_pis=True,
    )


def _reject(name: str, line: int | None, message: str) -> XmlRejected:
    return XmlRejected(Problem(name, line, "-", message))


def _line_of(content: bytes, match: re.Match[bytes]) -> int:
    return content.count(b"\n", 0, match.start()) + 1


def _check_raw(name: str, content: bytes, max_bytes: int) -> None:
    if len(content) > max_bytes:
        raise _reject(name, None, f"file is {len(content)} bytes, limit is {max_bytes}")
    if not content.strip():
        raise _reject(name, None, "file is empty")
    entity = _ENTITY_DECLARATION.search(content)
    if entity is not None:
        raise _reject(
            name,
            _line_of(content, entity),
            "DOCTYPE declares entities; entity declarations are not allowed (XXE / entity expansion)",
        )


def _check_doctype(name: str, tree: etree._ElementTree, content: bytes) -> None:
    docinfo = tree.docinfo
    dtd = docinfo.internalDTD
    doctype = _DOCTYPE.search(content)
    line = _line_of(content, doctype) if doctype else 1
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise _reject(name, line, "DOCTYPE declares entities; entity declarations are not allowed")
    if docinfo.system_url or docinfo.public_id:
        raise _reject(name, line, "DOCTYPE refers to an external DTD; external DTDs are not allowed")
    if dtd is not None or docinfo.doctype:
        raise _reject(name, line, "DOCTYPE declarations are not allowed in model files")


def load_xml(name: str, content: bytes, *, max_bytes: int) -> etree._Element:
    """Parse `content` safely and return its root element; raises XmlRejected with one Problem."""
    _check_raw(name, content, max_bytes)
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise _reject(name, line, f"not well-formed XML: {exc.msg}") from None
    except (ValueError, etree.LxmlError) as exc:
        raise _reject(name, None, f"cannot read XML: {exc}") from None
    if root is None:
        raise _reject(name, None, "file contains no XML element")
    _check_doctype(name, root.getroottree(), content)
    return root


def require_root(name: str, root: etree._Element, namespaces: tuple[str, ...], localname: str) -> None:
    """Refuse a document whose root is not `{ns}localname` for one of `namespaces`."""
    qname = etree.QName(root)
    if qname.localname != localname or qname.namespace not in namespaces:
        expected = " or ".join(f"{{{ns}}}{localname}" for ns in namespaces)
        raise _reject(name, root.sourceline, f"root element is {root.tag}, expected {expected}")
