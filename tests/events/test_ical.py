"""The iCalendar builder, read back by two independent parsers (icalendar and vobject)."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

import eventsvc.models  # noqa: F401  (every model mapped before an Event is built)
from eventsvc.events.ical import build_calendar, event_uid
from eventsvc.events.models import Event, EventStatus

BASE_URL = "https://eventos.example.org"
LA = ZoneInfo("America/Los_Angeles")
HOTLINE = "Emergency Response Network: 909-361-4588"


def build_event(**kw) -> Event:
    """Return an unsaved event (in no session) for the pure builder; kw replaces fields."""
    fields = {
        "id": 7,
        "slug": "gala",
        "title_en": "Anniversary gala",
        "title_es": "Gala de aniversario",
        "description_en": "Fifteen years together.",
        "description_es": "Quince años juntos.",
        "start_dt": datetime(2026, 7, 18, 1, 0, tzinfo=UTC),  # 18:00 PDT on 17 July
        "end_dt": datetime(2026, 7, 18, 4, 0, tzinfo=UTC),
        "timezone": "America/Los_Angeles",
        "venue_name": "Centro Comunitario",
        "venue_address": "123 Main St, Riverside, CA",
        "status": EventStatus.published,
        "ical_sequence": 3,
        "updated_dt": datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
        "capacity": 100,
    }
    return Event(**(fields | kw))


def build(events, **kw) -> bytes:
    return build_calendar(events, **({"base_url": BASE_URL, "language": "en"} | kw))


def parse_both(data: bytes):
    """Return the VEVENTs as icalendar components and as vobject components, by UID."""
    by_icalendar = {str(c["UID"]): c for c in icalendar.Calendar.from_ical(data).walk("VEVENT")}
    by_vobject = {c.uid.value: c for c in vobject.readOne(data.decode()).vevent_list}
    assert by_icalendar.keys() == by_vobject.keys()
    return by_icalendar, by_vobject


def test_uid_is_stable_and_formatted_as_documented():
    event = build_event()
    first = build([event])
    event.title_en, event.start_dt = "Renamed", event.start_dt + timedelta(days=1)
    event.end_dt += timedelta(days=1)
    second = build([event])
    for data in (first, second):
        ours, theirs = parse_both(data)
        assert list(ours) == list(theirs) == ["event-7@eventos.example.org"]
    assert event_uid(event, "http://127.0.0.1:5000/") == "event-7@127.0.0.1"


def test_calendar_properties():
    cal = icalendar.Calendar.from_ical(build([build_event()]))
    assert cal["PRODID"] == "-//eventsvc//EN"
    assert cal["VERSION"] == "2.0"
    assert cal["CALSCALE"] == "GREGORIAN"
    assert "METHOD" not in cal and "X-WR-CALNAME" not in cal


def test_method_and_calendar_name_when_given():
    cal = icalendar.Calendar.from_ical(
        build([build_event()], method="PUBLISH", calendar_name="15 años")
    )
    assert cal["METHOD"] == "PUBLISH"
    assert cal["NAME"] == cal["X-WR-CALNAME"] == "15 años"
    assert vobject.readOne(build([], method="PUBLISH").decode()).method.value == "PUBLISH"


def test_summer_event_is_written_in_its_zone_and_reads_back_as_the_stored_utc():
    event = build_event()
    data = build([event])
    assert b"DTSTART;TZID=America/Los_Angeles:20260717T180000\r\n" in data
    assert b"DTEND;TZID=America/Los_Angeles:20260717T210000\r\n" in data
    ours, theirs = parse_both(data)
    uid = event_uid(event, BASE_URL)
    assert ours[uid].start == event.start_dt and ours[uid].end == event.end_dt
    assert ours[uid].start.utcoffset() == timedelta(hours=-7)
    assert theirs[uid].dtstart.value.astimezone(UTC) == event.start_dt
    assert theirs[uid].dtend.value.astimezone(UTC) == event.end_dt
    assert theirs[uid].dtstart.value.utcoffset() == timedelta(hours=-7)


def test_night_clocks_fall_back_first_and_second_occurrence():
    # 2026-11-01 in Los Angeles: 01:00-01:59 happens twice, first PDT (UTC-7), then PST (UTC-8).
    first = datetime(2026, 11, 1, 1, 30, tzinfo=LA)  # fold=0: the first 01:30
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=LA)
    assert first.astimezone(UTC) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert second.astimezone(UTC) == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    event = build_event(start_dt=first.astimezone(UTC), end_dt=second.astimezone(UTC))
    data = build([event])
    # RFC 5545 reads a repeated local time as its first occurrence: the first 01:30 can be written
    # in the zone, the second only in UTC.
    assert b"DTSTART;TZID=America/Los_Angeles:20261101T013000\r\n" in data
    assert b"DTEND:20261101T093000Z\r\n" in data
    ours, theirs = parse_both(data)
    uid = event_uid(event, BASE_URL)
    # Compare in UTC: Python never finds a time in the repeated hour equal to one in another zone.
    assert ours[uid].start.astimezone(UTC) == event.start_dt
    assert ours[uid].end.astimezone(UTC) == event.end_dt
    assert theirs[uid].dtstart.value.astimezone(UTC) == event.start_dt
    assert theirs[uid].dtend.value.astimezone(UTC) == event.end_dt
    assert ours[uid].end - ours[uid].start == timedelta(hours=1)


def test_winter_event_after_the_change_is_pst():
    start = datetime(2026, 11, 1, 2, 0, tzinfo=LA)  # after the repeated hour: PST
    event = build_event(
        start_dt=start.astimezone(UTC), end_dt=start.astimezone(UTC) + timedelta(hours=2)
    )
    data = build([event])
    assert b"DTSTART;TZID=America/Los_Angeles:20261101T020000\r\n" in data
    ours, theirs = parse_both(data)
    uid = event_uid(event, BASE_URL)
    assert ours[uid].start.utcoffset() == timedelta(hours=-8)
    assert theirs[uid].dtstart.value.astimezone(UTC) == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_vtimezone_present_for_each_zone_used():
    events = [
        build_event(),
        build_event(id=8, slug="ny", timezone="America/New_York"),
        build_event(id=9, slug="again"),
    ]
    cal = icalendar.Calendar.from_ical(build(events))
    assert sorted(tz["TZID"] for tz in cal.walk("VTIMEZONE")) == [
        "America/Los_Angeles",
        "America/New_York",
    ]
    la = next(tz for tz in cal.walk("VTIMEZONE") if tz["TZID"] == "America/Los_Angeles")
    assert {str(c["TZNAME"]) for c in la.walk("DAYLIGHT")} == {"PDT"}
    assert cal.get_missing_tzids() == set()
    data = build(events)
    assert data.index(b"BEGIN:VTIMEZONE") < data.index(b"BEGIN:VEVENT")


@pytest.mark.parametrize(
    ("local", "offset"),
    [
        (datetime(2026, 1, 15, 19, 0), -8),
        (datetime(2031, 7, 1, 19, 0), -7),
        (datetime(2045, 7, 1, 19, 0), -7),
        (datetime(2046, 1, 10, 19, 0), -8),
    ],
)
def test_vtimezone_gives_every_year_its_offset(local, offset):
    start = local.replace(tzinfo=LA).astimezone(UTC)
    event = build_event(start_dt=start, end_dt=start + timedelta(hours=2))
    data = build([event])
    ours, theirs = parse_both(data)
    uid = event_uid(event, BASE_URL)
    assert theirs[uid].dtstart.value.utcoffset() == timedelta(hours=offset)
    assert theirs[uid].dtstart.value.astimezone(UTC) == start
    assert ours[uid].start == start


def test_vtimezone_widens_for_an_event_past_its_years():
    # Checked with icalendar only: vobject keeps the first definition of a TZID it saw in the
    # process (as calendar apps may), which is why every other document carries the same one.
    start = datetime(2063, 7, 1, 19, 0, tzinfo=LA).astimezone(UTC)
    event = build_event(start_dt=start, end_dt=start + timedelta(hours=2))
    data = build([event])
    assert b"RDATE:20630311T030000\r\n" in data
    cal = icalendar.Calendar.from_ical(data)
    (vevent,) = cal.walk("VEVENT")
    assert vevent.start == start
    (timezone,) = cal.walk("VTIMEZONE")
    own = timezone.to_tz(lookup_tzid=False)  # the definition itself, not the tz database
    assert datetime(2063, 7, 1, 19, tzinfo=own).utcoffset() == timedelta(hours=-7)
    assert datetime(2063, 12, 1, 19, tzinfo=own).utcoffset() == timedelta(hours=-8)


def test_vtimezone_is_the_same_in_every_document_and_lists_one_rdate_a_line():
    def vtimezone(data: bytes) -> bytes:
        return data[data.index(b"BEGIN:VTIMEZONE") : data.index(b"END:VTIMEZONE")]

    a = build([build_event()])
    b = build(
        [
            build_event(
                start_dt=datetime(2030, 2, 1, tzinfo=UTC), end_dt=datetime(2030, 2, 2, tzinfo=UTC)
            )
        ]
    )
    assert vtimezone(a) == vtimezone(b)
    rdates = [line for line in vtimezone(a).split(b"\r\n") if line.startswith(b"RDATE")]
    assert len(rdates) > 40
    assert all(re.fullmatch(rb"RDATE:\d{8}T\d{6}", line) for line in rdates)


def test_crlf_line_endings_only():
    data = build([build_event(description_en="Line one\nLine two")])
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")
    assert b"\\n" in data  # a newline inside a text value is escaped, not a line break


def test_long_descriptions_are_folded_at_75_octets():
    text = "Únete a la celebración de quince años de lucha por la justicia migratoria. " * 8
    event = build_event(description_es=text)
    data = build([event], language="es")
    lines = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # continuation lines
    for line in lines:
        line.decode("utf-8")  # never folded in the middle of a character
    ours, theirs = parse_both(data)
    uid = event_uid(event, BASE_URL)
    assert str(ours[uid]["DESCRIPTION"]) == theirs[uid].description.value == text


def test_spanish_text_when_language_is_es():
    event = build_event()
    ours, theirs = parse_both(build([event], language="es", footer=HOTLINE))
    uid = event_uid(event, BASE_URL)
    assert ours[uid]["SUMMARY"] == theirs[uid].summary.value == "Gala de aniversario"
    assert theirs[uid].description.value == f"Quince años juntos.\n\n{HOTLINE}"


def test_english_when_spanish_is_missing():
    event = build_event(title_es=None, description_es="")
    ours, _ = parse_both(build([event], language="es"))
    vevent = ours[event_uid(event, BASE_URL)]
    assert vevent["SUMMARY"] == "Anniversary gala"
    assert vevent["DESCRIPTION"] == "Fifteen years together."


def test_description_ends_with_the_footer():
    event = build_event(description_en="")
    ours, theirs = parse_both(build([event], footer=HOTLINE))
    assert theirs[event_uid(event, BASE_URL)].description.value == HOTLINE
    ours, _ = parse_both(build([build_event()], footer=HOTLINE))
    assert str(ours[event_uid(event, BASE_URL)]["DESCRIPTION"]).endswith(f"\n\n{HOTLINE}")


def test_location_url_status_and_modification():
    event = build_event()
    ours, theirs = parse_both(build([event], base_url=BASE_URL + "/"))
    uid = event_uid(event, BASE_URL)
    assert theirs[uid].location.value == "Centro Comunitario, 123 Main St, Riverside, CA"
    assert theirs[uid].url.value == "https://eventos.example.org/events/gala"
    assert ours[uid]["STATUS"] == "CONFIRMED"
    assert ours[uid]["LAST-MODIFIED"].dt == event.updated_dt
    assert ours[uid]["DTSTAMP"].dt.tzinfo is not None


def test_location_skips_empty_parts():
    events = [
        build_event(venue_address=""),
        build_event(id=8, slug="b", venue_name=""),
        build_event(id=9, slug="c", venue_name="", venue_address=""),
    ]
    ours, _ = parse_both(build(events))
    assert ours["event-7@eventos.example.org"]["LOCATION"] == "Centro Comunitario"
    assert ours["event-8@eventos.example.org"]["LOCATION"] == "123 Main St, Riverside, CA"
    assert "LOCATION" not in ours["event-9@eventos.example.org"]


def test_cancelled_event_is_status_cancelled():
    event = build_event()
    event.cancel()
    ours, theirs = parse_both(build([event]))
    uid = event_uid(event, BASE_URL)
    assert ours[uid]["STATUS"] == theirs[uid].status.value == "CANCELLED"
    assert ours[uid]["SEQUENCE"] == 4


@pytest.mark.parametrize("sequence", [0, 1, 12])
def test_sequence_equals_ical_sequence(sequence):
    event = build_event(ical_sequence=sequence)
    ours, theirs = parse_both(build([event]))
    uid = event_uid(event, BASE_URL)
    assert ours[uid]["SEQUENCE"] == sequence
    assert int(theirs[uid].sequence.value) == sequence


def test_dtstamp_is_now_in_utc_or_as_given():
    now = datetime(2026, 5, 5, 17, 0, tzinfo=UTC)
    data = build([build_event()], now=now)
    assert b"DTSTAMP:20260505T170000Z\r\n" in data


def test_empty_calendar_is_valid():
    data = build([])
    cal = icalendar.Calendar.from_ical(data)
    assert cal.walk("VEVENT") == [] and cal.walk("VTIMEZONE") == []
    assert vobject.readOne(data.decode()).prodid.value == "-//eventsvc//EN"


def test_refresh_interval_for_subscribers():
    from datetime import timedelta as td

    data = build([build_event()], refresh_interval=td(hours=1))
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in data
    cal = icalendar.Calendar.from_ical(data)
    assert cal["REFRESH-INTERVAL"].dt == td(hours=1)
    assert vobject.readOne(data.decode()).contents["x-published-ttl"][0].value == "PT1H"
    assert b"REFRESH-INTERVAL" not in build([build_event()])


def test_stable_document_stamps_with_the_last_change_and_repeats_byte_for_byte():
    event = build_event()
    first = build([event], stable=True)
    assert b"DTSTAMP:20260601T120000Z\r\n" in first
    assert build([event], stable=True) == first
    ours, theirs = parse_both(first)
    uid = event_uid(event, BASE_URL)
    assert ours[uid]["DTSTAMP"].dt == event.updated_dt == theirs[uid].dtstamp.value


@pytest.mark.parametrize(
    "text",
    [
        "a;b,c\\d\ne\r\nf",
        "x" * 73 + "\\,y" + "z" * 200,
        "ñ" * 100 + "\\;" + "€" * 40,
        "\\" * 151,
    ],
)
def test_escaping_and_folding_read_back_exactly(text):
    event = build_event(description_en=text)
    data = build([event])
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
        line.decode()  # never cut inside a UTF-8 character
    ours, theirs = parse_both(data)
    uid = event_uid(event, BASE_URL)
    expected = text.replace("\r\n", "\n")
    assert str(ours[uid]["DESCRIPTION"]) == theirs[uid].description.value == expected
