import io
import os

import pytest
from PIL import Image
from sqlalchemy import select

from eventsvc.extensions import db, limiter
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from eventsvc.seed import seed_honorees
from tests.conftest import TEST_RATELIMIT_STORAGE_URL
from tests.memorial.conftest import NOT_AN_IMAGE, decompression_bomb, noise_png, png_with_gps


def form(message="Thank you for everything you did for our families.", **fields):
    return {"author_name": "Ana", "relation": "friend", "message": message, **fields}


def post_tribute(client, slug, data, **kw):
    return client.post(
        f"/memorial/{slug}/tributes", data=data, content_type="multipart/form-data", **kw
    )


def only_tribute(app) -> Tribute:
    with app.app_context():
        return db.session.scalars(select(Tribute)).one()


def moderate(app, action):
    with app.app_context():
        tribute = db.session.scalars(select(Tribute)).one()
        getattr(tribute, action)(None, tribute.submitted_dt)
        db.session.commit()


def test_memorial_lists_the_seeded_honorees_in_both_languages(app, client):
    with app.app_context():
        seed_honorees()
        db.session.commit()
    page = client.get("/memorial").get_data(as_text=True)
    for name in ("Aidê Arana", "Joaquin Cobaruvias", "Socorro Cisneros"):
        assert name in page
    assert "Tirelessly advocated for immigrant justice in the Inland Empire." in page
    assert 'class="portrait portrait-small portrait-placeholder" aria-hidden="true">AA<' in page
    spanish = client.get("/memorial", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Luchó incansablemente por la justicia" in spanish
    assert client.get("/memorial/aide-arana").status_code == 200


def test_hidden_honoree_is_not_listed_nor_reachable(client, make_honoree):
    slug = make_honoree(name="Hidden Person", is_visible=False)
    assert "Hidden Person" not in client.get("/memorial").get_data(as_text=True)
    assert client.get(f"/memorial/{slug}").status_code == 404


def test_tribute_invisible_until_approved_visible_after_gone_when_rejected(
    app, client, make_honoree
):
    slug = make_honoree()
    response = post_tribute(client, slug, form(message="Remembering your courage."))
    assert response.status_code == 303
    thanks = client.get(response.location).get_data(as_text=True)
    assert "It will appear on this page once an organiser has reviewed it." in thanks
    assert "Remembering your courage." not in thanks
    moderate(app, "approve")
    assert "Remembering your courage." in client.get(f"/memorial/{slug}").get_data(as_text=True)
    moderate(app, "reject")
    assert "Remembering your courage." not in client.get(f"/memorial/{slug}").get_data(as_text=True)


def test_anonymous_tribute_hides_the_name_but_keeps_the_contact(app, client, make_honoree):
    slug = make_honoree()
    post_tribute(
        client,
        slug,
        form(author_name="Rosa Secreta", is_anonymous="y", contact="rosa@example.org"),
    )
    moderate(app, "approve")
    page = client.get(f"/memorial/{slug}").get_data(as_text=True)
    assert "Anonymous" in page and "Rosa Secreta" not in page and "rosa@example.org" not in page
    tribute = only_tribute(app)
    assert tribute.author_name == "Rosa Secreta" and tribute.contact == "rosa@example.org"


def test_name_is_required_unless_anonymous(client, make_honoree):
    slug = make_honoree()
    response = post_tribute(client, slug, form(author_name=""))
    assert response.status_code == 400
    assert "tick the box to stay anonymous" in response.get_data(as_text=True)


HOSTILE = (
    "<script>alert('x')</script>\n"
    '<img src=x onerror="alert(1)">\n'
    "<a href=\"javascript:alert(1)\" onclick='steal()'>click</a>\n"
    "javascript:alert(document.cookie)\n"
    "https://spam.example.com/pills"
)


def test_hostile_message_is_shown_as_inert_text(app, client, make_honoree):
    slug = make_honoree()
    assert post_tribute(client, slug, form(message=HOSTILE)).status_code == 303
    moderate(app, "approve")
    page = client.get(f"/memorial/{slug}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page and 'onerror="' not in page
    assert 'href="javascript:' not in page and 'href="https://spam' not in page
    assert "javascript:alert(document.cookie)" in page  # shown, as text
    # Line breaks are kept (pre-line), not turned into markup.
    assert only_tribute(app).message.count("\n") == 4


def test_ten_thousand_characters_are_refused_clearly(client, make_honoree):
    slug = make_honoree()
    response = post_tribute(client, slug, form(message="a" * 10_000))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Please keep your message to 2,000 characters or fewer (it has 10000 now)." in body
    spanish = post_tribute(
        client, slug, form(message="a" * 10_000), headers={"Accept-Language": "es"}
    )
    assert spanish.status_code == 400


@pytest.mark.parametrize("name", ["<b>Ana</b>", "Ana\x00"])
def test_markup_or_control_characters_in_name_are_refused(client, make_honoree, name):
    assert post_tribute(client, make_honoree(), form(author_name=name)).status_code == 400


def test_photo_is_stored_without_gps_and_served_only_once_approved(app, client, make_honoree):
    slug = make_honoree()
    data = form(photo=(io.BytesIO(png_with_gps()), "family.png"))
    assert post_tribute(client, slug, data).status_code == 303
    tribute = only_tribute(app)
    name = tribute.photo_path.removeprefix("memorial/")
    assert len(name) == 36 and name.endswith(".jpg") and "family" not in name
    stored = os.path.join(app.instance_path, "uploads", tribute.photo_path)
    with Image.open(stored) as image:
        assert image.format == "JPEG" and not image.getexif().get_ifd(0x8825)
    assert client.get(f"/memorial/photos/{name}").status_code == 404  # pending
    moderate(app, "approve")
    assert f"/memorial/photos/{name}" in client.get(f"/memorial/{slug}").get_data(as_text=True)
    response = client.get(f"/memorial/photos/{name}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()
    assert client.get("/memorial/photos/..%2Fsecret_key").status_code == 404


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((NOT_AN_IMAGE, "photo.jpg"), "This file is not a photo we can use."),
        ((decompression_bomb(), "bomb.png"), "This image is too large to process."),
    ],
    ids=["not-an-image", "bomb"],
)
def test_bad_photos_are_refused_with_a_clear_message(app, client, make_honoree, upload, message):
    data, filename = upload
    response = post_tribute(client, make_honoree(), form(photo=(io.BytesIO(data), filename)))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and 'id="photo-error"' in body
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Tribute)) == 0


