"""The OpenAPI 3.1 description of the door API, served at /api/v1/openapi.json."""

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {
            "type": "string",
            "description": "Machine-readable code, e.g. unauthorized, door_expired, door_revoked, "
            "door_unknown, wrong_door, bad_request, duplicate_scan_id, not_undoable.",
        },
        "message": {"type": "string", "description": "The same in the caller's language."},
    },
}

_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}

_ERRORS = {
    "400": {
        "description": "Malformed request",
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
            "are answers, not errors: a refused ticket is a 200 with ok=false and a result code."
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
                        "type": "integer",
                        "description": "A ticket picked from a name search.",
                    },
                    "client_scan_id": {
                        "type": "string",
                        "minLength": 8,
                        "maxLength": 64,
                        "description": "Made by the scanner for each scan (a UUID); a retry "
                        "with the same id is the same scan and gets the first answer again.",
                    },
                    "scanned_at": {"type": "string", "format": "date-time"},
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
                        ],
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
                    {
                        "name": "scan_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
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
                        "schema": {"type": "string", "minLength": 2},
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
