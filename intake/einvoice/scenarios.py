"""Which official rule sets apply to an invoice, decided by its syntax and specification identifier (BT-24).

Mirrors the scenarios of the KoSIT validator configuration for XRechnung (itplr-kosit/validator-configuration-
xrechnung): every EN 16931 invoice gets the EN 16931 rules of its syntax; one declaring XRechnung also gets
the XRechnung rules of its version. The XRechnung *extension* identifier
(`…xrechnung_3.0#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0`) gets both as well, but the
extension widens some EN 16931 code lists and one sum: its own rules BR-DEX-01 and BR-DEX-04 to -09
re-check them ("Überschreibt BR-CL-10 …" in the XRechnung Schematron), and KoSIT's Extension scenarios lower
the replaced EN 16931 rules to the level "information" (customLevel, validator-configuration-xrechnung since
release 2022-01-31). akte does the same, and only when the XRechnung rules actually ran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from intake.einvoice.model import Finding
from intake.einvoice.syntax import Syntax

EN16931_PREFIX = "urn:cen.eu:en16931:2017"
_XRECHNUNG = re.compile(r"#compliant#urn:(?:xeinkauf\.de|xoev-de):kosit:(?:standard:)?xrechnung_(\d+\.\d+)")
_EXTENSION = re.compile(r"#conformant#urn:(?:xeinkauf\.de|xoev-de):kosit:extension:xrechnung_\d+\.\d+")
# Factur-X / ZUGFeRD 2 profiles below EN 16931 (no lines, no complete invoice): the EN 16931 rules do not apply.
_BELOW_EN16931 = re.compile(r"^urn:(?:factur-x\.eu:1p0|zugferd\.de:2p0):(minimum|basicwl)$", re.IGNORECASE)

# EN 16931 rule → the XRechnung extension rule that replaces it (KoSIT Extension scenarios: level information).
EXTENSION_REPLACED = {"BR-CL-10": "BR-DEX-04", "BR-CL-11": "BR-DEX-05", "BR-CL-21": "BR-DEX-06",
                      "BR-CL-24": "BR-DEX-01", "BR-CL-25": "BR-DEX-07", "BR-CL-26": "BR-DEX-08"}
EXTENSION_REPLACED_UBL = {"BR-CO-16": "BR-DEX-09"}


@dataclass(frozen=True)
class Scenario:
    syntax: Syntax
    specification: str | None
    en16931_skipped: str | None = None  # why the EN 16931 rules do not apply, or None when they do
    xrechnung_version: str | None = None  # "3.0" when BT-24 declares XRechnung
    extension: bool = False
    replaced: dict[str, str] = field(default_factory=dict)  # EN 16931 rule → extension rule replacing it


def _en16931_skipped(syntax: Syntax, specification: str | None) -> str | None:
    if syntax is Syntax.ZUGFERD1:
        return "ZUGFeRD 1.0 predates EN 16931; there are no official EN 16931 rules for it"
    if syntax.binding is None:
        return "not an EN 16931 syntax"
    profile = _BELOW_EN16931.match(specification or "")
    if profile:
        return f"BT-24 declares the profile {profile.group(1).upper()}, which is not a complete EN 16931 invoice"
    return None


def choose_scenario(syntax: Syntax, specification: str | None) -> Scenario:
    skipped = _en16931_skipped(syntax, specification)
    spec = specification or ""
    version_match = _XRECHNUNG.search(spec) if spec.startswith(EN16931_PREFIX) and skipped is None else None
    if version_match is None:
        return Scenario(syntax, specification, en16931_skipped=skipped)
    extension = _EXTENSION.search(spec) is not None
    replaced = {**EXTENSION_REPLACED, **(EXTENSION_REPLACED_UBL if syntax.binding == "UBL" else {})}
    return Scenario(syntax, specification, xrechnung_version=version_match.group(1), extension=extension,
                    replaced=replaced if extension else {})


def apply_custom_levels(findings: list[Finding], scenario: Scenario) -> list[Finding]:
    """EN 16931 findings replaced by an extension rule, lowered to information (as KoSIT's scenario does)."""
    if not scenario.replaced:
        return findings
    adjusted = []
    for finding in findings:
        replacement = scenario.replaced.get(finding.rule_id)
        if replacement is None or finding.severity == "information":
            adjusted.append(finding)
            continue
        note = (f" [XRechnung-Extension: ersetzt durch {replacement}; Stufe information statt {finding.severity}, "
                f"wie im KoSIT-Prüfszenario]")
        adjusted.append(Finding(finding.rule_id, "information", finding.location, finding.text + note,
                                finding.rule_set))
    return adjusted
