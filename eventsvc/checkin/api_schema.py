"""Check requests against the door API's OpenAPI document, the one place its input rules live.

The views ask here whether a request body or a query parameter keeps the schema the document
(:data:`eventsvc.checkin.openapi.OPENAPI`) declares for it, so what the document says is what the
API accepts. The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12; a ``$ref`` to
``#/components/schemas/…`` names a schema of the document itself. Two rules are JSON's and
JavaScript's rather than Python's, as a scanner (or any client) reads the document: an integer
is written as one (5, never 5.0 or true), and a pattern's ``$`` is the end of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from eventsvc.checkin.openapi import OPENAPI


@dataclass(frozen=True)
class Problem:
    """The first rule of its schema a request breaks.

    field is the top-level property that breaks it (None: the body as a whole); keyword is
    the rule (type, maxLength, oneOf…).
    """

    field: str | None
    keyword: str


def _is_integer(checker, instance) -> bool:
    # JSON Schema counts 5.0 as an integer; an id is sent as 5, and never as true.
    return isinstance(instance, int) and not isinstance(instance, bool)


def _pattern(validator, pattern: str, instance, schema) -> Iterator[ValidationError]:
    # ECMA 262, JSON Schema's dialect: "$" ends the text. Python's "$" also matches before a
    # final newline ("abcdefgh\n" would pass "^[a-z]{8}$"); Python's "\Z" is ECMA's "$".
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    if validator.is_type(instance, "string") and not re.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 2020-12 (OpenAPI 3.1's dialect), integers and patterns as JSON and JavaScript read them.
Validator = validators.extend(
    Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def _inlined(node: Any) -> Any:
    """Return a part of the document with each reference replaced by the schema it names.

    The references are ``#/components/schemas/…`` and none is recursive. Inlined, a schema is
    checked twice as fast as through a ``$ref`` look-up, which matters on a door's hot path.
    """
    if isinstance(node, list):
        return [_inlined(value) for value in node]
    if not isinstance(node, dict):
        return node
    if "$ref" not in node:
        return {key: _inlined(value) for key, value in node.items()}
    prefix = "#/components/schemas/"
    if len(node) > 1 or not node["$ref"].startswith(prefix):
        raise ValueError(f"{node} is not a bare reference to a schema of the document")
    return _inlined(OPENAPI["components"]["schemas"][node["$ref"].removeprefix(prefix)])


@cache
def _schema(*at: str | int) -> tuple[dict, Validator]:
    """Return the schema at a place in the document, inlined, and its validator."""
    node = OPENAPI
    for key in at:
        node = node[key]
    schema = _inlined(node)
    return schema, Validator(schema)


def _document_order(schema: Any, error: ValidationError) -> list[int]:
    """Return where the rule an error breaks is written in its schema, as key positions."""
    position, node = [], schema
    for step in error.schema_path:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        position.append(keys.index(step))
        node = node[step]
    return position


def _first_problem(at: tuple[str | int, ...], instance: Any) -> Problem | None:
    """Return the first rule instance breaks, in the order the document writes them."""
    schema, validator = _schema(*at)
    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    error = min(errors, key=lambda e: _document_order(schema, e))
    return Problem(str(error.path[0]) if error.path else None, str(error.validator))


def body_problem(path: str, method: str, body: Any) -> Problem | None:
    """Return the first rule of the operation's JSON request body schema body breaks, or None."""
    at = ("paths", path, method, "requestBody", "content", "application/json", "schema")
    return _first_problem(at, body)


def query_problem(path: str, method: str, name: str, value: str) -> Problem | None:
    """Return the first rule of the operation's query parameter name that value breaks, or None."""
    parameters = OPENAPI["paths"][path][method]["parameters"]
    [index] = [n for n, p in enumerate(parameters) if p["in"] == "query" and p["name"] == name]
    problem = _first_problem(("paths", path, method, "parameters", index, "schema"), value)
    return None if problem is None else Problem(name, problem.keyword)
