"""The attendee's own data: what their page and data.json show of their RSVP and its mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from eventsvc.db import utc_now
from eventsvc.extensions import db
from eventsvc.i18n import _l
from eventsvc.mail.models import OutboxMessage
from eventsvc.rsvps.models import Rsvp

#: What each message was about, as the attendee's own data shows it (page and data.json). The
#: message sent when the RSVP was made is "rsvp_made" whatever it said (confirmation, waitlist,
#: or the notice to the holder of a taken email): the RSVP's page must read the same either way.
MESSAGE_ABOUT = {
    "rsvp_confirmed": "rsvp_made",
    "rsvp_waitlisted": "rsvp_made",
    "rsvp_shared_address": "rsvp_made",
    "rsvp_promoted": "promoted",
    "rsvp_updated": "updated",
    "rsvp_cancelled": "cancelled",
    "rsvp_reminder": "reminder",
    "rsvp_event_changed": "event_changed",
    "rsvp_links": "links",
}


#: Titles of MESSAGE_ABOUT's values on the attendee's page.
MESSAGE_TITLES = {
    "rsvp_made": _l("Your RSVP"),
    "promoted": _l("You got seats"),
    "updated": _l("Your RSVP changed"),
    "cancelled": _l("Your RSVP was cancelled"),
    "reminder": _l("Reminder"),
    "event_changed": _l("The event changed"),
    "event_cancelled": _l("The event was cancelled"),
    "event_message": _l("Message from the organisers"),
    "links": _l("Your links, sent again"),
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def own_messages(rsvp: Rsvp) -> list[tuple[str, OutboxMessage]]:
    """Return the messages sent to the RSVP's address about it, oldest first, with what about.

    "What about" is a value of :data:`MESSAGE_ABOUT` (the kind itself for other kinds).
    """
    if not rsvp.email:
        return []
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.rsvp_id == rsvp.id, OutboxMessage.to_address == rsvp.email)
        .order_by(OutboxMessage.created_dt, OutboxMessage.id)
    ).all()
    return [(MESSAGE_ABOUT.get(m.kind, m.kind), m) for m in messages]


def personal_data(rsvp: Rsvp) -> dict[str, Any]:
    """Return everything stored about this RSVP (only this one), for its owner to see and take.

    Keys of the dict (data.json): ``name``, ``email``, ``phone`` (E.164), ``language``,
    ``party_size``, ``status`` (confirmed / waitlisted / cancelled), ``created``, ``updated``,
    ``waitlisted``, ``cancelled`` (ISO 8601 UTC or null), ``access_needs``,
    ``interpretation_request``, ``consent_contact`` (bool: reminders and updates),
    ``event`` (``slug``, ``title``, ``start``, ``end``), ``tickets`` (per person: ``position``,
    ``status`` active / void, ``checked_in`` time or null, ``door`` label or null) and
    ``messages`` (the emails sent to this RSVP's address about it: ``kind`` from
    :data:`MESSAGE_ABOUT`'s values, ``created``, ``sent``, ``status`` pending / sent / failed).
    A message this RSVP caused to another address (the notice to the holder of a phone it
    shared) is that person's data and is not listed.
    """
    event = rsvp.event
    return {
        "name": rsvp.name,
        "email": rsvp.email,
        "phone": rsvp.phone,
        "language": rsvp.language,
        "party_size": rsvp.party_size,
        "status": rsvp.status.value,
        "created": _iso(rsvp.created_dt),
        "updated": _iso(rsvp.updated_dt),
        "waitlisted": _iso(rsvp.waitlisted_dt),
        "cancelled": _iso(rsvp.cancelled_dt),
        "access_needs": rsvp.access_needs,
        "interpretation_request": rsvp.interpretation_request,
        "consent_contact": rsvp.consent_contact,
        "event": {
            "slug": event.slug,
            "title": event.title(rsvp.language),
            "start": _iso(event.start_dt),
            "end": _iso(event.end_dt),
        },
        "tickets": [
            {
                "position": t.position,
                "status": t.status.value,
                "checked_in": _iso(t.checked_in_dt),
                "door": t.checked_in_door.label if t.checked_in_door else None,
            }
            for t in rsvp.tickets
        ],
        "messages": [
            {
                "kind": about,
                "created": _iso(m.created_dt),
                "sent": _iso(m.sent_dt),
                "status": m.status.value,
            }
            for about, m in own_messages(rsvp)
        ],
    }


def is_read_only(rsvp: Rsvp, now: datetime | None = None) -> bool:
    """Return whether the RSVP's page only shows it: its event is over (until the purge)."""
    return rsvp.event.has_ended(now or utc_now())
