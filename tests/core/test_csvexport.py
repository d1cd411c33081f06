"""The CSV builder: parsed back, every text cell is the text it was, and none is a formula."""

import csv
import io

import pytest

from eventsvc.core.csvexport import build_csv


def parse(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_round_trip_keeps_text_commas_quotes_newlines_and_accents():
    rows = [[1, "Aidê Arana", 'say "hola", ok', "line1\nline2", None, True]]
    body = build_csv(["id", "name", "note", "text", "empty", "flag"], rows)
    assert b"\r\n" in body
    assert parse(body) == [
        ["id", "name", "note", "text", "empty", "flag"],
        ["1", "Aidê Arana", 'say "hola", ok', "line1\nline2", "", "yes"],
    ]


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=1+1"],
)
def test_formula_cells_open_as_text(value):
    [_, [cell]] = parse(build_csv(["v"], [[value]]))
    assert cell == "'" + value


def test_numbers_and_ordinary_text_are_left_alone():
    [_, row] = parse(build_csv(["a", "b", "c"], [[-5, "a=b", "+19093614588 "]]))
    assert row[0] == "-5" and row[1] == "a=b"
    assert row[2] == "'+19093614588 "  # text starting with + is neutralised, even a phone


def test_header_cells_are_neutralised_too():
    [[cell]] = parse(build_csv(["=cmd"], []))
    assert cell == "'=cmd"
