"""The code's shape: arrows only point down, no import cycle, no module too big to read.

Domain code never reaches into the HTTP layer; the outbox (``mail``) knows no domain; no view
module leans on another; no two modules import each other, directly or round a longer loop.
An import inside a function counts (it is only a cycle hidden from the reader); an import
under ``if TYPE_CHECKING:`` does not (it never runs).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "eventsvc"
#: The HTTP layer: views, forms, the event page shared by two views, the back office.
HTTP_LAYER = {"views.py", "forms.py", "pages.py", "blueprint.py"}
#: Modules that hold rules or build formats: everything in a domain package outside the HTTP
#: layer, and the seed data.
DOMAIN_MODULES = sorted(
    [
        p
        for p in PACKAGE.glob("*/*.py")
        if p.parent.name not in {"admin", "translations"}
        and p.name not in HTTP_LAYER
        and p.name != "__init__.py"
    ]
    + [PACKAGE / "seed.py"]
)
HTTP_NAMES = {"request", "session", "flash", "redirect", "render_template", "g", "url_for"}
#: The longest a module may grow before it holds more than one concern.
MAX_LINES = 600
#: What the outbox may not know about: it delivers, the domains decide what to say.
DOMAINS = ("events", "rsvps", "checkin", "membership", "memorial", "auth", "admin", "site")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    return skipped


def imports_of(path: Path) -> set[str]:
    """Return the eventsvc modules path imports, at any depth, TYPE_CHECKING aside."""
    return imports_in(path.read_text(), module_name(path), is_package=path.name == "__init__.py")


def imports_in(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Return the eventsvc modules source (the code of module) imports, TYPE_CHECKING aside."""
    tree = ast.parse(source)
    skipped = _type_checking_nodes(tree)
    here = module.split(".")
    package = here if is_package else here[:-1]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for name in candidates:
            while name and name not in MODULES and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in MODULES and name != module:
                found.add(name)
    return found


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


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


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the import cycles of graph: its strongly connected parts of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.get(module, ()):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            part = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                part.append(other)
                if other == module:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_domain_modules_are_found():
    assert len(DOMAIN_MODULES) >= 30
    assert PACKAGE / "rsvps" / "seats.py" in DOMAIN_MODULES


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_domain_code_does_not_import_the_http_layer(path):
    modules, flask_names = imported_names(path)
    assert not flask_names & HTTP_NAMES, f"{path.name} uses {flask_names & HTTP_NAMES}"
    assert not {
        m for m in modules if m.endswith((".views", ".forms", ".pages")) or m == "flask_wtf"
    }
    assert "eventsvc.web" not in modules


def test_no_import_cycle():
    assert cycles(GRAPH) == []


def test_the_cycle_finder_sees_a_cycle_through_an_import_inside_a_function():
    # The check above proves nothing unless the finder sees the kind of cycle it forbids.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from eventsvc.app import create_app\n"
        "def f():\n    from .services import submit_rsvp\n"
    )
    assert imports_in(source, "eventsvc.rsvps.views") == {"eventsvc.rsvps.services"}


@pytest.mark.parametrize("name", sorted(MODULES), ids=str)
def test_no_module_is_over_the_size_limit(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by concern"


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if n.startswith("eventsvc.mail")), ids=str
)
def test_the_outbox_imports_no_domain(name):
    domains = {m for m in GRAPH[name] if m.split(".")[1] in DOMAINS}
    assert not domains, f"{name} imports {domains}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.endswith(".views")), ids=str)
def test_no_views_module_imports_another(name):
    assert not {m for m in GRAPH[name] if m.endswith(".views")}


def test_the_application_factory_only_assembles():
    # app.py wires the parts together; the HTTP helpers live in web.py, which imports no domain.
    assert not {m for m in GRAPH["eventsvc.web"] if m.split(".")[1] in DOMAINS}
    assert {name for name, deps in GRAPH.items() if "eventsvc.app" in deps} == {"eventsvc"}


#: The domains from the bottom up: a domain's rules use those below it, never those above
#: (their models aside: tables may point both ways, as an RSVP's event and an event's RSVPs).
LAYERS = ("core", "mail", "events", "rsvps", "checkin")


@pytest.mark.parametrize(
    "path",
    [p for p in DOMAIN_MODULES if p.parent.name in LAYERS],
    ids=lambda p: p.parent.name + "/" + p.name,
)
def test_domain_rules_only_use_the_domains_below(path):
    layer = LAYERS.index(path.parent.name)
    above = {
        m
        for m in GRAPH[module_name(path)]
        if m.split(".")[1] in LAYERS[layer + 1 :] and not m.endswith(".models")
    }
    assert not above, f"{module_name(path)} reaches up into {above}"
