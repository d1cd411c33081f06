"""State transitions of the outbox model (no services involved)."""

from datetime import timedelta

from eventsvc.extensions import db
from eventsvc.mail.models import MailStatus, OutboxMessage
from tests.factories import NOW


def test_outbox_retry_then_give_up(model_app):
    message = OutboxMessage(
        kind="rsvp_confirmed", to_address="ana@example.org", subject="Hi", body_text="Hi"
    )
    db.session.add(message)
    db.session.flush()
    assert (message.status, message.attempts) == (MailStatus.pending, 0)

    message.mark_failed("timeout", retry_dt=NOW + timedelta(minutes=5))
    assert (message.status, message.attempts) == (MailStatus.pending, 1)
    assert message.next_attempt_dt == NOW + timedelta(minutes=5)
    message.mark_failed("refused", retry_dt=None)
    assert (message.status, message.attempts, message.last_error) == (
        MailStatus.failed,
        2,
        "refused",
    )
