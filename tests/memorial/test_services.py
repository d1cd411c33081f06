import pytest
from sqlalchemy import select

from eventsvc.auth.models import StaffUser
from eventsvc.core.models import AuditLog
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from eventsvc.memorial.services import (
    HonoreeData,
    TributeData,
    approve_tribute,
    approved_tributes,
    create_honoree,
    edit_tribute,
    light_candle,
    moderation_counts,
    move_honoree,
    normalise_message,
    reject_tribute,
    submit_tribute,
    visible_honorees,
)


@pytest.fixture
def honoree(app_ctx, make_honoree):
    slug = make_honoree(name="Aidê Arana")
    return db.session.scalar(select(Honoree).where(Honoree.slug == slug))


@pytest.fixture
def organiser(app_ctx, create_staff_user):
    return db.session.get(StaffUser, create_staff_user()["id"])


def submit(honoree, message="We miss you.", **kw):
    return submit_tribute(honoree, TributeData(message=message, author_name="Ana", **kw))


def test_tribute_is_pending_until_approved_and_gone_when_rejected(honoree, organiser):
    tribute = submit(honoree).tribute
    assert tribute.status == TributeStatus.pending
    assert approved_tributes(honoree).items == []
    approve_tribute(tribute, actor=organiser)
    assert approved_tributes(honoree).items == [tribute]
    reject_tribute(tribute, actor=organiser, note="asked by family")
    assert approved_tributes(honoree).items == []
    assert tribute.moderated_by == organiser and tribute.moderation_note == "asked by family"
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["tribute.approve", "tribute.reject"]


def test_repeat_moderation_is_a_coded_refusal(honoree, organiser):
    tribute = submit(honoree).tribute
    approve_tribute(tribute, actor=organiser)
    with pytest.raises(DomainError) as e:
        approve_tribute(tribute, actor=organiser)
    assert e.value.code == "already_approved"


def test_duplicate_submission_is_detected_and_not_stored_twice(honoree):
    first = submit(honoree, "Gracias por todo,\r\nAidê.")
    again = submit(honoree, "  gracias por   TODO,\nAidê. ")
    assert again.is_duplicate and again.tribute.id == first.tribute.id
    assert db.session.scalar(select(db.func.count()).select_from(Tribute)) == 1


def test_message_line_breaks_are_kept_and_long_gaps_shortened():
    assert normalise_message("one\r\ntwo  \n\n\n\n\nthree") == "one\ntwo\n\nthree"


def test_too_long_message_is_refused_by_the_service_too(honoree):
    with pytest.raises(DomainError) as e:
        submit(honoree, "x" * 10_000)
    assert e.value.code == "too_long"


def test_hidden_honoree_takes_no_tributes(honoree):
    honoree.is_visible = False
    with pytest.raises(DomainError) as e:
        submit(honoree)
    assert e.value.code == "not_found"


def test_edit_is_logged_without_the_words(honoree, organiser):
    tribute = submit(honoree, "We mis you.").tribute
    assert edit_tribute(
        tribute, author_name="Ana", relation="", message="We miss you.", actor=organiser
    ) == ["message"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "tribute.edit"))
    assert entry.details["fields"] == ["message"] and entry.actor_id == organiser.id
    assert "miss" not in str(entry.details)


def test_counts_by_status(honoree, organiser):
    approve_tribute(submit(honoree, "one").tribute, actor=organiser)
    submit(honoree, "two")
    submit(honoree, "three")
    counts = moderation_counts()
    assert counts[TributeStatus.pending] == 2 and counts[TributeStatus.approved] == 1
    assert counts[TributeStatus.rejected] == 0


def test_candles_count_up_and_only_for_visible_honorees(honoree):
    assert light_candle(honoree) == 1
    assert light_candle(honoree) == 2
    assert honoree.candle_count == 2
    honoree.is_visible = False
    db.session.flush()
    with pytest.raises(DomainError):
        light_candle(honoree)


def test_honorees_are_created_with_a_slug_and_reordered(app_ctx, organiser):
    a = create_honoree(HonoreeData(name="Aidê Arana", summary_en="…"), actor=organiser)
    b = create_honoree(HonoreeData(name="Socorro Cisneros", summary_en="…"), actor=organiser)
    assert a.slug == "aide-arana"
    move_honoree(b, offset=-1, actor=organiser)
    assert [h.slug for h in visible_honorees()] == ["socorro-cisneros", "aide-arana"]
    with pytest.raises(DomainError) as e:
        create_honoree(HonoreeData(name="Aide  Arana", summary_en="…"), actor=organiser)
    assert e.value.code == "slug_taken"
