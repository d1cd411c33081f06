"""Tickets: one per person of a confirmed party, each with its signed QR code."""

from __future__ import annotations

from flask import current_app

from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.rsvps.models import Rsvp, Ticket, TicketStatus
from eventsvc.rsvps.qr import encode_ticket, new_seed, signing_key

# --- tickets ----------------------------------------------------------------------------------


def issue_tickets(rsvp: Rsvp, count: int, *, event_id: int | None = None) -> None:
    """Give the party `count` more active tickets, numbered after the ones it has.

    event_id: for an RSVP not yet in the session (its ``event`` is not loaded).
    """
    next_position = max((t.position for t in rsvp.tickets), default=0) + 1
    event_id = event_id or rsvp.event_id or rsvp.event.id
    for position in range(next_position, next_position + count):
        rsvp.tickets.append(Ticket(event_id=event_id, position=position, secret=new_seed().hex()))


def void_tickets(rsvp: Rsvp, count: int) -> None:
    """Void `count` of the party's active tickets, those not yet checked in and last first."""
    active = [t for t in rsvp.tickets if t.is_active]
    removable = sorted((t for t in active if not t.is_checked_in), key=lambda t: -t.position)
    if len(removable) < count:
        raise DomainError(
            "already_checked_in",
            _("Some of your party have already checked in; the party cannot be that small."),
        )
    for ticket in removable[:count]:
        ticket.void()
    # Voided tickets keep their position, so new ones must never reuse it.
    db.session.flush()


def active_tickets(rsvp: Rsvp) -> list[Ticket]:
    """Return the tickets that admit the party, in order."""
    return [t for t in rsvp.tickets if t.status == TicketStatus.active]


def ticket_code(ticket: Ticket) -> str:
    """Return the signed code printed in the ticket's QR."""
    return encode_ticket(
        event_id=ticket.event_id,
        ticket_id=ticket.id,
        seed=bytes.fromhex(ticket.secret),
        private_key=signing_key(current_app.config),
    )
