"""TODO docstring: eventsvc.rsvps.tickets."""

from __future__ import annotations

import hmac

from flask import current_app

from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.rsvps.models import Rsvp, Ticket, TicketStatus
from eventsvc.rsvps.qr import decode_ticket, encode_ticket, new_seed, signing_key

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


def resolve_ticket(code: str) -> Ticket:
    """Return the active ticket a scanned code stands for, or raise why it is refused.

    Codes: "invalid" (not a code we signed), "unknown" (no such ticket), "replaced" (the ticket
    was re-issued and this is an old code), "void" (cancelled).
    """
    claim = decode_ticket(code, signing_key(current_app.config).public_key())
    ticket = db.session.get(Ticket, claim.ticket_id)
    if ticket is None or ticket.event_id != claim.event_id:
        raise DomainError("unknown", _("This ticket is not known."))
    if not hmac.compare_digest(ticket.secret, claim.seed.hex()):
        raise DomainError("replaced", _("This ticket was replaced by a newer one."))
    if not ticket.is_active:
        raise DomainError("void", _("This ticket was cancelled."))
    return ticket
