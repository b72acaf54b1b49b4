"""Which official rule sets apply, by syntax and BT-24, and the XRechnung extension's lowered EN 16931 levels."""

from __future__ import annotations

import pytest

from intake.einvoice import Finding
from intake.einvoice.scenarios import apply_custom_levels, choose_scenario
from intake.einvoice.syntax import Syntax

CIUS = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
EXTENSION = CIUS + "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0"


@pytest.mark.parametrize(
    ("syntax", "bt24", "version", "extension", "en16931"),
    [
        (Syntax.UBL_INVOICE, CIUS, "3.0", False, True),
        (Syntax.CII, EXTENSION, "3.0", True, True),
        (Syntax.CII, "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_1.2", "1.2", False, True),
        (Syntax.UBL_INVOICE, "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.3#conformant"
                             "#urn:xoev-de:kosit:extension:xrechnung_2.3", "2.3", True, True),
        (Syntax.CII, "urn:cen.eu:en16931:2017", None, False, True),
        (Syntax.CII, "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic", None, False, True),
        (Syntax.UBL_INVOICE, "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0", None,
         False, True),
        (Syntax.CII, "urn:factur-x.eu:1p0:basicwl", None, False, False),
        (Syntax.CII, "urn:zugferd.de:2p0:minimum", None, False, False),
        (Syntax.ZUGFERD1, "urn:ferd:CrossIndustryDocument:invoice:1p0:basic", None, False, False),
    ],
)
def test_scenario_follows_the_specification_identifier(syntax: Syntax, bt24: str, version: str | None,
                                                        extension: bool, en16931: bool) -> None:
    scenario = choose_scenario(syntax, bt24)
    assert scenario.xrechnung_version == version
    assert scenario.extension is extension
    assert (scenario.en16931_skipped is None) is en16931


def _finding(rule: str, severity: str = "fatal", rule_set: str = "EN16931-CII") -> Finding:
    return Finding(rule, severity, "/x", f"[{rule}] text", rule_set)


def test_the_extension_lowers_exactly_the_replaced_en16931_rules_to_information() -> None:
    scenario = choose_scenario(Syntax.CII, EXTENSION)
    lowered = apply_custom_levels([_finding("BR-CL-10"), _finding("BR-CL-21"), _finding("BR-CO-16"),
                                   _finding("BR-16")], scenario)
    assert [(f.rule_id, f.severity) for f in lowered] == [("BR-CL-10", "information"), ("BR-CL-21", "information"),
                                                          ("BR-CO-16", "fatal"), ("BR-16", "fatal")]
    assert "BR-DEX-04" in lowered[0].text and "statt fatal" in lowered[0].text


def test_in_ubl_the_extension_also_replaces_the_amount_due_rule() -> None:
    scenario = choose_scenario(Syntax.UBL_INVOICE, EXTENSION)
    [finding] = apply_custom_levels([_finding("BR-CO-16", rule_set="EN16931-UBL")], scenario)
    assert finding.severity == "information" and "BR-DEX-09" in finding.text


def test_the_plain_xrechnung_keeps_official_levels() -> None:
    findings = [_finding("BR-CL-10")]
    assert apply_custom_levels(findings, choose_scenario(Syntax.CII, CIUS)) == findings
