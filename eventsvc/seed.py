"""Demo data: the coalition's anniversary series, its honorees, history and an admin account.

Running it again changes nothing: every row is looked up by a stable key (slug, year and title,
email) before it is created, and existing rows are left as organisers may have edited them.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from eventsvc.auth.models import Role, StaffUser
from eventsvc.auth.services import create_staff
from eventsvc.db import utc_now
from eventsvc.events.models import DEFAULT_TIMEZONE, Event, EventStatus, Series
from eventsvc.extensions import db
from eventsvc.membership.models import MemberOrganisation, Milestone
from eventsvc.memorial.models import Honoree

logger = logging.getLogger(__name__)

SERIES = {
    "slug": "15-years",
    "title_en": "15 Years of Immigrant Justice",
    "title_es": "15 Años de Justicia para Inmigrantes",
    "description_en": (
        "Since 2008, more than forty organisations across the Inland Empire have worked together "
        "for the rights and dignity of immigrant families. Join us all year to celebrate."
    ),
    "description_es": (
        "Desde 2008, más de cuarenta organizaciones del Inland Empire trabajan juntas por los "
        "derechos y la dignidad de las familias inmigrantes. Acompáñanos todo el año a celebrar."
    ),
}

#: (slug, days from today, local start, local end, capacity, guest limit, venue, city, texts)
EVENTS = [
    (
        "kickoff-convivio",
        -21,
        time(11),
        time(15),
        150,
        4,
        "Community hall (demo venue)",
        "Riverside, CA",
        "Anniversary Kickoff Convivio",
        "Convivio de arranque del aniversario",
        "We opened our fifteenth year together, with food, music and the families who built "
        "this coalition.",
        "Abrimos nuestro año quince juntos, con comida, música y las familias que construyeron "
        "esta coalición.",
    ),
    (
        "know-your-rights",
        12,
        time(18),
        time(20),
        60,
        3,
        "Community center (demo venue)",
        "San Bernardino, CA",
        "Know Your Rights Workshop",
        "Taller: Conoce tus derechos",
        "A practical session on what to do if immigration agents come to your door, to your "
        "work, or stop you on the street. English–Spanish interpretation available. Free and "
        "open to everyone.",
        "Una sesión práctica sobre qué hacer si agentes de inmigración llegan a tu casa, a tu "
        "trabajo o te paran en la calle. Habrá interpretación inglés–español. Gratis y abierta a "
        "todo el público.",
    ),
    (
        "remembrance-evening",
        33,
        time(18, 30),
        time(20, 30),
        120,
        4,
        "Parish hall (demo venue)",
        "Ontario, CA",
        "An Evening of Remembrance",
        "Noche de memoria",
        "We honor Aidê Arana, Joaquin Cobaruvias, Socorro Cisneros and every advocate we have "
        "lost, who tirelessly advocated for immigrant justice in the Inland Empire.",
        "Honramos a Aidê Arana, Joaquin Cobaruvias, Socorro Cisneros y a todas las personas "
        "defensoras que hemos perdido, quienes lucharon incansablemente por la justicia para "
        "las personas inmigrantes en el Inland Empire.",
    ),
    (
        "youth-art-showcase",
        61,
        time(16),
        time(19),
        80,
        4,
        "Youth arts space (demo venue)",
        "Moreno Valley, CA",
        "Youth Art and Storytelling Showcase",
        "Muestra juvenil de arte y relatos",
        "Young people from our member organisations share art, poetry and stories about their "
        "families and their communities.",
        "Jóvenes de nuestras organizaciones miembro comparten arte, poesía y relatos sobre sus "
        "familias y sus comunidades.",
    ),
    (
        "anniversary-celebration",
        96,
        time(18),
        time(22),
        250,
        5,
        "Banquet hall (demo venue)",
        "Riverside, CA",
        "15th Anniversary Celebration",
        "Celebración del 15.º aniversario",
        "Fifteen years of organizing, celebrated together: dinner, music, and a tribute to the "
        "member organisations that make up the coalition.",
        "Quince años de organización, celebrados en familia: cena, música y un reconocimiento "
        "a las organizaciones que forman la coalición.",
    ),
    (
        "member-assembly",
        131,
        time(10),
        time(13),
        100,
        2,
        "Community college room (demo venue)",
        "Coachella, CA",
        "Member Assembly: The Next Fifteen Years",
        "Asamblea de miembros: los próximos quince años",
        "Members and allies plan the coalition's priorities for the years ahead.",
        "Miembros y aliados planeamos juntos las prioridades de la coalición para los próximos "
        "años.",
    ),
]

#: What the coalition itself says of them; organisers write the rest in the back office.
HONOREES = [
    ("aide-arana", "Aidê Arana"),
    ("joaquin-cobaruvias", "Joaquin Cobaruvias"),
    ("socorro-cisneros", "Socorro Cisneros"),
]
HONOREE_SUMMARY_EN = "Tirelessly advocated for immigrant justice in the Inland Empire."
HONOREE_SUMMARY_ES = (
    "Luchó incansablemente por la justicia para las personas inmigrantes en el Inland Empire."
)

MILESTONES = [
    (
        2008,
        "The coalition is founded",
        "Nace la coalición",
        "Organisations from across the Inland Empire join forces to defend the rights and "
        "dignity of immigrant families.",
        "Organizaciones de todo el Inland Empire unen fuerzas para defender los derechos y la "
        "dignidad de las familias inmigrantes.",
    ),
    (
        2013,
        "Licenses for All: AB 60",
        "Licencias para todos: AB 60",
        "After years of organizing, California passes AB 60, opening driver's licenses to "
        "every resident regardless of immigration status.",
        "Después de años de organización, California aprueba la AB 60, que abre las licencias "
        "de manejo a todos los residentes sin importar su estatus migratorio.",
    ),
    (
        2017,
        "The California Values Act: SB 54",
        "La Ley de Valores de California: SB 54",
        "California limits how local law enforcement may cooperate with federal immigration "
        "enforcement.",
        "California limita la colaboración de las policías locales con las autoridades "
        "federales de inmigración.",
    ),
    (
        2023,
        "Fifteen years of immigrant justice",
        "Quince años de justicia para inmigrantes",
        "More than forty member organisations celebrate fifteen years of organizing in the "
        "Inland Empire.",
        "Más de cuarenta organizaciones miembro celebran quince años de lucha en el Inland Empire.",
    ),
]

EXAMPLE_ORGANISATIONS = [
    ("example-legal-clinic", "Example Legal Clinic", "Riverside"),
    ("example-youth-collective", "Example Youth Collective", "San Bernardino"),
    ("example-faith-community", "Example Faith Community", "Ontario"),
]
EXAMPLE_NOTE_EN = "Example entry from the demo data: replace it with a real member organisation."
EXAMPLE_NOTE_ES = (
    "Ejemplo de los datos de demostración: cámbialo por una organización miembro real."
)

ADMIN_EMAIL = "admin@example.org"


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def seed_series(today: date) -> tuple[Series, int]:
    """Create the anniversary series and its events; return the series and how many were new."""
    series = db.session.scalar(select(Series).where(Series.slug == SERIES["slug"]))
    if series is None:
        series = Series(timezone=DEFAULT_TIMEZONE, **SERIES)
        db.session.add(series)
        db.session.flush()
    tz = ZoneInfo(series.timezone)
    created = 0
    for (
        slug,
        days,
        begins,
        ends,
        capacity,
        guests,
        venue,
        city,
        title_en,
        title_es,
        text_en,
        text_es,
    ) in EVENTS:
        if db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
            continue
        day = today + timedelta(days=days)
        db.session.add(
            Event(
                series=series,
                slug=slug,
                title_en=title_en,
                title_es=title_es,
                description_en=text_en,
                description_es=text_es,
                start_dt=_local(day, begins, tz),
                end_dt=_local(day, ends, tz),
                timezone=series.timezone,
                venue_name=venue,
                venue_address=city,
                capacity=capacity,
                guest_limit=guests,
                status=EventStatus.published,
            )
        )
        created += 1
    db.session.flush()
    return series, created


def seed_honorees() -> int:
    """Create the honorees the coalition remembers; return how many were new."""
    created = 0
    for order, (slug, name) in enumerate(HONOREES):
        if db.session.scalar(select(Honoree.id).where(Honoree.slug == slug)) is None:
            db.session.add(
                Honoree(
                    slug=slug,
                    name=name,
                    summary_en=HONOREE_SUMMARY_EN,
                    summary_es=HONOREE_SUMMARY_ES,
                    sort_order=order,
                )
            )
            created += 1
    db.session.flush()
    return created


def seed_milestones() -> int:
    """Create the timeline's milestones; return how many were new."""
    created = 0
    for year, title_en, title_es, text_en, text_es in MILESTONES:
        exists = db.session.scalar(
            select(Milestone.id).where(Milestone.year == year, Milestone.title_en == title_en)
        )
        if exists is None:
            db.session.add(
                Milestone(
                    year=year,
                    title_en=title_en,
                    title_es=title_es,
                    text_en=text_en,
                    text_es=text_es,
                )
            )
            created += 1
    db.session.flush()
    return created


