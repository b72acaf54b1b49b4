"""The watched drop folder (AKTE_DROP_DIR): `akte dropfolder scan`, and the worker on every round.

A file is taken once it is complete: it has a final name (not hidden, not `*.part`, `*.tmp`, `*.crdownload`,
`~…`) and has not changed for AKTE_DROP_SETTLE_SECONDS. It is stored (one transaction), and only then moved
— one atomic rename — to `processed/`; a file that cannot be stored at all (empty, too large, a kind that is
not accepted) is recorded as a rejected item and moved to `rejected/`, with the reason beside it in
`NAME.error.txt`. A crash between the commit and the rename leaves the file in place: the next scan finds
its content received already and just moves it. Folders, symbolic links and other special files are never
touched.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.bootstrap import Services
from core.errors import Conflict, ValidationFailed
from intake.receive import receive_file, record_refused
from records.access import Principal
from records.documents import Upload

log = logging.getLogger(__name__)

ACTOR = "intake:dropfolder"
PROCESSED, REJECTED = "processed", "rejected"
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".filepart", ".swp",
                    ".error.txt")
MAX_PER_SCAN = 100


@dataclass
class ScanReport:
    taken: list[str] = field(default_factory=list)  # item ids stored (or found stored before)
    rejected: list[str] = field(default_factory=list)  # names moved to rejected/
    waiting: int = 0  # files not complete yet


def is_candidate(name: str) -> bool:
    """A final file name (no hidden, temporary or partial-download names)."""
    lowered = name.lower()
    return not (name.startswith((".", "~")) or lowered.endswith(PARTIAL_SUFFIXES) or name.endswith("~"))


def _target(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-N.suffix` when that exists already (nothing is ever overwritten)."""
    candidate = folder / name
    stem, dot, suffix = name.rpartition(".")
    if not stem:
        stem, dot, suffix = name, "", ""
    number = 1
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{dot}{suffix}"
        number += 1
    return candidate


def _move(path: Path, folder: Path) -> Path:
    target = _target(folder, path.name)
    os.rename(path, target)  # same file system: atomic
    return target


def _complete(entry: os.DirEntry[str], now: float, settle: float) -> bool | None:
    """True when `entry` is a regular file untouched for `settle` seconds, False while it may still be
    written, None when it is no file to take at all."""
    if not is_candidate(entry.name):
        return None
    info = entry.stat(follow_symlinks=False)
    if not stat.S_ISREG(info.st_mode):
        return None
    return now - info.st_mtime >= settle  # a file moved in whole keeps its old time: taken at once


def _take(services: Services, path: Path, processed: Path, rejected: Path, report: ScanReport) -> None:
    principal = Principal.system(ACTOR)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        with os.fdopen(os.open(path, flags), "rb") as stream, services.db.unit_of_work() as uow:
            view = receive_file(uow, services, principal, Upload(stream, path.name), "dropfolder")
            uow.commit()
    except Conflict:
        return  # stored by another worker at this moment: the next scan moves it
    except ValidationFailed as exc:
        with services.db.unit_of_work() as uow:
            record_refused(uow, services, principal, "dropfolder", path.name, exc.message)
            uow.commit()
        target = _move(path, rejected)
        target.with_name(target.name + ".error.txt").write_text(exc.message + "\n", encoding="utf-8")
        report.rejected.append(target.name)
        return
    _move(path, processed)
    report.taken.append(str(view.id))


def scan(services: Services, *, wall_clock: Callable[[], float] = time.time, limit: int = MAX_PER_SCAN) -> ScanReport:
    """Take every complete file of the drop folder (at most `limit`); returns what was done."""
    report = ScanReport()
    root = services.settings.drop_dir
    if root is None:
        return report
    processed, rejected = root / PROCESSED, root / REJECTED
    processed.mkdir(parents=True, exist_ok=True)
    rejected.mkdir(exist_ok=True)
    now, settle = wall_clock(), services.settings.drop_settle_seconds
    with os.scandir(root) as entries:
        found = sorted(entries, key=lambda entry: entry.name)
    for entry in found:
        if len(report.taken) + len(report.rejected) >= limit:
            break
        try:
            complete = _complete(entry, now, settle)
        except FileNotFoundError:  # taken by another worker meanwhile
            continue
        if complete is None:
            continue
        if not complete:
            report.waiting += 1
            continue
        try:
            _take(services, Path(entry.path), processed, rejected, report)
        except FileNotFoundError:
            continue
    return report


def scan_step(services: Services) -> int:
    """The worker step: a scan that logs instead of raising (a broken folder must not stop the worker)."""
    if services.settings.drop_dir is None:
        return 0
    try:
        report = scan(services)
    except Exception as exc:
        log.warning("scanning the drop folder %s failed: %s", services.settings.drop_dir, exc)
        return 0
    return len(report.taken) + len(report.rejected)
