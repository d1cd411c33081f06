from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from eventsvc.auth.models import Role, StaffUser
from eventsvc.events.models import Event, EventStatus, Series
from eventsvc.extensions import db
from eventsvc.membership.models import MemberOrganisation, Milestone
from eventsvc.memorial.models import Honoree

MODELS = [Series, Event, Honoree, Milestone, MemberOrganisation, StaffUser]


def snapshot():
    rows = {}
    for model in MODELS:
        rows[model.__name__] = [
            {c.name: getattr(obj, c.key) for c in model.__table__.columns if c.name != "id"}
            for obj in db.session.scalars(select(model).order_by(model.id))
        ]
    return rows


def test_seed_creates_the_anniversary_series(app, runner):
    result = runner.invoke(args=["eventsvc", "seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        series = db.session.scalar(select(Series))
        assert series.title_en == "15 Years of Immigrant Justice"
        assert series.title_es == "15 Años de Justicia para Inmigrantes"
        events = db.session.scalars(select(Event).order_by(Event.start_dt)).all()
        assert len(events) >= 5
        la = ZoneInfo("America/Los_Angeles")
        today = date.today()
        past = [e for e in events if e.end_dt.astimezone(la).date() < today]
        assert len(past) == 1
        future = [e for e in events if e.start_dt.astimezone(la).date() > today]
        # Spread over the coming months, not bunched in one week.
        assert future[-1].start_dt - future[0].start_dt > timedelta(days=90)
        for event in events:
            assert event.timezone == "America/Los_Angeles"
            assert event.status == EventStatus.published
            assert event.title_en and event.title_es and event.title_en != event.title_es
            assert event.description_en and event.description_es
            assert event.end_dt > event.start_dt


def test_seed_honours_the_three_advocates_with_only_the_coalitions_words(app, runner):
    runner.invoke(args=["eventsvc", "seed"])
    with app.app_context():
        honorees = db.session.scalars(select(Honoree).order_by(Honoree.sort_order)).all()
        assert [h.name for h in honorees] == [
            "Aidê Arana",
            "Joaquin Cobaruvias",
            "Socorro Cisneros",
        ]
        for h in honorees:
            assert "tirelessly advocated for immigrant justice in the inland empire" in (
                h.summary_en.lower()
            )
            assert h.summary_es
            assert h.story_en == "" and not h.story_es  # left for organisers to write
            assert h.born_year is None and h.died_year is None


def test_seed_adds_milestones_and_example_organisations(app, runner):
    runner.invoke(args=["eventsvc", "seed"])
    with app.app_context():
        titles = {m.year: m.title_en for m in db.session.scalars(select(Milestone))}
        assert titles[2008] and "AB 60" in titles[2013] and "SB 54" in titles[2017]
        assert 2023 in titles
        orgs = db.session.scalars(select(MemberOrganisation)).all()
        assert orgs and all(o.is_example and "Example" in o.name for o in orgs)


def test_seed_prints_admin_password_once_and_it_works(app, runner):
    first = runner.invoke(args=["eventsvc", "seed"])
    password = first.output.split("password (shown once): ")[1].split()[0]
    with app.app_context():
        admin = db.session.scalar(select(StaffUser).where(StaffUser.role == Role.admin))
        assert admin.check_password(password)
    second = runner.invoke(args=["eventsvc", "seed"])
    assert "shown once" not in second.output
    assert password not in second.output


def test_seed_twice_changes_nothing(app, runner):
    assert runner.invoke(args=["eventsvc", "seed"]).exit_code == 0
    with app.app_context():
        before = snapshot()
    assert runner.invoke(args=["eventsvc", "seed"]).exit_code == 0
    with app.app_context():
        after = snapshot()
        assert db.session.scalar(select(func.count()).select_from(Event)) >= 5
    assert after == before


def test_home_shows_seeded_series_in_both_languages(client, runner):
    runner.invoke(args=["eventsvc", "seed"])
    en = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "15 Years of Immigrant Justice" in en
    assert "Know Your Rights Workshop" in en
    assert "Anniversary Kickoff Convivio" not in en  # past events are not "upcoming"
    es = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "15 Años de Justicia para Inmigrantes" in es
    assert "Taller: Conoce tus derechos" in es
    assert "p.m." in es  # times the way the Inland Empire reads them