def seed_example_organisations() -> int:
    """Create a few member organisations marked as examples; return how many were new."""
    created = 0
    for order, (slug, name, city) in enumerate(EXAMPLE_ORGANISATIONS):
        exists = db.session.scalar(
            select(MemberOrganisation.id).where(MemberOrganisation.slug == slug)
        )
        if exists is None:
            db.session.add(
                MemberOrganisation(
                    slug=slug,
                    name=name,
                    city=city,
                    description_en=EXAMPLE_NOTE_EN,
                    description_es=EXAMPLE_NOTE_ES,
                    is_listed=True,
                    is_example=True,
                    sort_order=order,
                )
            )
            created += 1
    db.session.flush()
    return created


def seed_admin() -> tuple[StaffUser | None, str | None]:
    """Create the first admin unless an admin exists; return it and its one-time password."""
    exists = db.session.scalar(select(StaffUser.id).where(StaffUser.role == Role.admin))
    if exists is not None:
        return None, None
    return create_staff(email=ADMIN_EMAIL, name="Admin", role=Role.admin)


def seed_demo_data(today: date | None = None) -> list[str]:
    """Create every piece of demo data that is missing and return a report, line by line."""
    if today is None:
        tz = ZoneInfo(current_app.config["TIMEZONE"])
        today = utc_now().astimezone(tz).date()
    series, events = seed_series(today)
    report = [
        f"Series {series.slug!r}: {events} new event(s).",
        f"Honorees: {seed_honorees()} new.",
        f"Timeline milestones: {seed_milestones()} new.",
        f"Example member organisations: {seed_example_organisations()} new.",
    ]
    admin, password = seed_admin()
    if admin is None:
        report.append("An admin account already exists; no password was generated.")
    else:
        report.append(f"Admin account {admin.email}, password (shown once): {password}")
    logger.info("Demo data seeded")
    return report
