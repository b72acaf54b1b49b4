"""Merge German translations from JSON files ({"English msgid": "deutscher Text"}) into the message catalogue.

    python scripts/po_merge.py translations.json [...]

Used after `make i18n` when new strings were added; unknown msgids are reported, existing ones overwritten.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).resolve().parents[1] / "web" / "translations" / "de" / "LC_MESSAGES" / "messages.po"


def main(paths: list[str]) -> int:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="de")
    unknown: list[str] = []
    for path in paths:
        for msgid, msgstr in json.loads(Path(path).read_text(encoding="utf-8")).items():
            message = catalogue.get(msgid)
            if message is None:
                unknown.append(msgid)
                continue
            message.string = msgstr
            message.flags.discard("fuzzy")
    with CATALOGUE.open("wb") as handle:
        write_po(handle, catalogue, width=120, omit_header=False, sort_output=True, no_location=True)
    for msgid in unknown:
        print(f"not in the catalogue (run make i18n first?): {msgid!r}", file=sys.stderr)
    return 1 if unknown else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
