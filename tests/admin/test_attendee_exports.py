"""The back office's CSV exports of attendees and check-ins."""

import csv
import io
import re

from eventsvc.checkin.doors import Door, create_door_pass
from eventsvc.checkin.services import check_in
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp
from tests.admin.attendee_pages import audit, base

# --- CSV exports ------------------------------------------------------------------------------


def read_csv(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


FORMULAS = ['=HYPERLINK("http://x","y")', "+1 Persona", "@SUM(A1:A2)", "-2+3"]


def test_attendee_export_is_formula_safe_follows_filters_and_is_audited(
    app, client, organiser, event_id, add
):
    for n, name in enumerate(FORMULAS):
        add(event_id, name, email=f"f{n}@example.org", access_needs="=1+1" if n == 0 else "")
    add(event_id, "Ana Normal", email="ana@example.org", phone="+19095550123")
    response = client.post(f"/admin/events/{event_id}/attendees.csv", data={"show": "live"})
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="attendees-gala-\d{8}-\d{4}\.csv"', disposition)
    rows = read_csv(response)
    assert len(rows) == 5
    names = {r["email"]: r["name"] for r in rows}
    assert names["f0@example.org"] == '\'=HYPERLINK("http://x","y")'
    assert names["f1@example.org"] == "'+1 Persona"
    assert names["f2@example.org"] == "'@SUM(A1:A2)"
    assert names["f3@example.org"] == "'-2+3"
    by_email = {r["email"]: r for r in rows}
    assert by_email["f0@example.org"]["access_needs"] == "'=1+1"
    assert by_email["ana@example.org"]["phone"] == "'+19095550123"  # text, never a formula
    assert by_email["ana@example.org"]["status"] == "confirmed"
    assert by_email["ana@example.org"]["party_size"] == "1"
    # The filters of the page are the export's.
    rows = read_csv(
        client.post(f"/admin/events/{event_id}/attendees.csv", data={"q": "ana", "show": "all"})
    )
    assert [r["name"] for r in rows] == ["Ana Normal"]
    entries = audit(app, "export.attendees")
    assert [e.details["rows"] for e in entries] == [5, 1]
    assert entries[0].actor_id == organiser["id"] and entries[0].created_dt is not None
    assert entries[0].object_id == str(event_id)
    assert entries[1].details["filters"] == {"search": True, "show": "all"}
    flat = repr([e.details for e in entries])
    for personal in ("HYPERLINK", "Ana", "ana@", "555"):
        assert personal not in flat


def test_check_in_export_lists_every_scan_and_is_audited(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, '=HYPERLINK("http://x")', email="x@example.org", party_size=2)
    with app.app_context():
        rsvp = db.session.get(Rsvp, rsvp_id)
        door = create_door_pass(rsvp.event, "@Main door")
        at_door = Door(event=rsvp.event, door_pass=door)
        check_in(at_door, ticket_id=rsvp.tickets[0].id)
        check_in(at_door, ticket_id=rsvp.tickets[0].id)  # scanned twice: refused
        db.session.commit()
    client.post(f"{base(event_id)}/{rsvp_id}/checkin", data={"count": "1"})
    response = client.post(f"/admin/events/{event_id}/checkins.csv")
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="checkins-gala-\d{8}-\d{4}\.csv"', disposition)
    rows = read_csv(response)
    assert [(r["result"], r["person"], r["door"]) for r in rows] == [
        ("ok", "1", "'@Main door"),
        ("already_checked_in", "", "'@Main door"),  # a refused scan names nobody
        ("ok", "2", ""),
    ]
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("http://x")', "", '\'=HYPERLINK("http://x")']
    assert rows[1]["ticket_id"] == rows[1]["rsvp_id"] == ""
    assert rows[2]["staff"] == "Olga Organiser"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[78]:00", rows[0]["scanned_at"])
    [entry] = audit(app, "export.checkins")
    assert entry.actor_id == organiser["id"]
    assert entry.details == {"event_id": event_id, "rows": 3, "filters": {}}
