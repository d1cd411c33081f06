"""The Spanish catalogue covers every string in the code and the templates."""

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "eventsvc" / "translations" / "es" / "LC_MESSAGES" / "messages.po"


def extract_messages(tmp_path):
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "eventsvc" / "translations" / "babel.cfg"),
            "-k",
            "_l",
            "--ignore-dirs",
            "node_modules .venv tests",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as f:
        return read_po(f)


def test_extraction_finds_the_known_strings(tmp_path):
    ids = {m.id for m in extract_messages(tmp_path) if m.id}
    # From Python (_l in a form), a template, and the error handlers.
    assert {"Password", "Skip to main content", "Page not found"} <= ids


def test_every_message_has_a_spanish_translation(tmp_path):
    template = extract_messages(tmp_path)
    with CATALOGUE.open("rb") as f:
        spanish = read_po(f)
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = spanish.get(message.id)
        strings = translated.string if translated is not None else None
        if isinstance(strings, tuple):
            ok = all(strings)
        else:
            ok = bool(strings)
        if not ok or translated.fuzzy:
            missing.append(message.id)
    assert missing == [], f"untranslated in {CATALOGUE.name}: {missing}"


def test_catalogue_has_no_stale_entries(tmp_path):
    ids = {m.id for m in extract_messages(tmp_path) if m.id}
    with CATALOGUE.open("rb") as f:
        spanish = read_po(f)
    stale = [m.id for m in spanish if m.id and m.id not in ids]
    assert stale == [], f"run `make translations-update`: {stale}"


def test_compiled_catalogue_is_used(client):
    page = client.get("/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Contraseña" in page
    assert "Saltar al contenido principal" in page
