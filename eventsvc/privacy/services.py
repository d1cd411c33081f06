"""The retention purge: personal data goes once it is no longer needed; counts stay.

What goes, and when (README, "Personal data"):

- ``RSVP_PURGE_DAYS`` after an event ends (cancelled events too): every RSVP loses its name,
  email, phone, access needs, interpretation answer and consent; its private links (manage,
  feed, "not me") and its form key are erased — the salts and hashes are replaced by random
  values nobody holds, since the columns are unique; every ticket gets a new random secret, so
  an old QR code matches nothing (the door answers "expired" from ``Event.purged_dt``); the
  RSVPs' outbox messages are deleted. Statuses, party sizes, tickets' check-in times and doors
  and the scan log stay: the counts per status, door and quarter hour.
- ``MEMBER_UNCONFIRMED_DAYS`` after a sign-up that was never confirmed: the member row and its
  messages are deleted (such a person never became a member, so no count needs them).
- ``TRIBUTE_REJECTED_DAYS`` after a tribute was rejected: the tribute and its photo file.

One run is one transaction, committed by the caller (``flask eventsvc purge``). It is
idempotent: a second run finds nothing due and changes nothing. Each run writes one audit row
with the counts only.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.membership.models import Member, MemberStatus
from eventsvc.memorial.models import Tribute, TributeStatus
from eventsvc.memorial.services import delete_photo
from eventsvc.rsvps.models import Rsvp, Ticket
from eventsvc.security import token_hash

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    """What one run of the purge erased; all zeros when nothing was due."""

    events: int = 0
    rsvps: int = 0
    tickets: int = 0
    messages: int = 0
    members: int = 0
    tributes: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in asdict(self).items())


def purge_personal_data(*, now: datetime | None = None) -> PurgeReport:
    """Erase the personal data whose time is up (see the module docstring); audit the counts."""
    now = now or utc_now()
    config = current_app.config
    rsvps, tickets, messages, events = _purge_events(
        now - timedelta(days=config["RSVP_PURGE_DAYS"]), now
    )
    members = _purge_unconfirmed_members(now - timedelta(days=config["MEMBER_UNCONFIRMED_DAYS"]))
    tributes = _purge_rejected_tributes(now - timedelta(days=config["TRIBUTE_REJECTED_DAYS"]))
    report = PurgeReport(events, rsvps, tickets, messages, members, tributes)
    record_audit("privacy.purge", actor_label="system", details=asdict(report))
    db.session.flush()
    logger.info("Retention purge: %s", report)
    return report


def _unguessable_hash() -> str:
    """Return the hash of a secret nobody holds: an erased link that still fills a unique column."""
    return token_hash(secrets.token_urlsafe(24))


def _purge_events(ended_before: datetime, now: datetime) -> tuple[int, int, int, int]:
    """Erase the attendees of every event that ended before ended_before and is not purged yet.

    Return the RSVPs, tickets and messages erased, and the events purged.
    """
    events = db.session.scalars(
        select(Event).where(Event.end_dt < ended_before, Event.purged_dt.is_(None))
    ).all()
    rsvps = tickets = messages = 0
    for event in events:
        rsvp_ids = list(db.session.scalars(select(Rsvp.id).where(Rsvp.event_id == event.id)))
        if rsvp_ids:
            db.session.execute(
                update(Rsvp),
                [
                    {
                        "id": rsvp_id,
                        "name": "",
                        "email": None,
                        "phone": None,
                        "access_needs": "",
                        "interpretation_request": "",
                        "consent_contact": False,
                        "submission_key": None,
                        "disown_token_hash": None,
                        "manage_token_salt": secrets.token_hex(16),
                        "manage_token_hash": _unguessable_hash(),
                        "feed_token_salt": secrets.token_hex(16),
                        "feed_token_hash": _unguessable_hash(),
                        "is_anonymised": True,
                    }
                    for rsvp_id in rsvp_ids
                ],
            )
            db.session.execute(
                update(Rsvp)
                .where(Rsvp.event_id == event.id, Rsvp.anonymised_dt.is_(None))
                .values(anonymised_dt=now)
                .execution_options(synchronize_session=False)
            )
            ticket_ids = list(
                db.session.scalars(select(Ticket.id).where(Ticket.event_id == event.id))
            )
            if ticket_ids:
                db.session.execute(
                    update(Ticket),
                    [
                        {"id": ticket_id, "secret": secrets.token_hex(32)}
                        for ticket_id in ticket_ids
                    ],
                )
            messages += db.session.execute(
                delete(OutboxMessage)
                .where(OutboxMessage.rsvp_id.in_(rsvp_ids))
                .execution_options(synchronize_session=False)
            ).rowcount
            rsvps += len(rsvp_ids)
            tickets += len(ticket_ids)
        event.purged_dt = now
        db.session.flush()
        logger.info("Event %s: personal data of %d RSVPs purged", event.id, len(rsvp_ids))
    return rsvps, tickets, messages, len(events)


def _purge_unconfirmed_members(signed_up_before: datetime) -> int:
    """Delete the sign-ups older than signed_up_before never confirmed, and their mail."""
    ids = list(
        db.session.scalars(
            select(Member.id).where(
                Member.status == MemberStatus.pending, Member.created_dt < signed_up_before
            )
        )
    )
    if not ids:
        return 0
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.member_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Member).where(Member.id.in_(ids)).execution_options(synchronize_session=False)
    )
    return len(ids)


def _purge_rejected_tributes(rejected_before: datetime) -> int:
    """Delete the tributes rejected before rejected_before, and their photo files."""
    tributes = db.session.scalars(
        select(Tribute).where(
            Tribute.status == TributeStatus.rejected, Tribute.moderated_dt < rejected_before
        )
    ).all()
    for tribute in tributes:
        photo = tribute.photo_path
        db.session.delete(tribute)
        delete_photo(photo)
    return len(tributes)
