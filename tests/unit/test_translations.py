"""The German catalogue is complete for every string akte shows, and its compiled form is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "web" / "translations" / "de" / "LC_MESSAGES"


def test_every_message_has_a_german_translation(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(template), "--no-location", "--omit-header", "."],
                   cwd=REPO, check=True, capture_output=True)
    with template.open("rb") as source:
        wanted = {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(source)
                  if message.id}
    with (CATALOGUE / "messages.po").open("rb") as source:
        german = read_po(source, locale="de")
    missing = sorted(msgid for msgid in wanted
                     if german.get(msgid) is None or not german.get(msgid).string
                     or (isinstance(german.get(msgid).string, tuple) and not all(german.get(msgid).string)))
    assert missing == [], "untranslated (run `make i18n` and translate web/translations/de/.../messages.po)"


def test_the_compiled_catalogue_matches_the_source() -> None:
    with (CATALOGUE / "messages.po").open("rb") as source:
        german = read_po(source, locale="de")
    with (CATALOGUE / "messages.mo").open("rb") as compiled_file:
        compiled = read_mo(compiled_file)
    expected = {_plain(message.id): _plain(message.string) for message in german if message.id and message.string}
    actual = {_plain(message.id): _plain(message.string) for message in compiled if message.id}
    assert actual == expected, "run `make i18n` (pybabel compile) after editing messages.po"


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value
