"""Door passes for volunteers, and the log of every scan at the door."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.db import UTCDateTime, utc_now
from eventsvc.extensions import db

if TYPE_CHECKING:
    from eventsvc.auth.models import StaffUser
    from eventsvc.events.models import Event
    from eventsvc.rsvps.models import Ticket


class CheckInResult(StrEnum):
    """What one scan answered: the API's ``result``, the scanner's verdict, the scan log's code.

    Each member's name is its value, as stored and as sent.
    """

    #: Valid: let them in.
    ok = "ok"
    #: The ticket was used already (the answer says when, at which door).
    already_checked_in = "already_checked_in"
    #: Not a code we signed (damaged, forged, another system's).
    invalid = "invalid"
    #: A real ticket of another event.
    other_event = "other_event"
    #: Signed by us, but no such ticket.
    unknown = "unknown"
    #: The RSVP or the event was cancelled: the ticket admits nobody.
    cancelled = "cancelled"
    #: An old code: the ticket was re-issued and a newer code sent.
    replaced = "replaced"
    #: The party is on the waiting list: no seat yet.
    waitlisted = "waitlisted"
    #: A code of an event whose attendees' data was purged.
    expired = "expired"
    #: Outside the event's day (before its doors open, after its door links end): nothing is
    #: done or logged until the volunteer confirms and the scan comes again with confirm_day.
    wrong_day = "wrong_day"


class DoorPass(db.Model):
    """A link that opens the scanner of one event at one door, without an account."""

    __tablename__ = "door_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Shown to the volunteer and in "already checked in at …", e.g. "Main entrance".
    label: Mapped[str] = mapped_column(String(80))
    #: sha256 hex of the secret in the door link (/door/<token>).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Random; the link's token is an HMAC of it under the app's secret key, so organisers can
    #: show the link and its QR again while the database alone cannot make one.
    token_salt: Mapped[str] = mapped_column(String(32))
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: Last time a scanner used this pass; lets organisers see which doors are live.
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="door_passes")
    created_by: Mapped[StaffUser | None] = relationship()
    check_ins: Mapped[list[CheckIn]] = relationship(
        back_populates="door_pass", passive_deletes=True
    )

    def is_valid(self, now: datetime) -> bool:
        """Return whether the pass opens the scanner at now."""
        return self.revoked_dt is None and now < self.expires_dt

    def revoke(self, now: datetime) -> None:
        """Shut the door link for good."""
        if self.revoked_dt is None:
            self.revoked_dt = now

    def __repr__(self) -> str:
        return f"<DoorPass {self.id} event={self.event_id} {self.label!r}>"


#: A device clock further off than this from the server's flags its scans (and is corrected).
CLOCK_SKEW_LIMIT_S = 5 * 60


class CheckIn(db.Model):
    """One scan or search at a door and what it answered; the log behind the live door view."""

    __tablename__ = "check_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    #: The admitted ticket; None for every refused scan, so a refusal names nobody (of this
    #: event or another) and the log of a refusal holds no personal data.
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    door_pass_id: Mapped[int | None] = mapped_column(
        ForeignKey("door_passes.id", ondelete="SET NULL"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    #: When the scan happened on the device (earlier than created_dt for offline scans).
    scanned_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: When the server received it.
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    #: Keyed digest (services.scan_key) of the id the scanner gave the scan, so an offline
    #: batch sent twice is recorded once; never the text the client sent.
    client_scan_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The answer: a CheckInResult's value.
    result: Mapped[str] = mapped_column(String(40))
    is_undone: Mapped[bool] = mapped_column(default=False)
    undone_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The phone admitted the holder while offline, from its snapshot, and sent the scan later.
    is_offline: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: An offline admission the server could not honour (the ticket was already in, cancelled
    #: or replaced): someone came in twice or on a dead ticket. Names its ticket, unlike other
    #: refusals, because the person did come in at this event; organisers see it at the door view.
    is_conflict: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Seconds the device's clock was ahead (negative: behind) of the server's, when more than
    #: CLOCK_SKEW_LIMIT_S off; scanned_dt is then corrected by it. None: the clock was fine.
    clock_offset_s: Mapped[int | None] = mapped_column()

    event: Mapped[Event | None] = relationship()
    ticket: Mapped[Ticket | None] = relationship()
    door_pass: Mapped[DoorPass | None] = relationship(back_populates="check_ins")
    staff: Mapped[StaffUser | None] = relationship()

    @property
    def is_admission(self) -> bool:
        """Return whether this scan let someone in (and was not undone)."""
        return self.result == CheckInResult.ok and not self.is_undone

    def undo(self, now: datetime) -> None:
        """Mark the scan as undone; the service also clears the ticket's check-in."""
        if not self.is_undone:
            self.is_undone = True
            self.undone_dt = now

    def __repr__(self) -> str:
        return f"<CheckIn {self.id} ticket={self.ticket_id} {self.result}>"
