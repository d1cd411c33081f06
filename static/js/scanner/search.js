// Name search at the door: the people of the event, their tickets, one button per person.
import { fill } from "./text.js";

/** Return whether a search query is long enough to send (two characters, spaces aside). */
export function isSearchable(query) {
  return query.replace(/\s/g, "").length >= 2;
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

/** Show the search's people in list; onlyRsvp: just that party. checkIn(ticketId) queues one. */
export function renderResults({ list, status, strings, results, onlyRsvp, checkIn }) {
  list.replaceChildren();
  const shown = onlyRsvp ? results.filter((r) => r.rsvp_id === onlyRsvp) : results;
  status.textContent = shown.length ? "" : strings.search_none;
  for (const person of shown) {
    const li = document.createElement("li");
    li.className = "person";
    const head = document.createElement("p");
    head.className = "person-name";
    const name = document.createElement("strong");
    name.dir = "auto"; // isolated: a name's right-to-left override cannot reorder the line
    name.textContent = person.name;
    head.append(name, " · " + fill(strings.party_of, { n: person.party_size }));
    li.append(head);
    if (person.status === "waitlisted") {
      const p = document.createElement("p");
      p.className = "person-waitlisted";
      p.textContent = "✕ " + strings.waitlisted;
      li.append(p);
    }
    const remaining = person.tickets.filter((t) => !t.checked_in);
    const actions = document.createElement("div");
    actions.className = "person-tickets";
    for (const t of person.tickets) {
      if (t.checked_in) {
        const span = document.createElement("span");
        span.className = "ticket-in";
        span.textContent = "✓ " + fill(strings.person_in, { position: t.position, time: t.checked_in_time || "" });
        actions.append(span);
      } else {
        actions.append(button(fill(strings.check_in_person, { position: t.position }), () => checkIn(t.ticket_id)));
      }
    }
    if (remaining.length > 1) {
      const all = button(fill(strings.check_in_all, { n: remaining.length }), () =>
        remaining.forEach((t) => checkIn(t.ticket_id)), // one scan (and id) each
      );
      all.classList.add("button-strong");
      actions.append(all);
    }
    li.append(actions);
    list.append(li);
  }
}
