"""State transitions of the memorial models (no services involved)."""

from eventsvc.auth.models import Role, StaffUser
from eventsvc.extensions import db
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from tests.factories import NOW


def test_tribute_approve_and_reject(model_app):
    organiser = StaffUser(email="org@example.org", name="Org", role=Role.organiser)
    honoree = Honoree(slug="maria", name="María", born_year=1950, died_year=2020)
    tribute = Tribute(honoree=honoree, author_name="Luis", message="Gracias", content_hash="f" * 64)
    db.session.add_all([organiser, tribute])
    db.session.flush()
    assert tribute.status == TributeStatus.pending

    tribute.approve(organiser, NOW)
    db.session.flush()
    assert tribute.is_approved
    assert tribute.moderated_dt == NOW
    assert tribute.moderated_by_id == organiser.id
    assert honoree.years == "1950–2020"

    tribute.reject(organiser, NOW, note="duplicate")
    assert tribute.status == TributeStatus.rejected
    assert tribute.moderation_note == "duplicate"


def test_anonymous_tribute_hides_the_name():
    tribute = Tribute(author_name="Luis", is_anonymous=True, message="…")
    assert tribute.display_name is None
