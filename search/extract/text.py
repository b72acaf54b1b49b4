"""Plain text, CSV, Markdown, JSON, XML and HTML: decoded as UTF-8; XML and HTML reduced to their text content."""

from __future__ import annotations

from pathlib import Path

import lxml.html
from lxml import etree

from search.extract.model import Extracted, ExtractionLimits, clip

# block elements end a line in html_text, so the words of two paragraphs do not run together
BLOCKS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre")
BYTES_PER_CHAR = 4  # UTF-8 needs at most 4 bytes for a character: never read more than the limit can keep


def safe_xml_parser() -> etree.XMLParser:
    """An XML parser that loads no DTDs or entities, touches no network and refuses oversized trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes) -> etree._Element:
    """The document parsed safely; references to entities a DTD declares are dropped, never expanded.
    Raises etree.XMLSyntaxError."""
    root = etree.fromstring(data, safe_xml_parser())
    for entity in list(root.iter(etree.Entity)):
        parent, before = entity.getparent(), entity.getprevious()
        if parent is None:
            continue
        if before is not None:
            before.tail = (before.tail or "") + (entity.tail or "")
        else:
            parent.text = (parent.text or "") + (entity.tail or "")
        parent.remove(entity)
    return root


def xml_text(data: bytes) -> str:
    """The text content of an XML document, one text node per line; raises etree.XMLSyntaxError."""
    return "\n".join(part.strip() for part in parse_xml(data).itertext() if part.strip())


def _read(path: Path, limits: ExtractionLimits) -> bytes:
    with path.open("rb") as source:
        return source.read(limits.max_chars * BYTES_PER_CHAR)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def extract_plain(path: Path, limits: ExtractionLimits) -> Extracted:
    return Extracted(clip(_decode(_read(path, limits)), limits), "text", None)


def extract_xml(path: Path, limits: ExtractionLimits) -> Extracted:
    """XML's text content; XML that does not parse (or was cut at the limit) is kept as raw text."""
    data = _read(path, limits)
    try:
        text = xml_text(data)
    except etree.XMLSyntaxError:
        text = _decode(data)
    return Extracted(clip(text, limits), "text", None)



def html_text(html: str) -> str:
    """The visible text of an HTML document; block elements end a line so words do not run together."""
    if not html.strip():
        return ""
    try:
        document = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    for hidden in list(document.iter("script", "style", "head")):
        hidden.drop_tree()
    for block in document.iter(*BLOCKS):
        block.tail = "\n" + (block.tail or "")
    return "\n".join(line.strip() for line in document.text_content().splitlines() if line.strip())


def extract_html(path: Path, limits: ExtractionLimits) -> Extracted:
    """The visible text of an HTML page, e.g. an e-invoice's readable rendering (see `html_text`)."""
    return Extracted(clip(html_text(_decode(_read(path, limits))), limits), "text", None)
