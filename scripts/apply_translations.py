"""Merge a dict of Spanish translations into es/messages.po (a helper for translators).

Usage: python scripts/apply_translations.py FILE.py   (FILE defines ES = {msgid: msgstr})
Only empty or fuzzy entries are filled unless --overwrite is given.
"""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).resolve().parents[1] / "eventsvc/translations/es/LC_MESSAGES/messages.po"


def main(argv: list[str]) -> int:
    """Fill the catalogue from the given files and report what is still missing."""
    overwrite = "--overwrite" in argv
    files = [a for a in argv if not a.startswith("--")]
    translations: dict = {}
    for f in files:
        translations.update(runpy.run_path(f)["ES"])
    with CATALOGUE.open("rb") as fh:
        catalog = read_po(fh)
    unknown = [k for k in translations if catalog.get(k) is None]
    filled = 0
    for message in catalog:
        # Plural entries are keyed by their singular and given a (singular, plural) tuple.
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key and key in translations:
            empty = not message.string or (
                isinstance(message.string, tuple) and not all(message.string)
            )
            if overwrite or empty or message.fuzzy:
                value = translations[key]
                if isinstance(value, tuple):  # fill every plural form the language has
                    value = value + (value[-1],) * (catalog.num_plurals - len(value))
                message.string = value
                message.flags.discard("fuzzy")
                filled += 1
    with CATALOGUE.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    missing = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    print(f"filled {filled}; unknown msgids {len(unknown)}; still missing {len(missing)}")
    for m in missing:
        print("  missing:", repr(m))
    for u in unknown:
        print("  unknown:", repr(u))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
