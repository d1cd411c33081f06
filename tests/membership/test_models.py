"""State transitions of the member model (no services involved)."""

from eventsvc.extensions import db
from eventsvc.membership.models import Member, MemberStatus
from tests.factories import NOW


def test_member_confirm_clears_the_token(model_app):
    member = Member(name="Ana", email="ana@example.org", confirm_token_hash="a" * 64)
    db.session.add(member)
    db.session.flush()
    assert member.status == MemberStatus.pending
    assert member.help_areas == []
    member.confirm(NOW)
    assert member.is_active
    assert (member.confirmed_dt, member.confirm_token_hash) == (NOW, None)
