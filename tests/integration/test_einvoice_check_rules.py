"""Classification of every test invoice by the official rules (../shared/einvoice-rules) against its label.

Where the official rules disagree with the label of the file's source, the file and the reason are listed in
KNOWN_DIFFERENCES — the rules are not bent to the labels. The test fails when another file disagrees, or when
a listed difference disappears.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from intake.einvoice import Checker, CheckResult, UnreadableInvoice
from intake.einvoice.rules import saxon
from tests import conftest

RULES = conftest.REPO.parent / "shared" / "einvoice-rules"

KNOWN_DIFFERENCES = {
    "xrechnung/invalid/CII_XRechnung_with_Peppol_violation.xml":
        "labelled invalid by its source (a mustangproject test file named after a Peppol violation), but no rule "
        "of EN 16931 (CII) or XRechnung 3.0 fires, the schema passes and akte's sums agree: what it violates are "
        "Peppol BIS Billing rules (it declares the Peppol business process in BT-23), a rule set akte does not apply",
    "zugferd/invalid/invalidXRechnung.pdf":
        "declares XRechnung 1.2 (BT-24 …xoev-de:kosit:standard:xrechnung_1.2); the rules directory holds the "
        "XRechnung 3.0 rules only, so akte applies EN 16931 (passed) and reports 'version not supported' as a "
        "warning; its XRechnung fault (BR-DE-2, no seller contact — the difference to validXRechnung.pdf) is only "
        "visible to XRechnung rules",
}

# Rules a KoSIT unit-test file declares that the XSLT in the rules directory does not contain.
ABSENT_RULES = {
    ("xrechnung/invalid/cii-br-tmp-3-negative-test.xml", "PEPPOL-EN16931-R120"):
        "the published XRechnung 3.0.2 CII XSLT has no PEPPOL-EN16931-R120 (the UBL one has); the same line "
        "product (quantity × price ÷ base quantity = line net amount) is akte's AKTE-AR-6, which fires",
}


@pytest.fixture(scope="module")
def checker() -> Checker:
    if not RULES.is_dir():
        pytest.skip(f"official rules not found at {RULES}")
    return Checker(RULES)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    folder = conftest.testdata_dir()
    labels = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return {name: entry for name, entry in labels.items() if name.startswith(("xrechnung/", "zugferd/"))}


def _check(checker: Checker, name: str) -> CheckResult:
    return checker.check((conftest.testdata_dir() / name).read_bytes(), name)


def test_every_invoice_is_classified_as_labelled_except_the_explained_ones(checker: Checker,
                                                                          expected: dict[str, Any]) -> None:
    disagreements = {}
    for name, entry in sorted(expected.items()):
        try:
            valid = _check(checker, name).valid
        except UnreadableInvoice as exc:
            pytest.fail(f"{name} is unreadable: {exc.message}")
        if valid != entry["valid"]:
            disagreements[name] = f"label {entry['valid']}, rules say {valid}"
    assert len(expected) == 41  # 27 XRechnung, 14 ZUGFeRD/Factur-X
    assert {name: why for name, why in disagreements.items() if name not in KNOWN_DIFFERENCES} == {}
    assert set(disagreements) == set(KNOWN_DIFFERENCES), "a listed difference disappeared: update KNOWN_DIFFERENCES"


def test_each_kosit_unit_test_file_fails_with_the_rule_it_was_written_for(checker: Checker,
                                                                           expected: dict[str, Any]) -> None:
    declared = {name: entry["invalid_reason"].split("=", 1)[1] for name, entry in expected.items()
                if "schematron-invalid=" in (entry.get("invalid_reason") or "")}
    assert len(declared) == 8
    for name, rules in declared.items():
        fired = {finding.rule_id for finding in _check(checker, name).errors}
        for rule in (entry.split(":", 1)[1] for entry in rules.split(",")):
            if (name, rule) in ABSENT_RULES:
                assert "AKTE-AR-6" in fired
                continue
            assert rule in fired, f"{name}: {rule} did not fire ({sorted(fired)})"


def test_the_extension_is_validated_as_kosit_does(checker: Checker) -> None:
    result = _check(checker, "xrechnung/valid/04.05a-INVOICE_uncefact.xml")
    assert result.valid and result.rule_sets[2:4] == ["EN16931-CII", "XRechnung-CII"]
    lowered = {f.rule_id for f in result.warnings if f.severity == "information" and f.rule_set == "EN16931-CII"}
    assert lowered == {"BR-CL-10", "BR-CL-21"}
    assert result.rule_set_versions == {"EN16931-CII": "1.3.16", "XRechnung-CII": "3.0"}


def test_xrechnung_rules_report_in_german(checker: Checker) -> None:
    result = _check(checker, "xrechnung/invalid/ubl-inv-br-de-18-wrong-whitespace.xml")
    [finding] = [f for f in result.errors if f.rule_id == "BR-DE-18"]
    assert finding.severity == "fatal" and finding.rule_set == "XRechnung-UBL" and finding.location == "/ubl:Invoice"
    assert "Skonto Zeilen" in finding.text and "müssen" in finding.text


def test_an_older_xrechnung_version_is_named_not_supported(checker: Checker) -> None:
    content = (conftest.testdata_dir() / "xrechnung/valid/01.01a-INVOICE_ubl.xml").read_bytes().replace(
        b"urn:xeinkauf.de:kosit:xrechnung_3.0", b"urn:xoev-de:kosit:standard:xrechnung_2.3")
    result = checker.check(content, "old.xml")
    assert "XRechnung-UBL 2.3 (version not supported; rules directory has 3.0)" in result.skipped_rule_sets
    [note] = [f for f in result.warnings if f.rule_id == "AKTE-XR-VERSION"]
    assert "XRechnung 2.3 wird nicht unterstützt" in note.text
    assert "EN16931-UBL" in result.rule_sets and "XRechnung-UBL" not in result.rule_sets


def test_stylesheets_compile_once_and_checks_take_milliseconds(checker: Checker, expected: dict[str, Any]) -> None:
    names = [name for name in expected if name.endswith(".xml")]
    contents = [(conftest.testdata_dir() / name).read_bytes() for name in names]
    checker.warm_up()
    compiled = dict(saxon().executables)
    started = time.perf_counter()
    for _ in range(3):
        for name, content in zip(names, contents, strict=True):
            checker.check(content, name)
    per_invoice = (time.perf_counter() - started) / (3 * len(names))
    assert saxon().executables == compiled and len(compiled) >= 4
    assert per_invoice < 0.1, f"{per_invoice * 1000:.1f} ms per invoice"


def test_a_missing_rules_directory_is_a_configuration_error(tmp_path: Path) -> None:
    from core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="not a directory"):
        Checker(tmp_path / "absent")
