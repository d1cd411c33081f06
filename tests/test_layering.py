"""Arrows only point down: domain code never reaches into the HTTP layer."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "eventsvc"
#: Modules that hold rules or build formats: services, models and the pure builders.
DOMAIN_MODULES = sorted(
    p
    for pattern in ("*/services.py", "*/models.py", "events/display.py", "seed.py")
    for p in PACKAGE.glob(pattern)
)
HTTP_NAMES = {"request", "session", "flash", "redirect", "render_template", "g", "url_for"}


def imported_names(path: Path) -> tuple[set[str], set[str]]:
    modules, names = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            if node.module == "flask":
                names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules, names


def test_domain_modules_are_found():
    assert len(DOMAIN_MODULES) >= 10


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_domain_code_does_not_import_the_http_layer(path):
    modules, flask_names = imported_names(path)
    assert not flask_names & HTTP_NAMES, f"{path.name} uses {flask_names & HTTP_NAMES}"
    assert not {m for m in modules if m.endswith((".views", ".forms")) or m == "flask_wtf"}
