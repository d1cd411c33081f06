"""Fixtures of the membership tests: help areas, a join form, members signed up through /join."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.membership.models import HelpArea, Member
from eventsvc.membership.services import CONFIRM, LEAVE, member_token


@pytest.fixture
def help_areas(app):
    """Create two help areas and return their keys."""
    with app.app_context():
        db.session.add_all(
            [
                HelpArea(
                    key="events", label_en="Volunteer at events", label_es="Ayudar en eventos"
                ),
                HelpArea(key="translation", label_en="Translation", label_es="Traducción"),
            ]
        )
        db.session.commit()
    return ["events", "translation"]


def join_form(**overrides) -> dict:
    """Return the fields of a valid sign-up; None removes a field."""
    data = {
        "kind": "individual",
        "name": "Ana Pérez",
        "email": "ana@example.org",
        "phone": "",
        "city": "Riverside",
        "languages": "Spanish, English",
        "language": "es",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def sign_up(app, client):
    """Return sign_up(**fields) -> member id, going through the real /join form."""

    def factory(**overrides) -> int:
        data = join_form(**overrides)
        response = client.post("/join", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)
        with app.app_context():
            column = Member.email if data.get("email") else Member.phone
            value = (data.get("email") or "").strip().lower() or None
            if value is None:
                import phonenumbers

                value = phonenumbers.format_number(
                    phonenumbers.parse(data["phone"], "US"), phonenumbers.PhoneNumberFormat.E164
                )
            return db.session.scalar(select(Member.id).where(column == value))

    return factory


@pytest.fixture
def tokens(app):
    """Return tokens(member_id) -> (confirm token, leave token) as the emails carry them."""

    def factory(member_id: int) -> tuple[str, str]:
        with app.app_context():
            member = db.session.get(Member, member_id)
            return member_token(member, CONFIRM), member_token(member, LEAVE)

    return factory
