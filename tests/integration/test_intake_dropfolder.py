"""The watched drop folder: complete files are stored, then moved to processed/ (or rejected/ with the reason);
files still being written are left alone; a crash between storing and moving takes nothing twice."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from core.bootstrap import Services
from intake import dropfolder
from intake.dropfolder import scan, scan_step
from intake.models import IntakeItem
from records.models import Document, RecordCase
from tests.helpers import AKTE, REPO
from tests.intake_helpers import aged, count, intake_env, intake_services, invoice_path, item, items, process_all
from tests.integration.test_intake_receive import zip_bomb

VALID_UBL = "xrechnung/valid/01.01a-INVOICE_ubl.xml"
ZUGFERD = "zugferd/valid/zugferd_2p0_EN16931_Einfach.pdf"


@pytest.fixture
def intake(services: Services, tmp_path: Path) -> Services:
    return intake_services(services, tmp_path, drop_settle_seconds=30.0)


def _drop(intake: Services, relative: str, name: str | None = None) -> Path:
    folder = intake.settings.drop_dir
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    return aged(Path(shutil.copy(invoice_path(relative), folder / (name or Path(relative).name))))


def test_complete_files_are_stored_and_moved_partial_ones_wait(intake: Services) -> None:
    folder = intake.settings.drop_dir
    assert folder is not None
    ubl, pdf = _drop(intake, VALID_UBL), _drop(intake, ZUGFERD)
    (folder / "unterwegs.xml.part").write_bytes(b"<Invoice")  # a final name comes only when complete
    (folder / ".versteckt.xml").write_bytes(b"<x/>")
    fresh = folder / "gerade-geschrieben.xml"
    fresh.write_bytes(invoice_path("xrechnung/valid/XRECHNUNG_Einfach.ubl.xml").read_bytes())  # changed just now
    (folder / "unterordner").mkdir()
    (folder / "verweis.xml").symlink_to(ubl)

    report = scan(intake)
    assert len(report.taken) == 2 and report.rejected == [] and report.waiting == 1
    assert sorted(p.name for p in (folder / "processed").iterdir()) == sorted([ubl.name, pdf.name])
    assert sorted(p.name for p in folder.iterdir()) == [".versteckt.xml", "gerade-geschrieben.xml", "processed",
                                                        "rejected", "unterordner", "unterwegs.xml.part",
                                                        "verweis.xml"]
    assert {row.channel for row in items(intake)} == {"dropfolder"}
    process_all(intake)
    assert {item(intake, item_id).status for item_id in report.taken} == {"accepted"}

    aged(fresh)
    assert len(scan(intake).taken) == 1 and not fresh.exists()


def test_files_that_cannot_be_stored_go_to_rejected_with_the_reason(intake: Services) -> None:
    folder = intake.settings.drop_dir
    assert folder is not None
    folder.mkdir(parents=True)
    (folder / "archiv.zip").write_bytes(zip_bomb(20))
    (folder / "leer.xml").write_bytes(b"")
    for path in folder.iterdir():
        aged(path)
    report = scan(intake)
    assert sorted(report.rejected) == ["archiv.zip", "leer.xml"] and report.taken == []
    rejected = folder / "rejected"
    assert "application/zip" in (rejected / "archiv.zip.error.txt").read_text()
    assert "empty" in (rejected / "leer.xml.error.txt").read_text()
    refused = {row.filename: row for row in items(intake)}
    assert {row.status for row in refused.values()} == {"rejected"} and set(refused) == {"archiv.zip", "leer.xml"}
    assert all(row.document_id is None for row in refused.values()) and count(intake, Document) == 0


def test_a_crash_between_storing_and_moving_takes_the_file_once(intake: Services,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    dropped = _drop(intake, VALID_UBL)

    def crash(path: Path, folder: Path) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(dropfolder, "_move", crash)
    with pytest.raises(KeyboardInterrupt):
        scan(intake)
    monkeypatch.undo()
    assert dropped.exists() and count(intake, IntakeItem) == 1  # stored, not moved
    report = scan(intake)
    assert len(report.taken) == 1 and not dropped.exists() and count(intake, IntakeItem) == 1
    _drop(intake, VALID_UBL)  # the same file dropped again later
    scan(intake)
    assert count(intake, IntakeItem) == 1
    folder = intake.settings.drop_dir
    assert folder is not None
    assert sorted(p.name for p in (folder / "processed").iterdir()) == [
        "01.01a-INVOICE_ubl-1.xml", "01.01a-INVOICE_ubl.xml"]  # nothing is overwritten
    process_all(intake)
    assert count(intake, RecordCase) == 1


def test_the_worker_step_and_the_cli_scan(intake: Services) -> None:
    _drop(intake, VALID_UBL)
    assert scan_step(intake) == 1
    _drop(intake, ZUGFERD)
    result = subprocess.run([*AKTE, "dropfolder", "scan", "--json"], capture_output=True, text=True,
                            env=intake_env(intake), cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["taken"]) == 1 and report["rejected"] == []
    assert scan_step(intake) == 0


def test_without_a_drop_folder_nothing_is_scanned(services: Services, tmp_path: Path) -> None:
    intake = intake_services(services, tmp_path, drop_dir=None)
    assert scan_step(intake) == 0
    env = intake_env(intake)
    result = subprocess.run([*AKTE, "dropfolder", "scan"], capture_output=True, text=True, env=env, cwd=REPO,
                            timeout=300)
    assert result.returncode == 2 and "AKTE_DROP_DIR" in result.stderr
