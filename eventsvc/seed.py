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
from eventsvc.membership.models import HelpArea, MemberOrganisation, Milestone
from eventsvc.memorial.models import Honoree

logger = logging.getLogger(__name__)

SERIES_SLUG = "15-years"
SERIES = {
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

#: The series' events: days from today and local times, so the demo always has a past event
#: and several coming ones.
EVENTS = [
    {
        "slug": "kickoff-convivio",
        "days": -21,
        "begins": time(11),
        "ends": time(15),
        "capacity": 150,
        "guest_limit": 4,
        "venue_name": "Community hall (demo venue)",
        "venue_address": "Riverside, CA",
        "title_en": "Anniversary Kickoff Convivio",
        "title_es": "Convivio de arranque del aniversario",
        "description_en": (
            "We opened our fifteenth year together, with food, music and the families who "
            "built this coalition."
        ),
        "description_es": (
            "Abrimos nuestro año quince juntos, con comida, música y las familias que "
            "construyeron esta coalición."
        ),
    },
    {
        "slug": "know-your-rights",
        "days": 12,
        "begins": time(18),
        "ends": time(20),
        "capacity": 60,
        "guest_limit": 3,
        "venue_name": "Community center (demo venue)",
        "venue_address": "San Bernardino, CA",
        "title_en": "Know Your Rights Workshop",
        "title_es": "Taller: Conoce tus derechos",
        "description_en": (
            "A practical session on what to do if immigration agents come to your door, to "
            "your work, or stop you on the street. English–Spanish interpretation "
            "available. Free and open to everyone."
        ),
        "description_es": (
            "Una sesión práctica sobre qué hacer si agentes de inmigración llegan a tu "
            "casa, a tu trabajo o te paran en la calle. Habrá interpretación "
            "inglés–español. Gratis y abierta a todo el público."
        ),
    },
    {
        "slug": "remembrance-evening",
        "days": 33,
        "begins": time(18, 30),
        "ends": time(20, 30),
        "capacity": 120,
        "guest_limit": 4,
        "venue_name": "Parish hall (demo venue)",
        "venue_address": "Ontario, CA",
        "title_en": "An Evening of Remembrance",
        "title_es": "Noche de memoria",
        "description_en": (
            "We honor Aidê Arana, Joaquin Cobaruvias, Socorro Cisneros and every advocate "
            "we have lost, who tirelessly advocated for immigrant justice in the Inland "
            "Empire."
        ),
        "description_es": (
            "Honramos a Aidê Arana, Joaquin Cobaruvias, Socorro Cisneros y a todas las "
            "personas defensoras que hemos perdido, quienes lucharon incansablemente por la "
            "justicia para las personas inmigrantes en el Inland Empire."
        ),
    },
    {
        "slug": "youth-art-showcase",
        "days": 61,
        "begins": time(16),
        "ends": time(19),
        "capacity": 80,
        "guest_limit": 4,
        "venue_name": "Youth arts space (demo venue)",
        "venue_address": "Moreno Valley, CA",
        "title_en": "Youth Art and Storytelling Showcase",
        "title_es": "Muestra juvenil de arte y relatos",
        "description_en": (
            "Young people from our member organisations share art, poetry and stories about "
            "their families and their communities."
        ),
        "description_es": (
            "Jóvenes de nuestras organizaciones miembro comparten arte, poesía y relatos "
            "sobre sus familias y sus comunidades."
        ),
    },
    {
        "slug": "anniversary-celebration",
        "days": 96,
        "begins": time(18),
        "ends": time(22),
        "capacity": 250,
        "guest_limit": 5,
        "venue_name": "Banquet hall (demo venue)",
        "venue_address": "Riverside, CA",
        "title_en": "15th Anniversary Celebration",
        "title_es": "Celebración del 15.º aniversario",
        "description_en": (
            "Fifteen years of organizing, celebrated together: dinner, music, and a tribute "
            "to the member organisations that make up the coalition."
        ),
        "description_es": (
            "Quince años de organización, celebrados en familia: cena, música y un "
            "reconocimiento a las organizaciones que forman la coalición."
        ),
    },
    {
        "slug": "member-assembly",
        "days": 131,
        "begins": time(10),
        "ends": time(13),
        "capacity": 100,
        "guest_limit": 2,
        "venue_name": "Community college room (demo venue)",
        "venue_address": "Coachella, CA",
        "title_en": "Member Assembly: The Next Fifteen Years",
        "title_es": "Asamblea de miembros: los próximos quince años",
        "description_en": (
            "Members and allies plan the coalition's priorities for the years ahead."
        ),
        "description_es": (
            "Miembros y aliados planeamos juntos las prioridades de la coalición para los "
            "próximos años."
        ),
    },
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
    # The rest of the coalition's own outline of its history. Only the events it names, in
    # modest words; organisers add the particulars (and check these years) in the back office.
    (
        2010,
        "Campaigning to end immigration enforcement programmes",
        "Campañas para acabar con los programas de control migratorio",
        "Member organisations campaign to end programmes that turned local police and jails "
        "into a path to deportation for immigrant families in the region.",
        "Las organizaciones miembro hacen campaña para acabar con los programas que convertían "
        "a la policía y las cárceles locales en un camino a la deportación para las familias "
        "inmigrantes de la región.",
    ),
    (
        2014,
        "Pushing back against hate groups",
        "Frente a los grupos de odio",
        "When anti-immigrant groups rally in the Inland Empire, the coalition answers with "
        "community, solidarity and peaceful presence.",
        "Cuando grupos antiinmigrantes se manifiestan en el Inland Empire, la coalición responde "
        "con comunidad, solidaridad y presencia pacífica.",
    ),
    (
        2019,
        "Legal settlements protect immigrants' rights",
        "Acuerdos legales que protegen los derechos de los inmigrantes",
        "Legal action brought with partners ends in settlements that protect the rights of "
        "immigrants in the region.",
        "Acciones legales junto con organizaciones aliadas terminan en acuerdos que protegen los "
        "derechos de las personas inmigrantes en la región.",
    ),
    (
        2021,
        "Expanded services for families",
        "Más servicios para las familias",
        "The coalition expands its services: know-your-rights workshops, the Emergency "
        "Response Network hotline, and accompaniment for families who need it.",
        "La coalición amplía sus servicios: talleres de Conoce tus derechos, la línea de la Red "
        "de Respuesta Rápida y acompañamiento para las familias que lo necesitan.",
    ),
]

#: The ways to help offered on /join: (key, English, Spanish).
HELP_AREAS = [
    ("events", "Volunteer at events", "Ayudar en los eventos"),
    ("translation", "Interpretation and translation", "Interpretación y traducción"),
    ("rapid_response", "Rapid response", "Respuesta rápida"),
    ("outreach", "Outreach in my community", "Difusión en mi comunidad"),
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


def _add_missing(model, key: dict, **values) -> int:
    """Add model(**key, **values) unless a row matches key; return how many rows were added."""
    match = select(model.id).where(*(getattr(model, k) == v for k, v in key.items()))
    if db.session.scalar(match) is not None:
        return 0
    db.session.add(model(**key, **values))
    return 1


def seed_series(today: date) -> tuple[Series, int]:
    """Create the anniversary series and its events; return the series and how many were new."""
    _add_missing(Series, {"slug": SERIES_SLUG}, timezone=DEFAULT_TIMEZONE, **SERIES)
    series = db.session.scalar(select(Series).where(Series.slug == SERIES_SLUG))
    tz = ZoneInfo(series.timezone)
    created = 0
    for event in EVENTS:
        data = dict(event)
        day = today + timedelta(days=data.pop("days"))
        begins, ends = data.pop("begins"), data.pop("ends")
        created += _add_missing(
            Event,
            {"slug": data.pop("slug")},
            series=series,
            start_dt=datetime.combine(day, begins, tzinfo=tz),
            end_dt=datetime.combine(day, ends, tzinfo=tz),
            timezone=series.timezone,
            status=EventStatus.published,
            **data,
        )
    db.session.flush()
    return series, created


def seed_honorees() -> int:
    """Create the honorees the coalition remembers; return how many were new."""
    created = sum(
        _add_missing(
            Honoree,
            {"slug": slug},
            name=name,
            summary_en=HONOREE_SUMMARY_EN,
            summary_es=HONOREE_SUMMARY_ES,
            sort_order=order,
        )
        for order, (slug, name) in enumerate(HONOREES)
    )
    db.session.flush()
    return created


def seed_milestones() -> int:
    """Create the timeline's milestones; return how many were new."""
    created = sum(
        _add_missing(
            Milestone,
            {"year": year, "title_en": title_en},
            title_es=title_es,
            text_en=text_en,
            text_es=text_es,
        )
        for year, title_en, title_es, text_en, text_es in MILESTONES
    )
    db.session.flush()
    return created


def seed_help_areas() -> int:
    """Create the ways to help offered on the join form; return how many were new."""
    created = sum(
        _add_missing(HelpArea, {"key": key}, label_en=en, label_es=es, sort_order=order)
        for order, (key, en, es) in enumerate(HELP_AREAS)
    )
    db.session.flush()
    return created


def seed_example_organisations() -> int:
    """Create a few member organisations marked as examples; return how many were new."""
    created = sum(
        _add_missing(
            MemberOrganisation,
            {"slug": slug},
            name=name,
            city=city,
            description_en=EXAMPLE_NOTE_EN,
            description_es=EXAMPLE_NOTE_ES,
            is_listed=True,
            is_example=True,
            sort_order=order,
        )
        for order, (slug, name, city) in enumerate(EXAMPLE_ORGANISATIONS)
    )
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
        f"Help areas: {seed_help_areas()} new.",
        f"Example member organisations: {seed_example_organisations()} new.",
    ]
    admin, password = seed_admin()
    if admin is None:
        report.append("An admin account already exists; no password was generated.")
    else:
        report.append(f"Admin account {admin.email}, password (shown once): {password}")
    logger.info("Demo data seeded")
    return report
