"""`akte einvoice check`, run as a real subprocess: JSON per file, exit 0 / 1 / 2, one stderr line per problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest

RULES = conftest.REPO.parent / "shared" / "einvoice-rules"
VALID = "xrechnung/valid/01.01a-INVOICE_uncefact.xml"
INVALID = "xrechnung/invalid/ubl-inv-br-de-18-wrong-whitespace.xml"
ZUGFERD = "zugferd/valid/zugferd_2p0_EN16931_Einfach.pdf"


def run(*args: str, rules_env: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "AKTE_EINVOICE_RULES"}
    if rules_env is not None:
        env["AKTE_EINVOICE_RULES"] = str(rules_env)
    return subprocess.run([sys.executable, "-c", "from web.cli import main; main()", "einvoice", "check", *args],
                          capture_output=True, text=True, env=env, cwd=conftest.REPO, timeout=120)


@pytest.fixture(scope="module")
def data() -> Path:
    if not RULES.is_dir():
        pytest.skip(f"official rules not found at {RULES}")
    return conftest.testdata_dir()


def test_valid_files_print_json_and_exit_0(data: Path) -> None:
    done = run(str(data / VALID), str(data / ZUGFERD), "--json", "--rules", str(RULES))
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)
    assert first["file"].endswith("01.01a-INVOICE_uncefact.xml") and first["valid"] is True
    assert first["syntax"] == "CII" and first["rule_sets"] == ["xml", "XSD-CII-D22B", "EN16931-CII", "XRechnung-CII",
                                                               "akte-arithmetic"]
    assert first["errors"] == [] and first["invoice"]["buyer_reference"] == "04011000-12345-03"
    assert first["invoice"]["tax_inclusive"] == "336.9"
    assert {"rule_id", "severity", "location", "text", "rule_set"} == set(first["warnings"][0])
    assert second["syntax"] == "PDF-embedded-CII" and second["valid"] is True
    assert second["invoice"]["number"] == "471102"


def test_an_invalid_file_exits_1_and_names_the_failed_rule(data: Path) -> None:
    done = run(str(data / VALID), str(data / INVALID), rules_env=RULES)
    assert done.returncode == 1, done.stderr
    assert "01.01a-INVOICE_uncefact.xml: valid [CII]" in done.stdout
    assert "ubl-inv-br-de-18-wrong-whitespace.xml: INVALID [UBL-Invoice]" in done.stdout
    assert "fatal BR-DE-18 (XRechnung-UBL) at /ubl:Invoice: [BR-DE-18] Skonto" in done.stdout
    assert "rule sets: xml, XSD-UBL-2.1, EN16931-UBL 1.3.16, XRechnung-UBL 3.0, akte-arithmetic" in done.stdout


def test_without_rules_the_skipped_sets_are_shown(data: Path) -> None:
    done = run(str(data / VALID), "--json")
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert result["skipped_rule_sets"] == ["EN16931-CII (no AKTE_EINVOICE_RULES)",
                                           "XRechnung-CII (no AKTE_EINVOICE_RULES)"]


def test_unreadable_input_exits_2_with_one_line_per_file(data: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "xxe.xml"
    hostile.write_bytes(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    done = run(str(data / VALID), str(hostile), str(tmp_path / "missing.xml"), "--json", "--rules", str(RULES))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"akte: {hostile}: XML declares entities")
    assert lines[1].startswith(f"akte: {tmp_path / 'missing.xml'}: cannot read")
    assert [result["valid"] for result in json.loads(done.stdout)] == [True]


def test_a_rules_option_that_is_no_directory_exits_2(data: Path, tmp_path: Path) -> None:
    done = run(str(data / VALID), "--rules", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"akte: AKTE_EINVOICE_RULES: {tmp_path / 'nowhere'} is not a directory"
