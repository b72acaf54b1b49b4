"""Model files uploaded in the browser: several BPMN/DMN/JSON/HTML files or a zip of them, read safely.

Every file is limited to `max_model_bytes` (read at most one byte more, never whole), all files together to
`max_total_bytes`; zip members are decompressed with the same bounds (a zip bomb stops at the limit). A zip
member whose path is absolute, climbs with `..` or uses backslashes or a drive letter refuses the whole upload
(nothing is ever written to disk, but such an archive is not a designer's export). Members that are not model
files (README.md, images) are skipped and named. Problems are reported like model problems: file, message.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

from werkzeug.datastructures import FileStorage

from engine.workflow.parsing import SourceFile
from engine.workflow.problems import Problem

MODEL_SUFFIXES = (".bpmn", ".dmn", ".json", ".html")
MAX_FILES = 200
_DRIVE = re.compile(r"^[A-Za-z]:")
_SKIPPED_FOLDERS = ("__MACOSX/",)


@dataclass
class CollectedFiles:
    files: list[SourceFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # zip members that are not model files
    total_bytes: int = 0

    def refuse(self, name: str, message: str) -> None:
        self.problems.append(Problem(name, None, "-", message))


def is_model_file(name: str) -> bool:
    return name.lower().endswith(MODEL_SUFFIXES)


def unsafe_member(name: str) -> bool:
    """A zip member path that is absolute, climbs out of the archive or is not a plain POSIX path."""
    return ("\\" in name or name.startswith("/") or bool(_DRIVE.match(name)) or "\0" in name
            or any(part == ".." for part in name.split("/")))


def collect_uploads(uploads: Iterable[FileStorage], *, max_bytes: int, max_total_bytes: int) -> CollectedFiles:
    collected = CollectedFiles()
    for upload in uploads:
        name = PurePosixPath((upload.filename or "upload").replace("\\", "/")).name or "upload"
        if name.lower().endswith(".zip"):
            _read_zip(collected, name, upload.stream, max_bytes, max_total_bytes)
        elif not is_model_file(name):
            collected.refuse(name, "unsupported file type (expected .bpmn, .dmn, .json, .html or a .zip of them)")
        else:
            _add(collected, name, upload.stream.read(max_bytes + 1), max_bytes, max_total_bytes)
    if len(collected.files) > MAX_FILES:
        collected.refuse("-", f"{len(collected.files)} files uploaded; at most {MAX_FILES} at once")
    return collected


def _add(collected: CollectedFiles, name: str, content: bytes, max_bytes: int, max_total_bytes: int) -> None:
    if len(content) > max_bytes:
        collected.refuse(name, f"file is larger than the limit of {max_bytes} bytes")
        return
    collected.total_bytes += len(content)
    if collected.total_bytes > max_total_bytes:
        collected.refuse(name, f"all files together are larger than the limit of {max_total_bytes} bytes")
        return
    collected.files.append(SourceFile(name, content))


def _read_zip(collected: CollectedFiles, archive: str, stream: IO[bytes], max_bytes: int,
              max_total_bytes: int) -> None:
    try:
        with zipfile.ZipFile(stream) as opened:
            members = opened.infolist()
            unsafe = [m.filename for m in members if unsafe_member(m.filename)]
            for path in unsafe:
                collected.refuse(archive, f"unsafe path in the zip: {path!r} (absolute or leaving the archive); "
                                 "nothing is deployed")
            if unsafe:
                return
            if len(members) > MAX_FILES * 5:
                collected.refuse(archive, f"the zip has {len(members)} entries; at most {MAX_FILES * 5}")
                return
            for member in members:
                _read_member(collected, archive, opened, member, max_bytes, max_total_bytes)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        collected.refuse(archive, f"not a readable zip file: {exc}")


def _read_member(collected: CollectedFiles, archive: str, opened: zipfile.ZipFile, member: zipfile.ZipInfo,
                 max_bytes: int, max_total_bytes: int) -> None:
    path = member.filename
    name = PurePosixPath(path).name
    if member.is_dir() or path.startswith(_SKIPPED_FOLDERS) or name.startswith("._"):
        return
    if not is_model_file(name):
        collected.skipped.append(path)
        return
    if member.flag_bits & 0x1:
        collected.refuse(name, f"the zip entry {path!r} is encrypted")
    elif member.file_size > max_bytes:
        collected.refuse(name, f"file is larger than the limit of {max_bytes} bytes")
    else:
        with opened.open(member) as source:
            _add(collected, name, source.read(max_bytes + 1), max_bytes, max_total_bytes)