def test_oversized_photo_is_refused_with_a_clear_message(make_app, make_honoree):
    app = make_app(WTF_CSRF_ENABLED=False, MEMORIAL_PHOTO_MAX_BYTES=64 * 1024)
    big = noise_png((200, 200))
    assert len(big) > 64 * 1024
    response = post_tribute(
        app.test_client(), make_honoree(), form(photo=(io.BytesIO(big), "big.png"))
    )
    assert response.status_code == 400
    assert "This photo is too big (the limit is 1 MB)" in response.get_data(as_text=True)


def test_honeypot_drops_the_submission_quietly(app, client, make_honoree):
    slug = make_honoree()
    response = post_tribute(client, slug, form(website="http://spam.example.com"))
    assert response.status_code == 303  # the bot is told nothing
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Tribute)) == 0


def test_duplicate_submission_keeps_one_tribute(app, client, make_honoree):
    slug = make_honoree()
    assert post_tribute(client, slug, form()).status_code == 303
    assert post_tribute(client, slug, form()).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Tribute)) == 1


def test_rate_limit_stops_a_flood_using_the_configured_storage(make_app, make_honoree):
    app = make_app(WTF_CSRF_ENABLED=False, MEMORIAL_TRIBUTE_RATE_LIMIT="3 per day")
    client = app.test_client()
    slug = make_honoree()
    statuses = [
        post_tribute(client, slug, form(message=f"Message number {n}")).status_code
        for n in range(5)
    ]
    assert statuses == [303, 303, 303, 429, 429]
    assert "Too many attempts" in post_tribute(client, slug, form()).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Tribute)) == 3
        assert app.config["RATELIMIT_STORAGE_URI"] == TEST_RATELIMIT_STORAGE_URL
        scheme = TEST_RATELIMIT_STORAGE_URL.split(":", 1)[0]
        assert type(limiter.storage).__name__.lower().startswith(scheme)
    if scheme == "redis":
        import redis

        keys = redis.Redis.from_url(TEST_RATELIMIT_STORAGE_URL).keys("*memorial*")
        assert keys, "the limit lives in Redis"


def test_candle_counts_and_is_rate_limited(make_app, make_honoree):
    app = make_app(WTF_CSRF_ENABLED=False, MEMORIAL_CANDLE_RATE_LIMIT="2 per day")
    client = app.test_client()
    slug = make_honoree()
    first = client.post(f"/memorial/{slug}/candle")
    assert first.status_code == 303 and first.location.endswith(f"/memorial/{slug}#candle")
    assert client.post(f"/memorial/{slug}/candle").status_code == 303
    assert client.post(f"/memorial/{slug}/candle").status_code == 429
    page = client.get(f"/memorial/{slug}").get_data(as_text=True)
    assert "2 candles lit" in page
    with app.app_context():
        assert db.session.scalar(select(Honoree.candle_count)) == 2


def test_candle_sets_no_tracking_cookie(client, make_honoree):
    slug = make_honoree()
    response = client.post(f"/memorial/{slug}/candle")
    cookies = response.headers.getlist("Set-Cookie")
    assert all(c.startswith("session=") for c in cookies)  # only the flash message


def test_tributes_are_paginated_newest_first(app, client, make_honoree):
    from datetime import timedelta

    from eventsvc.db import utc_now

    slug = make_honoree()
    with app.app_context():
        honoree = db.session.scalar(select(Honoree))
        now = utc_now()
        for n in range(12):
            db.session.add(
                Tribute(
                    honoree=honoree,
                    author_name="A",
                    message=f"tribute-{n:02d}",
                    status=TributeStatus.approved,
                    submitted_dt=now - timedelta(days=12 - n),
                    content_hash=f"{n:064d}",
                )
            )
        db.session.commit()
    first = client.get(f"/memorial/{slug}").get_data(as_text=True)
    assert first.index("tribute-11") < first.index("tribute-10")
    assert "tribute-01" not in first and "Older tributes" in first
    second = client.get(f"/memorial/{slug}?page=2").get_data(as_text=True)
    assert "tribute-01" in second and "tribute-11" not in second
    assert client.get(f"/memorial/{slug}?page=9").status_code == 404


def test_csrf_is_required_for_a_tribute(make_app, make_honoree):
    app = make_app()  # CSRF on, as in production
    response = post_tribute(app.test_client(), make_honoree(), form())
    assert response.status_code == 400


def test_memorial_link_in_navigation(client):
    assert 'href="/memorial"' in client.get("/").get_data(as_text=True)
