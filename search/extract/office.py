"""DOCX and ODT: the text of the main document part (paragraphs, headings, table cells), read from the zip.

Both are zip archives of XML. Only the one part that holds the body is unpacked, and never more than
MAX_UNPACKED_BYTES of it: a small file that inflates to gigabytes (a zip bomb) is refused.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from search.extract.model import Extracted, ExtractionFailed, ExtractionLimits, clip
from search.extract.text import parse_xml

MAX_UNPACKED_BYTES = 50 * 1024 * 1024
CHUNK = 1024 * 1024
MAX_SPACES = 100  # an ODT <text:s text:c="…"/> asks for this many spaces at most

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE_BODY = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}body"


def _unpacked(path: Path, member: str, kind: str) -> bytes:
    """One member of the zip, unpacked with a cap on its size whatever the zip's header claims."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as source:
            data = bytearray()
            while chunk := source.read(CHUNK):
                data += chunk
                if len(data) > MAX_UNPACKED_BYTES:
                    raise ExtractionFailed(f"{kind} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB "
                                           f"of text markup (possibly a zip bomb); not extracted")
            return bytes(data)
    except KeyError as exc:
        raise ExtractionFailed(f"{kind} is damaged: it has no {member}") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, RuntimeError,
            NotImplementedError) as exc:
        raise ExtractionFailed(f"{kind} is damaged: {exc}") from exc


def _parsed(path: Path, member: str, kind: str) -> etree._Element:
    try:
        return parse_xml(_unpacked(path, member, kind))
    except etree.XMLSyntaxError as exc:
        raise ExtractionFailed(f"{kind} is damaged: {member}: {exc}") from exc


def _docx_text(root: etree._Element) -> str:
    """Runs of a paragraph are joined as they are (a word may be split over runs); paragraphs and table
    cells each start a new line."""
    parts: list[str] = []
    for element in root.iter(f"{W}p", f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
        if element.tag == f"{W}t":
            parts.append(element.text or "")
        elif element.tag == f"{W}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _spaces(element: etree._Element) -> str:
    count = element.get(f"{TEXT}c", "1")
    return " " * min(int(count), MAX_SPACES) if count.isdigit() else " "


def _hidden(tag: object) -> bool:
    """Templates of tables of contents and indexes (`text:…-source`) and deleted text in tracked changes."""
    if not isinstance(tag, str) or not tag.startswith(TEXT):
        return False
    return tag.endswith("-source") or tag == f"{TEXT}tracked-changes"


def _odt_text(root: etree._Element) -> str:
    """All character data of office:body; paragraphs and headings (also those in table cells) start a
    new line, <text:s/>, <text:tab/> and <text:line-break/> become the blank space they stand for."""
    body = root.find(OFFICE_BODY)
    if body is None:
        return ""
    special = {f"{TEXT}p": lambda _: "\n", f"{TEXT}h": lambda _: "\n", f"{TEXT}s": _spaces,
               f"{TEXT}tab": lambda _: "\t", f"{TEXT}line-break": lambda _: "\n"}
    parts: list[str] = []
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, element in walker:
        if event == "end":
            if element is not body:
                parts.append(element.tail or "")
        elif _hidden(element.tag):
            walker.skip_subtree()
        else:
            parts.append(special[element.tag](element) if element.tag in special else "")
            parts.append(element.text or "")
    return "".join(parts)


def extract_docx(path: Path, limits: ExtractionLimits) -> Extracted:
    return Extracted(clip(_docx_text(_parsed(path, "word/document.xml", "DOCX")), limits), "docx", None)


def extract_odt(path: Path, limits: ExtractionLimits) -> Extracted:
    return Extracted(clip(_odt_text(_parsed(path, "content.xml", "ODT")), limits), "odt", None)
