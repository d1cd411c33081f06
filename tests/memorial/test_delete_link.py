"""A tribute's author deletes it through the link mailed to them: GET asks, POST deletes."""

import io
import json
import re

from sqlalchemy import func, select

from eventsvc.core.models import AuditLog
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.memorial.models import Tribute
from eventsvc.memorial.services import photo_file
from tests.memorial.conftest import png_bytes
from tests.memorial.test_views import form, post_tribute

LINK = re.compile(r"/memorial/tributes/delete/([A-Za-z0-9_-]+)")


def submit_with_photo(client, slug, **fields):
    data = form(photo=(io.BytesIO(png_bytes()), "photo.png"), **fields)
    assert post_tribute(client, slug, data).status_code == 303


def mailed_link(app) -> str:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "tribute_received")
        ).one()
        assert message.to_address == "ana@example.org"
        return LINK.search(message.body_text)[0]


def test_the_author_gets_a_link_that_deletes_the_tribute_its_photo_and_its_mail(
    app, client, make_honoree
):
    slug = make_honoree()
    submit_with_photo(client, slug, contact="ana@example.org")
    link = mailed_link(app)
    with app.app_context():
        tribute = db.session.scalars(select(Tribute)).one()
        photo = tribute.photo_path
        assert photo_file(photo).exists()
        assert link.rsplit("/", 1)[1] not in (tribute.delete_token_hash or "")  # hashed at rest

    page = client.get(link)
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    with app.app_context():  # a GET (a mail scanner) changes nothing
        assert db.session.scalar(select(func.count()).select_from(Tribute)) == 1

    assert client.post(link).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tribute)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        [audit] = db.session.scalars(select(AuditLog).where(AuditLog.action == "tribute.delete"))
        dumped = json.dumps(audit.details)
        assert "ana@example.org" not in dumped and "Ana" not in dumped
        assert not photo_file(photo).exists()
    assert client.get(link).status_code == 404  # used up


def test_a_phone_contact_gets_no_mail_and_a_wrong_link_finds_nothing(app, client, make_honoree):
    slug = make_honoree()
    assert post_tribute(client, slug, form(contact="909-555-0101")).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.session.scalars(select(Tribute)).one().delete_token_hash is None
    wrong = client.post("/memorial/tributes/delete/" + "x" * 32)
    assert wrong.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tribute)) == 1
