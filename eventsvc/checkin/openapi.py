"""The OpenAPI 3.1 description of the door API, served at /api/v1/openapi.json.

The document is the API's contract both ways: the views check each request against the schema
it declares here (:mod:`eventsvc.checkin.api_schema`), so what it says is what the API accepts,
and tests/checkin/test_openapi.py checks real answers against its response schemas.
"""

from eventsvc.checkin.models import CheckInResult

#: Ids are PostgreSQL integers.
_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": _ID}


def _json(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _not_null(field: str) -> dict:
    return {"required": [field], "properties": {field: {"not": {"type": "null"}}}}


#: The error answers every operation may give, after its own 400s.
_ERRORS = {
    "401": {"description": "No door token and no staff session", "content": _json("Error")},
    "403": {
        "description": "Door link expired, revoked, unknown, or for another event; or its "
        "event cancelled (event_cancelled) or not published (event_draft)",
        "content": _json("Error"),
    },
    "404": {"description": "No such event (staff session)", "content": _json("Error")},
    "429": {
        "description": "Too many failed look-ups of door links (403 and 404 answers) from this "
        "client address; the Retry-After header says in how many seconds to try again",
        "headers": {"Retry-After": {"required": True, "schema": {"type": "integer"}}},
        "content": _json("Error"),
    },
}
#: A POST's body is read as a form first when it is not JSON: past 300 fields, 413.
_TOO_LARGE = {
    "413": {
        "description": "A form body (this API reads JSON) with more than 300 fields, or larger "
        "than the site's upload limit",
        "content": _json("Error"),
    }
}


def _bad_request(description: str) -> dict:
    return {"400": {"description": description, "content": _json("Error")}}


_SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "string",
                "description": "Machine-readable code: bad_request, closed, csrf_failed, "
                "duplicate_scan_id, not_admitted, not_undoable, party_too_large (400); "
                "unauthorized (401); door_expired, door_revoked, door_unknown, event_cancelled, "
                "event_draft, wrong_door (403); not_found (404); method_not_allowed (405); "
                "full (409); too_large (413); rate_limited (429).",
            },
            "message": {"type": "string", "description": "The same in the caller's language."},
        },
    },
    "CheckInRequest": {
        "type": "object",
        "description": "Either a code or a ticket_id. A field sent as null counts as absent; "
        "fields not listed here are ignored. Ids are JSON integers: 5, not 5.0.",
        "oneOf": [_not_null("code"), _not_null("ticket_id")],
        "properties": {
            "code": {
                "type": ["string", "null"],
                "maxLength": 512,
                "description": "The scanned QR text.",
            },
            "ticket_id": {
                **_ID,
                "type": ["integer", "null"],
                "description": "A ticket picked from a name search.",
            },
            "client_scan_id": {
                "type": ["string", "null"],
                "minLength": 8,
                "maxLength": 64,
                "pattern": "^[A-Za-z0-9_.:-]*$",
                "description": "Made by the scanner for each scan (a UUID); a retry with the "
                "same id is the same scan and gets the first answer again.",
            },
            "scanned_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "maxLength": 64,
                "pattern": "^[ -~]*$",
                "description": "When the device scanned: an ISO 8601 time with its offset, like "
                "2026-07-04T19:30:00Z. A time more than 30 days before or 1 day after the "
                "server's is not believed: the scan is logged at the time the server received "
                "it.",
            },
            "sent_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "maxLength": 64,
                "pattern": "^[ -~]*$",
                "description": "The device's clock when it sent this request. A device more "
                "than 5 minutes off has its scanned_at corrected by the difference, and the "
                "scan is flagged for the organisers.",
            },
            "offline": {
                "type": ["boolean", "null"],
                "description": "true: the scanner already let the holder in while offline "
                "(from its snapshot). Refused now, the scan is logged as a conflict.",
            },
            "confirm_day": {
                "type": ["boolean", "null"],
                "description": "true: the volunteer confirmed a scan outside the event's day "
                "(after a wrong_day answer).",
            },
        },
    },
    "Verdict": {
        "type": "object",
        "required": [
            "result",
            "ok",
            "message",
            "scan_id",
            "replay",
            "ticket_id",
            "attendee",
            "checked_in_at",
            "checked_in_time",
            "door",
        ],
        "additionalProperties": False,
        "properties": {
            "result": {
                "type": "string",
                "enum": [result.value for result in CheckInResult],
                "description": "ok: let them in; already_checked_in: used before "
                "(checked_in_at, door); invalid: not a code we signed; other_event; unknown: no "
                "such ticket; cancelled: the RSVP or the event was cancelled; replaced: an older "
                "code of a re-issued ticket; waitlisted: no seat yet; expired: a code of an "
                "event whose attendees' data was purged; wrong_day: a scan outside the event's "
                "day (day), nothing done: send it again with confirm_day to admit.",
            },
            "ok": {"type": "boolean"},
            "message": {"type": "string"},
            "scan_id": {
                "type": ["integer", "null"],
                "description": "The scan's log entry (to undo an admission); null on a retry "
                "of a refused scan.",
            },
            "replay": {
                "type": "boolean",
                "description": "A retry of an earlier scan (the same client_scan_id): the "
                "first answer again, nothing changed.",
            },
            "ticket_id": {"type": ["integer", "null"]},
            "attendee": {
                "type": ["object", "null"],
                "required": ["rsvp_id", "name", "position", "party_size"],
                "additionalProperties": False,
                "properties": {
                    "rsvp_id": {"type": "integer"},
                    "name": {"type": "string"},
                    "position": {"type": "integer", "minimum": 1},
                    "party_size": {"type": "integer", "minimum": 1},
                },
            },
            "checked_in_at": {"type": ["string", "null"], "format": "date-time"},
            "checked_in_time": {
                "type": ["string", "null"],
                "description": "checked_in_at in the event's time zone and the caller's "
                "language, like 7:30 PM.",
            },
            "door": {"type": ["string", "null"]},
            "first_name": {
                "type": ["string", "null"],
                "description": "With already_checked_in: the first word of the holder's name, "
                "so the volunteer can ask who came in before (the message says it too).",
            },
            "conflict": {
                "type": "boolean",
                "description": "An offline admission (offline: true) that the server refused: "
                "both scans are logged and organisers see the conflict.",
            },
            "day": {
                "type": ["string", "null"],
                "description": "With wrong_day: the event's day, like Thu, Dec 10.",
            },
        },
    },
    "Snapshot": {
        "type": "object",
        "required": ["event_id", "revision", "full", "count", "window", "tickets"],
        "additionalProperties": False,
        "properties": {
            "event_id": _ID,
            "revision": {
                "type": "string",
                "description": "Send it back as since= to get only what changed after it.",
            },
            "full": {
                "type": "boolean",
                "description": "true: every ticket of the event (replace your copy); false: "
                "the tickets changed since the revision asked for (merge them).",
            },
            "count": {
                "type": "integer",
                "minimum": 0,
                "description": "How many tickets the event has: holding more after a merge "
                "means one was deleted; ask again without since.",
            },
            "window": {
                "type": "object",
                "required": ["opens_at", "closes_at", "day"],
                "additionalProperties": False,
                "properties": {
                    "opens_at": {"type": "string", "format": "date-time"},
                    "closes_at": {"type": "string", "format": "date-time"},
                    "day": {"type": "string"},
                },
                "description": "Outside it, a scan asks the volunteer to confirm.",
            },
            "tickets": {
                "type": "array",
                "description": "[ticket id, fingerprint (first 8 hex digits of SHA-256 over "
                "the code's 6-byte seed), state, checked in at (Unix seconds, 0: not in)]. No "
                "names.",
                "items": {
                    "type": "array",
                    "prefixItems": [
                        {"type": "integer"},
                        {"type": "string", "pattern": "^[0-9a-f]{8}$"},
                        {"enum": ["valid", "void", "cancelled", "waitlisted"]},
                        {"type": "integer", "minimum": 0},
                    ],
                    "items": False,
                    "minItems": 4,
                },
            },
        },
    },
    "WalkInRequest": {
        "type": "object",
        "description": "A party that came without an RSVP: added with no email or phone and "
        "admitted at once. Fields not listed here are ignored.",
        "required": ["party_size", "client_scan_id"],
        "properties": {
            "party_size": {
                "type": "integer",
                "minimum": 1,
                "maximum": 20,
                "description": "How many people; the event's own limit of a party applies too "
                "(party_too_large).",
            },
            "client_scan_id": {
                "type": "string",
                "minLength": 8,
                "maxLength": 64,
                "pattern": "^[A-Za-z0-9_.:-]*$",
                "description": "Made by the scanner for each walk-in (a UUID); sent again, it "
                "is the same walk-in and gets the first answer again.",
            },
            "first_name": {
                "type": ["string", "null"],
                "maxLength": 60,
                "pattern": "^[^\\u0000-\\u001f\\u007f]*$",
                "description": "If the guest gives one; the party is added as Walk-in "
                "otherwise. No control characters.",
            },
            "scanned_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "maxLength": 64,
                "pattern": "^[ -~]*$",
                "description": "When the volunteer pressed Admit, as in a check-in.",
            },
            "sent_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "maxLength": 64,
                "pattern": "^[ -~]*$",
                "description": "The device's clock when it sent this request, as in a check-in.",
            },
        },
    },
    "WalkIn": {
        "type": "object",
        "required": ["result", "ok", "message", "scan_id", "party_size", "replay"],
        "additionalProperties": False,
        "properties": {
            "result": {"const": "ok"},
            "ok": {"const": True},
            "message": {"type": "string"},
            "scan_id": {
                "type": ["integer", "null"],
                "description": "The first person's admission in the scan log.",
            },
            "party_size": {"type": "integer", "minimum": 1},
            "replay": {
                "type": "boolean",
                "description": "The same walk-in sent again (the same client_scan_id): the "
                "first answer again, nobody added twice.",
            },
        },
    },
    "Undone": {
        "type": "object",
        "required": ["result", "scan_id", "ticket_id"],
        "additionalProperties": False,
        "properties": {
            "result": {"const": "undone"},
            "scan_id": _ID,
            "ticket_id": {"type": ["integer", "null"]},
        },
    },
    "SearchResults": {
        "type": "object",
        "required": ["results"],
        "additionalProperties": False,
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rsvp_id", "name", "party_size", "status", "tickets"],
                    "additionalProperties": False,
                    "properties": {
                        "rsvp_id": {"type": "integer"},
                        "name": {"type": "string"},
                        "party_size": {"type": "integer", "minimum": 1},
                        "status": {"enum": ["confirmed", "waitlisted"]},
                        "tickets": {
                            "type": "array",
                            "description": "The party's tickets that admit someone.",
                            "items": {
                                "type": "object",
                                "required": [
                                    "ticket_id",
                                    "position",
                                    "checked_in",
                                    "checked_in_time",
                                ],
                                "additionalProperties": False,
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
    },
    "Stats": {
        "type": "object",
        "required": ["checked_in", "confirmed"],
        "additionalProperties": False,
        "properties": {
            "checked_in": {"type": "integer", "minimum": 0},
            "confirmed": {"type": "integer", "minimum": 0},
        },
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
        "schemas": _SCHEMAS,
    },
    "security": [{"doorToken": []}, {"staffSession": []}],
    "paths": {
        "/events/{event_id}/checkins": {
            "post": {
                "summary": "Check in one ticket",
                "parameters": [_EVENT_ID],
                "requestBody": {"required": True, "content": _json("CheckInRequest")},
                "responses": {
                    "200": {"description": "The verdict", "content": _json("Verdict")},
                    **_bad_request(
                        "A body that is not a JSON object (or larger than 16 kB, or nested too "
                        "deep) or breaks CheckInRequest (bad_request), a scan id reused for "
                        "another ticket (duplicate_scan_id), or a staff session's missing CSRF "
                        "token (csrf_failed)"
                    ),
                    **_ERRORS,
                    **_TOO_LARGE,
                },
            }
        },
        "/events/{event_id}/walkins": {
            "post": {
                "summary": "Add and admit a walk-in party (no RSVP, no email, no phone)",
                "parameters": [_EVENT_ID],
                "requestBody": {"required": True, "content": _json("WalkInRequest")},
                "responses": {
                    "200": {"description": "Admitted", "content": _json("WalkIn")},
                    **_bad_request(
                        "A body that is not a JSON object or breaks WalkInRequest "
                        "(bad_request), a party larger than the event allows (party_too_large), "
                        "an event that is over or whose doors do not open yet (closed), a scan "
                        "id used by something else (duplicate_scan_id), or a staff session's "
                        "missing CSRF token (csrf_failed)"
                    ),
                    "409": {
                        "description": "No seat for the party: the event is full or people are "
                        "waiting for seats (full)",
                        "content": _json("Error"),
                    },
                    **_ERRORS,
                    **_TOO_LARGE,
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
                    "200": {"description": "Undone", "content": _json("Undone")},
                    **_bad_request(
                        "Not an admission of this event, or undone already (not_undoable), or "
                        "a staff session's missing CSRF token (csrf_failed)"
                    ),
                    **_ERRORS,
                    **_TOO_LARGE,
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
                        "content": _json("SearchResults"),
                    },
                    **_bad_request("A search of more than 100 characters (bad_request)"),
                    **_ERRORS,
                },
            }
        },
        "/events/{event_id}/snapshot": {
            "get": {
                "summary": "What the scanner needs to judge tickets offline (no names)",
                "parameters": [
                    _EVENT_ID,
                    {
                        "name": "since",
                        "in": "query",
                        "required": False,
                        "description": "The revision of the copy the scanner holds: only the "
                        "tickets changed since are sent.",
                        "schema": {"type": "string", "maxLength": 64, "pattern": "^[ -~]*$"},
                    },
                    {
                        "name": "If-None-Match",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The snapshot, with its ETag",
                        "content": _json("Snapshot"),
                    },
                    "304": {"description": "The scanner's copy is current"},
                    **_bad_request("A since of more than 64 characters (bad_request)"),
                    **_ERRORS,
                },
            }
        },
        "/events/{event_id}/stats": {
            "get": {
                "summary": "Checked in and confirmed counts",
                "parameters": [_EVENT_ID],
                "responses": {
                    "200": {"description": "Counts", "content": _json("Stats")},
                    **_ERRORS,
                },
            }
        },
    },
}
