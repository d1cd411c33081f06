"""Names as people type them: stored in NFC, shown isolated so an RTL override reorders nothing."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from eventsvc.auth.models import StaffUser
from eventsvc.extensions import db
from eventsvc.membership.models import Member
from eventsvc.memorial.models import Tribute
from eventsvc.names import bdi, isolate
from eventsvc.rsvps.models import Rsvp

DECOMPOSED = "Jose\u0301 Nu\u0301n\u0303ez"  # e + COMBINING ACUTE, n + COMBINING TILDE
COMPOSED = "José Núñez"
RLO = "Ana \u202eZeuq\u202c"  # RIGHT-TO-LEFT OVERRIDE … POP DIRECTIONAL FORMATTING


def test_decomposed_names_are_stored_composed(fuzz_app, world):
    assert unicodedata.normalize("NFC", DECOMPOSED) == COMPOSED != DECOMPOSED
    visitor = fuzz_app.test_client()
    visitor.post(
        "/join",
        data={
            "kind": "individual",
            "name": DECOMPOSED,
            "email": "jose@example.org",
            "city": "Riverside",
            "languages": "Spanish",
            "language": "es",
            "consent": "y",
        },
    )
    visitor.post(
        f"/memorial/{world['honoree_slug']}/tributes",
        data={"author_name": DECOMPOSED, "message": "Siempre te recordamos.", "relation": "Amigo"},
    )
    world["client"].post(
        "/admin/staff/invite",
        data={
            "email": "new@example.org",
            "name": DECOMPOSED,
            "role": "volunteer",
            "language": "es",
        },
    )
    with fuzz_app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == "jose@example.org"))
        tribute = db.session.scalar(select(Tribute).where(Tribute.author_name != "Ana"))
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "new@example.org"))
        assert (member.name, tribute.author_name, staff.name) == (COMPOSED,) * 3


def test_a_decomposed_organisation_and_contact_person_are_stored_composed(fuzz_app, world):
    fuzz_app.test_client().post(
        "/join",
        data={
            "kind": "organisation",
            "name": DECOMPOSED,
            "organisation_name": "Comite\u0301 de Apoyo",
            "contact_person": DECOMPOSED,
            "email": "comite@example.org",
            "city": "Riverside",
            "languages": "Spanish",
            "language": "es",
            "consent": "y",
        },
    )
    with fuzz_app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == "comite@example.org"))
        assert member is not None
        assert (member.name, member.contact_person) == (COMPOSED, COMPOSED)
        assert member.organisation_name in (None, "Comité de Apoyo")


def test_the_filters_isolate_and_escape():
    assert bdi("<b>Ana</b>") == "<bdi>&lt;b&gt;Ana&lt;/b&gt;</bdi>"
    assert bdi(None) == "" and isolate("") == ""
    assert isolate(RLO) == f"\u2068{RLO}\u2069"


def _inside_bdi(page: str, name: str) -> bool:
    """Return whether the name shows, and only inside <bdi> (FSI…PDI in the <title>)."""
    page = re.sub(r"<title>.*?</title>", "", page, flags=re.S)
    return f"<bdi>{name}</bdi>" in page and not re.search(
        rf"(?<!<bdi>){re.escape(name)}(?!</bdi>)", page.replace(f"<bdi>{name}</bdi>", "")
    )


def test_an_rtl_override_in_a_name_is_isolated_on_every_page_that_shows_it(fuzz_app, world):
    admin = world["client"]
    with fuzz_app.app_context():
        rsvp = db.session.get(Rsvp, world["rsvp_id"])
        rsvp.name = RLO
        tribute = db.session.get(Tribute, world["tribute_id"])
        tribute.author_name = RLO
        tribute.is_anonymous = False
        member = db.session.get(Member, world["member_id"])
        member.name = RLO
        staff = db.session.get(StaffUser, world["staff_id"])
        staff.name = RLO
        db.session.commit()
    pages = {
        "door list": f"/admin/events/{world['event_id']}/attendees/print",
        "moderation queue": "/admin/memorial/",
        "members": "/admin/members",
        "staff list": "/admin/staff",
        "staff member": f"/admin/staff/{world['staff_id']}",
        "dashboard": "/admin/",
    }
    for label, url in pages.items():
        for language in ("en", "es"):
            response = admin.get(url, headers={"Accept-Language": language})
            assert response.status_code == 200, (label, response.status_code)
            assert _inside_bdi(response.get_data(as_text=True), RLO), label
    admin.post(f"/admin/memorial/tributes/{world['tribute_id']}/approve")
    public = fuzz_app.test_client().get(f"/memorial/{world['honoree_slug']}")
    assert _inside_bdi(public.get_data(as_text=True), RLO)


def test_an_honoree_name_is_isolated_in_the_title_and_the_page(fuzz_app, world):
    with fuzz_app.app_context():
        from eventsvc.memorial.models import Honoree

        db.session.get(Honoree, world["honoree_id"]).name = RLO
        db.session.commit()
    page = fuzz_app.test_client().get(f"/memorial/{world['honoree_slug']}").get_data(as_text=True)
    assert f'<h1 id="honoree-name"><bdi>{RLO}</bdi></h1>' in page
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert f"\u2068{RLO}\u2069" in title


def test_a_decomposed_rsvp_name_is_stored_composed(fuzz_app, world):
    response = fuzz_app.test_client().post(
        f"/events/{world['slug']}",
        data={
            "name": DECOMPOSED,
            "email": "nunez@example.org",
            "party_size": "1",
            "language": "es",
        },
    )
    assert response.status_code in (200, 302, 303), response.status_code
    with fuzz_app.app_context():
        names = db.session.scalars(select(Rsvp.name).where(Rsvp.email == "nunez@example.org"))
        assert list(names) == [COMPOSED]
