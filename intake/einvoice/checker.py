"""`Checker.check`: one file in, one `CheckResult` out — parsing plus every validation layer, storing nothing.

Layers, in order: safe well-formed XML; the syntax's XML Schema; the EN 16931 rules of the syntax; the
XRechnung rules when BT-24 declares XRechnung; akte's own arithmetic. Official rule sets that cannot be
applied (no rules directory, a file missing, an XRechnung version the directory does not hold) are named
in `skipped_rule_sets` with the reason. Only hostile or unreadable input raises (`UnreadableInvoice`).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from core.errors import ConfigurationError
from intake.einvoice.arithmetic import RULE_SET as ARITHMETIC
from intake.einvoice.arithmetic import check_arithmetic
from intake.einvoice.errors import UnreadableInvoice
from intake.einvoice.figures import ParsedInvoice
from intake.einvoice.model import CheckResult, Finding
from intake.einvoice.parse_cii import D16B, ZUGFERD1, parse_cii
from intake.einvoice.parse_ubl import parse_ubl
from intake.einvoice.pdfembed import embedded_invoice_xml, looks_like_pdf
from intake.einvoice.rules import RulesDirectory, RuleSetFile, SaxonDocument, compile_rule_sets
from intake.einvoice.safexml import MalformedXml, load_xml
from intake.einvoice.scenarios import Scenario, apply_custom_levels, choose_scenario
from intake.einvoice.schema import check_schema
from intake.einvoice.syntax import Syntax, detect

XML_LAYER = "xml"
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def looks_like_xml(content: bytes) -> bool:
    head = content[:64]
    for bom in _BOMS:
        if head.startswith(bom):
            return True
    head = head.lstrip()
    return head.startswith((b"<", b"<\x00", b"\x00<"))


class _Report:
    """Collects the layers of one check."""

    def __init__(self) -> None:
        self.applied: list[str] = []
        self.skipped: list[str] = []
        self.findings: list[Finding] = []
        self.versions: dict[str, str] = {}

    def add(self, rule_set: str, findings: list[Finding], version: str | None = None) -> None:
        self.applied.append(rule_set)
        self.findings.extend(findings)
        if version:
            self.versions[rule_set] = version


def _parse(root: etree._Element, syntax: Syntax) -> ParsedInvoice:
    if syntax in (Syntax.UBL_INVOICE, Syntax.UBL_CREDIT_NOTE):
        return parse_ubl(root)
    return parse_cii(root, ZUGFERD1 if syntax is Syntax.ZUGFERD1 else D16B)


class Checker:
    """Parses and validates e-invoices; XSLTs are compiled lazily, once per process, and reused."""

    def __init__(self, rules_dir: Path | None, *, max_bytes: int = 20 * 1024 * 1024,
                 max_pdf_bytes: int = 200 * 1024 * 1024) -> None:
        if rules_dir is not None and not Path(rules_dir).is_dir():
            raise ConfigurationError(f"AKTE_EINVOICE_RULES: {rules_dir} is not a directory")
        self.rules = None if rules_dir is None else RulesDirectory(Path(rules_dir))
        self.max_bytes = max_bytes
        self.max_pdf_bytes = max(max_pdf_bytes, max_bytes)

    def warm_up(self) -> None:
        """Compile every stylesheet of the rules directory now rather than on first use."""
        if self.rules is None:
            return
        found = [self.rules.en16931(b) for b in ("UBL", "CII")] + [self.rules.xrechnung(b) for b in ("UBL", "CII")]
        compile_rule_sets([file for file in found if file is not None])

    def check(self, content: bytes, filename: str) -> CheckResult:
        if len(content) > self.max_pdf_bytes:
            raise UnreadableInvoice(filename, f"file is {len(content):,} bytes, more than the limit of "
                                              f"{self.max_pdf_bytes:,}")
        if looks_like_xml(content):
            return self._check_xml(content, filename, in_pdf=False)
        if looks_like_pdf(content):
            return self._check_pdf(content, filename)
        raise UnreadableInvoice(filename, "neither XML nor PDF: not an e-invoice")

    def _check_pdf(self, content: bytes, filename: str) -> CheckResult:
        embedded = embedded_invoice_xml(content, filename, max_bytes=self.max_bytes)
        if embedded is None:
            note = Finding("AKTE-PAPER", "information", None, "PDF ohne eingebettete Rechnungsdaten: keine "
                           "E-Rechnung, sondern ein Dokument (Text/OCR); nicht zurückgewiesen.", "pdf")
            return CheckResult(file=filename, syntax="PDF-paper", valid=False, rule_sets=[], skipped_rule_sets=[],
                               errors=[], warnings=[note], invoice=None, xml=None, paper_like=True)
        return self._check_xml(embedded.content, filename, in_pdf=True)

    def _check_xml(self, content: bytes, filename: str, *, in_pdf: bool) -> CheckResult:
        report = _Report()
        try:
            root = load_xml(content, filename, max_bytes=self.max_bytes)
        except MalformedXml as exc:
            location = None if exc.line is None else f"line {exc.line}"
            report.add(XML_LAYER, [Finding("XML-WELLFORMED", "fatal", location, exc.message, XML_LAYER)])
            return self._result(filename, "unknown", report, None, content)
        syntax = detect(root)
        if syntax is Syntax.UNKNOWN:
            report.add(XML_LAYER, [Finding("AKTE-SYNTAX", "fatal", "/", f"Das Wurzelelement {root.tag} ist keine "
                                   "unterstützte E-Rechnung (UBL 2.1 Invoice/CreditNote, UN/CEFACT CII, ZUGFeRD 1.0).",
                                   XML_LAYER)])
            return self._result(filename, "unknown", report, None, content)
        report.add(XML_LAYER, [])
        parsed = _parse(root, syntax)
        scenario = choose_scenario(syntax, parsed.invoice.specification)
        self._schema_layer(root, syntax, report)
        self._official_layers(root, scenario, report)
        report.add(ARITHMETIC, check_arithmetic(parsed))
        label = f"PDF-embedded-{syntax.binding or 'CII'}" if in_pdf else syntax.value
        if syntax is Syntax.ZUGFERD1 and not in_pdf:
            label = "CII"
        return self._result(filename, label, report, parsed, content)

    @staticmethod
    def _schema_layer(root: etree._Element, syntax: Syntax, report: _Report) -> None:
        outcome = check_schema(root, syntax)
        if isinstance(outcome, str):
            report.skipped.append(outcome)
        else:
            report.add(*outcome)

    def _official_layers(self, root: etree._Element, scenario: Scenario, report: _Report) -> None:
        binding = scenario.syntax.binding
        if scenario.en16931_skipped is not None or binding is None:
            report.skipped.append(f"EN16931 ({scenario.en16931_skipped or 'not an EN 16931 syntax'})")
            return
        en16931 = self._rule_set(self.rules.en16931(binding) if self.rules else None, f"EN16931-{binding}", report)
        xrechnung = self._xrechnung_rule_set(scenario, binding, report)
        if en16931 is None and xrechnung is None:
            return
        document = SaxonDocument(etree.tostring(root, encoding="unicode"))
        if en16931 is not None:
            findings = document.run(en16931)
            report.add(en16931.name, apply_custom_levels(findings, scenario) if xrechnung else findings,
                       en16931.version)
        if xrechnung is not None:
            report.add(xrechnung.name, document.run(xrechnung), xrechnung.version)

    def _rule_set(self, file: RuleSetFile | None, name: str, report: _Report) -> RuleSetFile | None:
        if self.rules is None:
            report.skipped.append(f"{name} (no AKTE_EINVOICE_RULES)")
        elif file is None:
            report.skipped.append(f"{name} (not found in {self.rules.root})")
        return file

    def _xrechnung_rule_set(self, scenario: Scenario, binding: str, report: _Report) -> RuleSetFile | None:
        declared = scenario.xrechnung_version
        if declared is None:
            return None
        file = self._rule_set(self.rules.xrechnung(binding) if self.rules else None, f"XRechnung-{binding}", report)
        if file is None or file.version in (None, declared):
            return file
        reason = (f"XRechnung {declared} wird nicht unterstützt: das Regelverzeichnis enthält die Regeln für "
                  f"XRechnung {file.version}; geprüft wurde nur nach EN 16931.")
        report.skipped.append(f"{file.name} {declared} (version not supported; rules directory has {file.version})")
        report.findings.append(Finding("AKTE-XR-VERSION", "warning", "BT-24", reason, file.name))
        return None

    @staticmethod
    def _result(filename: str, syntax: str, report: _Report, parsed: ParsedInvoice | None,
                content: bytes) -> CheckResult:
        errors = [finding for finding in report.findings if finding.rejects]
        warnings = [finding for finding in report.findings if not finding.rejects]
        return CheckResult(file=filename, syntax=syntax, valid=not errors, rule_sets=report.applied,
                           skipped_rule_sets=report.skipped, errors=errors, warnings=warnings,
                           invoice=None if parsed is None else parsed.invoice, xml=content,
                           rule_set_versions=report.versions)
