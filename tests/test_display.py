from datetime import UTC, datetime

import pytest

from eventsvc.events.display import format_when

LA = "America/Los_Angeles"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Sat, Mar 14, 2099, 6:00\u202fPM – 9:00\u202fPM PDT"),
        ("es", "sáb, 14 de mar de 2099, 6:00\u202fp.m. – 9:00\u202fp.m. PDT"),
    ],
)
def test_time_is_shown_in_the_events_zone_with_its_label(language, expected):
    start = datetime(2099, 3, 15, 1, 0, tzinfo=UTC)  # 6 PM PDT the evening before
    end = datetime(2099, 3, 15, 4, 0, tzinfo=UTC)
    assert format_when(start, end, LA, language) == expected


def test_winter_event_is_labelled_standard_time():
    start = datetime(2099, 1, 10, 2, 0, tzinfo=UTC)
    end = datetime(2099, 1, 10, 5, 0, tzinfo=UTC)
    assert format_when(start, end, LA, "en").endswith("PST")


def test_event_over_midnight_names_both_days():
    start = datetime(2099, 1, 10, 6, 0, tzinfo=UTC)  # 10 PM PST on the 9th
    end = datetime(2099, 1, 10, 9, 0, tzinfo=UTC)  # 1 AM PST on the 10th
    text = format_when(start, end, LA, "en")
    assert "Jan 9" in text and "Jan 10" in text
