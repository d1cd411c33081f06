"""The OpenAPI 3.1 description of the door API, served at /api/v1/openapi.json.

The document is also the API's request validation: the views check each body against its
schema here (``request_errors``), so what the document says is what the API accepts. Its
response schemas are checked against real answers by the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from eventsvc.checkin.models import CheckInResult

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {
            "type": "string",
            "description": "Machine-readable code: bad_request, csrf_failed, duplicate_scan_id, "
            "not_undoable (400); unauthorized (401); door_expired, door_revoked, door_unknown, "
            "wrong_door (403); not_found (404); method_not_allowed (405); rate_limited (429).",
        },
        "message": {"type": "string", "description": "The same in the caller's language."},
    },
}

#: Ids are PostgreSQL integers.
_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": _ID}

_ERRORS = {
    "400": {
        "description": "Malformed request: not a JSON object (or larger than 16 kB, or nested "
        "too deep), a field of the wrong type or out of range, a scan id reused for another "
        "ticket, a check-in that cannot be undone, or a missing CSRF token",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "401": {
        "description": "No door token and no staff session",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "403": {
        "description": "Door link expired, revoked, unknown, or for another event",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "404": {
        "description": "No such event (staff session)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "429": {
        "description": "Too many failed look-ups of door links (403 and 404 answers) from this "
        "client address; the Retry-After header says in how many seconds to try again",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
}

_UNDONE = {
    "type": "object",
    "required": ["result", "scan_id", "ticket_id"],
    "properties": {
        "result": {"const": "undone"},
        "scan_id": _ID,
        "ticket_id": {"type": ["integer", "null"]},
    },
}

_SEARCH_RESULTS = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rsvp_id", "name", "party_size", "status", "tickets"],
                "properties": {
                    "rsvp_id": {"type": "integer"},
                    "name": {"type": "string"},
                    "party_size": {"type": "integer", "minimum": 1},
                    "status": {"enum": ["confirmed", "waitlisted"]},
                    "tickets": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ticket_id", "position", "checked_in"],
                            "properties": {
                                "ticket_id": {"type": "integer"},
                                "position": {"type": "integer", "minimum": 1},
                                "checked_in": {"type": "boolean"},
                                "checked_in_time": {"type": ["string", "null"]},
                            },
                        },
                    },
                },
            },
        }
    },
}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "eventsvc door API",
        "version": "1",
        "description": (
            "Check-in at the door. Authenticate with the door link's token in the X-Door-Token "
            "header (the token is the last part of /door/<token>), or with a logged-in staff "
            "session cookie plus its CSRF token in X-CSRFToken. Every scan is logged. Verdicts "
            "are answers, not errors: a refused ticket is a 200 with ok=false and a result code. "
            "Every error is a JSON object with a code and a message in the caller's language "
            "(Accept-Language)."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {
            "doorToken": {"type": "apiKey", "in": "header", "name": "X-Door-Token"},
            "staffSession": {"type": "apiKey", "in": "cookie", "name": "session"},
        },
        "schemas": {
            "Error": _ERROR,
            "CheckInRequest": {
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "maxLength": 512,
                        "description": "The scanned QR text.",
                    },
                    "ticket_id": {
                        **_ID,
                        "description": "A ticket picked from a name search.",
                    },
                    "client_scan_id": {
                        "type": "string",
                        "minLength": 8,
                        "maxLength": 64,
                        "pattern": "^[A-Za-z0-9_.:-]{8,64}$",
                        "description": "Made by the scanner for each scan (a UUID); a retry "
                        "with the same id is the same scan and gets the first answer again.",
                    },
                    "scanned_at": {
                        "type": "string",
                        "format": "date-time",
                        "maxLength": 64,
                        "description": "When the device scanned, with its offset. A time more "
                        "than 30 days before or 1 day after the server's is not believed: the "
                        "scan is logged at the time the server received it.",
                    },
                },
                "oneOf": [{"required": ["code"]}, {"required": ["ticket_id"]}],
            },
            "Verdict": {
                "type": "object",
                "required": ["result", "ok", "message"],
                "properties": {
                    "result": {
                        "type": "string",
                        "enum": [result.value for result in CheckInResult],
                        "description": "ok: let them in; already_checked_in: used before "
                        "(checked_in_at, door); invalid: not a code we signed; other_event; "
                        "unknown: no such ticket; cancelled: the RSVP or the event was "
                        "cancelled; replaced: an older code of a re-issued ticket; waitlisted: "
                        "no seat yet; expired: a code of an event whose attendees' data was "
                        "purged.",
                    },
                    "ok": {"type": "boolean"},
                    "message": {"type": "string"},
                    "scan_id": {"type": ["integer", "null"]},
                    "replay": {"type": "boolean"},
                    "ticket_id": {"type": ["integer", "null"]},
                    "attendee": {
                        "type": ["object", "null"],
                        "properties": {
                            "rsvp_id": {"type": "integer"},
                            "name": {"type": "string"},
                            "position": {"type": "integer"},
                            "party_size": {"type": "integer"},
                        },
                    },
                    "checked_in_at": {"type": ["string", "null"], "format": "date-time"},
                    "checked_in_time": {"type": ["string", "null"]},
                    "door": {"type": ["string", "null"]},
                },
            },
        },
    },
    "security": [{"doorToken": []}, {"staffSession": []}],
    "paths": {
        "/events/{event_id}/checkins": {
            "post": {
                "summary": "Check in one ticket",
                "parameters": [_EVENT_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/CheckInRequest"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The verdict",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Verdict"}}
                        },
                    },
                    **_ERRORS,
                },
            }
        },
        "/events/{event_id}/checkins/{scan_id}/undo": {
            "post": {
                "summary": "Undo an admission",
                "parameters": [
                    _EVENT_ID,
                    {"name": "scan_id", "in": "path", "required": True, "schema": _ID},
                ],
                "responses": {
                    "200": {
                        "description": "Undone",
                        "content": {"application/json": {"schema": _UNDONE}},
                    },
                    **_ERRORS,
                },
            }
        },
        "/events/{event_id}/search": {
            "get": {
                "summary": "Find attendees by name",
                "parameters": [
                    _EVENT_ID,
                    {
                        "name": "q",
                        "in": "query",
                        "required": False,
                        "description": "A name, or part of one; accents and case do not "
                        "matter. Fewer than two letters find nobody.",
                        "schema": {"type": "string", "maxLength": 100},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Matching RSVPs with their tickets",
                        "content": {"application/json": {"schema": _SEARCH_RESULTS}},
                    },
                    **_ERRORS,
                },
            }
        },
        "/events/{event_id}/stats": {
            "get": {
                "summary": "Checked in and confirmed counts",
                "parameters": [_EVENT_ID],
                "responses": {
                    "200": {
                        "description": "Counts",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["checked_in", "confirmed"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "checked_in": {"type": "integer", "minimum": 0},
                                        "confirmed": {"type": "integer", "minimum": 0},
                                    },
                                }
                            }
                        },
                    },
                    **_ERRORS,
                },
            }
        },
    },
}


# --- validation against the document ------------------------------------------------------------


def resolved(node: Any) -> Any:
    """Return a part of the document with every ``#/components/schemas/…`` reference inlined."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            return resolved(OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[1]])
        return {key: resolved(value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(value) for value in node]
    return node


def _is_integer(checker, instance) -> bool:
    # JSON Schema counts 5.0 as an integer; an id is sent as 5, never 5.0, and never as true.
    return isinstance(instance, int) and not isinstance(instance, bool)


def _whole_pattern(validator, pattern: str, instance, schema) -> Iterator[ValidationError]:
    # As in JavaScript (ECMA 262), "$" ends the text: Python's re.search would let a final
    # newline through ("abcdefgh\n" would match "^[a-z]{8}$").
    if validator.is_type(instance, "string") and not re.fullmatch(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 2020-12 (what OpenAPI 3.1 uses) with ids as JSON integers and patterns as JavaScript's.
Validator = validators.extend(
    Draft202012Validator,
    validators={"pattern": _whole_pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@cache
def request_validator(name: str) -> Validator:
    """Return the validator of the request schema called name in the document's components."""
    return Validator(resolved(OPENAPI["components"]["schemas"][name]))


def request_errors(name: str, body: Any) -> list[tuple[str | None, str]]:
    """Return what is wrong with body for the schema called name: (field or None, keyword) pairs.

    A field's keyword is the rule it breaks (type, maxLength, pattern…); None stands for the
    body as a whole (oneOf: neither or both of two alternatives).
    """
    return [
        (str(error.relative_path[0]) if error.relative_path else None, error.validator)
        for error in request_validator(name).iter_errors(body)
    ]


def parameter_errors(path: str, method: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the (parameter, keyword) rules the query values break, for one operation."""
    errors = []
    for parameter in OPENAPI["paths"][path][method]["parameters"]:
        name = parameter["name"]
        if parameter["in"] != "query" or name not in values:
            continue
        validator = Validator(resolved(parameter["schema"]))
        errors += [(name, error.validator) for error in validator.iter_errors(values[name])]
    return errors
