"""Layers 3 and 4: the official EN 16931 and XRechnung rules, as XSLT 2.0 run by saxonche; SVRL → findings.

The rules directory (AKTE_EINVOICE_RULES) is laid out as the official releases unpack:

    en16931/ubl/EN16931-UBL-validation.xslt        CEN/TC 434 (ConnectingEurope/eInvoicing-EN16931)
    en16931/cii/EN16931-CII-validation.xslt
    xrechnung/xslt/XRechnung-UBL-validation.xslt   KoSIT (itplr-kosit/xrechnung-schematron), compiled
    xrechnung/xslt/XRechnung-CII-validation.xslt

Each stylesheet is compiled once per process (about 0.3 s) and reused (a few ms per invoice); one Saxon
processor serves the process and every transform holds one lock (SaxonC is not documented thread-safe).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from intake.einvoice.model import Finding
from intake.einvoice.syntax import PREFIXES

SVRL = "http://purl.oclc.org/dsdl/svrl"
_FLAG_SEVERITY = {"fatal": "fatal", "error": "error", "warning": "warning", "warn": "warning",
                  "information": "information", "info": "information"}
_EN16931_VERSION = re.compile(r"Schematron version ([0-9][0-9.]*)")
_XRECHNUNG_VERSION = re.compile(r"name=\"XR-MAJOR-MINOR-VERSION\"\s+select=\"'([0-9.]+)'\"")
_NS_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")
_Q_STEP = re.compile(r"Q\{([^}]*)\}([\w.-]+)")


@dataclass(frozen=True)
class RuleSetFile:
    name: str  # "EN16931-UBL", "XRechnung-CII", ...
    path: Path
    version: str | None


class RulesDirectory:
    """The official stylesheets found in one rules directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._found: dict[str, RuleSetFile | None] = {}

    def en16931(self, binding: str) -> RuleSetFile | None:
        return self._find(f"EN16931-{binding}", "en16931", f"EN16931-{binding}-validation.xsl*", _EN16931_VERSION)

    def xrechnung(self, binding: str) -> RuleSetFile | None:
        return self._find(f"XRechnung-{binding}", "xrechnung", f"XRechnung-{binding}-validation.xsl*",
                          _XRECHNUNG_VERSION)

    def _find(self, name: str, folder: str, pattern: str, version: re.Pattern[str]) -> RuleSetFile | None:
        if name not in self._found:
            candidates = sorted((self.root / folder).rglob(pattern)) if (self.root / folder).is_dir() else []
            path = candidates[0] if candidates else None
            self._found[name] = None if path is None else RuleSetFile(name, path, _version(path, version))
        return self._found[name]


def _version(path: Path, pattern: re.Pattern[str]) -> str | None:
    match = pattern.search(path.read_text(encoding="utf-8", errors="replace"))
    return match.group(1) if match else None


class _Saxon:
    """The process's one Saxon processor and its compiled stylesheets."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor  # imported here: parsing alone never needs Saxon

        self.processor = PySaxonProcessor(license=False)
        self.compiler = self.processor.new_xslt30_processor()
        self.lock = threading.RLock()
        self.executables: dict[Path, Any] = {}

    def executable(self, path: Path) -> Any:
        with self.lock:
            if path not in self.executables:
                self.executables[path] = self.compiler.compile_stylesheet(stylesheet_file=str(path))
            return self.executables[path]


_saxon: _Saxon | None = None
_saxon_lock = threading.Lock()


def saxon() -> _Saxon:
    global _saxon
    with _saxon_lock:
        if _saxon is None:
            _saxon = _Saxon()
        return _saxon


def compile_rule_sets(files: list[RuleSetFile]) -> None:
    """Compile now (e.g. at worker start or before a benchmark) instead of on the first invoice."""
    engine = saxon()
    for file in files:
        engine.executable(file.path)


def short_location(location: str | None) -> str | None:
    """`/*:Invoice[namespace-uri()='urn:…Invoice-2'][1]/…` → `/ubl:Invoice[1]/…`."""
    if not location:
        return location
    location = _NS_STEP.sub(lambda m: f"{PREFIXES.get(m.group(2), '*')}:{m.group(1)}", location)
    return _Q_STEP.sub(lambda m: f"{PREFIXES.get(m.group(1), '*')}:{m.group(2)}", location)


def svrl_findings(svrl: bytes, rule_set: str) -> list[Finding]:
    """Every failed assert and successful report of an SVRL document, with its flag as severity."""
    if b"failed-assert" not in svrl and b"successful-report" not in svrl:
        return []  # neither element can be in it: a report of a clean invoice need not be parsed
    root = etree.fromstring(svrl, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    findings = []
    for element in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text_element = element.find(f"{{{SVRL}}}text")
        text = " ".join("".join(text_element.itertext()).split()) if text_element is not None else ""
        flag = (element.get("flag") or "error").lower()
        findings.append(Finding(rule_id=element.get("id") or "?", severity=_FLAG_SEVERITY.get(flag, "error"),
                                location=short_location(element.get("location")), text=text, rule_set=rule_set))
    return findings


class SaxonDocument:
    """One invoice parsed once into Saxon and run through several stylesheets."""

    def __init__(self, xml_text: str) -> None:
        self.engine = saxon()
        with self.engine.lock:
            self.node = self.engine.processor.parse_xml(xml_text=xml_text)

    def run(self, rule_set: RuleSetFile) -> list[Finding]:
        from saxonche import PySaxonApiError

        executable = self.engine.executable(rule_set.path)
        try:
            with self.engine.lock:
                output = executable.transform_to_string(xdm_node=self.node)
        except PySaxonApiError as exc:
            return [Finding("XSLT-RUNTIME", "fatal", None, f"Die Regeln brachen bei diesem Dokument ab: {exc}",
                            rule_set.name)]
        if output is None:
            return [Finding("XSLT-RUNTIME", "fatal", None, "Die Regeln lieferten keinen Bericht.", rule_set.name)]
        return svrl_findings(output.encode("utf-8"), rule_set.name)
