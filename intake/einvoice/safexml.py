"""Layer 1: safe, well-formed XML.

The size limit is checked before anything is parsed. The lxml parser never resolves entities, never loads a
DTD and never touches the network; an invoice has no use for a DOCTYPE, so any document that has one is
refused as hostile (XXE, "billion laughs") — in ASCII-compatible encodings before parsing, in any encoding
after. Hostile or oversized input raises `UnreadableInvoice`; merely broken XML raises `MalformedXml`, which
the checker reports as a fatal finding of the "xml" layer.
"""

from __future__ import annotations

from lxml import etree

from intake.einvoice.errors import UnreadableInvoice


class MalformedXml(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=False, collect_ids=False)


def _refuse_raw(content: bytes, filename: str, max_bytes: int) -> None:
    if len(content) > max_bytes:
        raise UnreadableInvoice(filename, f"XML is {len(content):,} bytes, more than the limit of {max_bytes:,}")
    if b"<!ENTITY" in content:
        raise UnreadableInvoice(filename, "XML declares entities (external entity / entity expansion attack); "
                                          "refused without parsing")
    if b"<!DOCTYPE" in content:
        raise UnreadableInvoice(filename, "XML has a DOCTYPE declaration; e-invoices have none, refused")


def load_xml(content: bytes, filename: str, *, max_bytes: int) -> etree._Element:
    """The root element of `content`; `UnreadableInvoice` for hostile input, `MalformedXml` for broken XML."""
    _refuse_raw(content, filename, max_bytes)
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(f"not well-formed XML: {exc.msg}", exc.lineno or None) from None
    except (ValueError, etree.LxmlError) as exc:
        raise MalformedXml(f"cannot read XML: {exc}", None) from None
    if root is None:
        raise MalformedXml("the document contains no element", None)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url or docinfo.public_id:
        raise UnreadableInvoice(filename, "XML has a DOCTYPE declaration; e-invoices have none, refused")
    return root
