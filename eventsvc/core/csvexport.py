"""CSV files for spreadsheets: a pure builder that returns bytes.

The file is UTF-8 with a byte-order mark, so Excel shows "Aidê" and "Ñ" instead of mojibake, and
uses CRLF line ends (RFC 4180). Spreadsheet programs run a cell that starts with ``=``, ``+``,
``-`` or ``@`` (and, in some versions, a tab or carriage return) as a formula; a member who signs
up as ``=HYPERLINK("http://x","y")`` must open as text, so such text values get a leading
apostrophe, which every spreadsheet shows as plain text (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

BOM = "\ufeff"


def neutralise(value: object) -> str:
    """Return value as cell text that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)  # a number, even a negative one, is data, not a formula
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def build_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return a CSV file (UTF-8 with BOM, CRLF) of header and rows, every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return (BOM + out.getvalue()).encode("utf-8")
