"""The OpenAPI 3.1 description of the door API, served at /api/v1/openapi.json."""

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
                        "enum": [
                            "ok",
                            "already_checked_in",
                            "invalid",
                            "other_event",
                            "unknown",
                            "cancelled",
                            "replaced",
                            "expired",
                        ],
                        "description": "expired: a code of an event whose attendees' data "
                        "was purged.",
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
                "responses": {"200": {"description": "Undone"}, **_ERRORS},
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
                        "required": True,
                        "schema": {"type": "string", "minLength": 2, "maxLength": 100},
                    },
                ],
                "responses": {
                    "200": {"description": "Matching RSVPs with their tickets"},
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
                                    "properties": {
                                        "checked_in": {"type": "integer"},
                                        "confirmed": {"type": "integer"},
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
