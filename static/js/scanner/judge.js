// The phone's own verdict on a scan, when the server's answer does not come: the ticket read and
// its signature checked (ticket.js), judged against the snapshot (snapshot.js), and what the
// verdict box shows for it (the page adds the OFFLINE badge). The texts come from the page.
import { fill } from "./text.js";
import { readTicket as readTicketDefault } from "./ticket.js";

const clocks = new Map(); // language → its Intl.DateTimeFormat, made once

/**
 * Return a time (ms) as the phone's clock shows it, in the page's language. The formatter is
 * made once per language: making one loads the locale's data, tens of milliseconds on a phone,
 * which the page pays at start (it calls this once) rather than on an "already in" verdict.
 */
export function clockTime(ms, lang = globalThis.document?.documentElement.lang || undefined) {
  let clock = clocks.get(lang);
  if (!clock) {
    clock = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit" });
    clocks.set(lang, clock);
  }
  return clock.format(new Date(ms));
}

/**
 * Return what the verdict box shows for an offline decision (snapshot.js's offlineVerdict):
 * {kind, message}; the box also shows the OFFLINE badge. formatTime(ms): a time of day.
 */
export function offlineView(decision, strings, formatTime = clockTime) {
  switch (decision.verdict) {
    case "ok":
      return { kind: "ok", message: strings.offline_ok };
    case "in_here":
      return { kind: "warn", message: fill(strings.offline_in_here, { time: formatTime(decision.at) }) };
    case "in_before":
      return decision.at
        ? { kind: "warn", message: fill(strings.offline_in_before_at, { time: formatTime(decision.at) }) }
        : { kind: "warn", message: strings.offline_in_before };
    case "cancelled":
      return { kind: "stop", message: decision.replaced ? strings.offline_replaced : strings.offline_cancelled };
    case "other_event":
      return { kind: "stop", message: strings.offline_other_event };
    case "waitlisted":
      return { kind: "stop", message: strings.offline_waitlisted };
    case "wrong_day":
      return { kind: "ask", message: fill(strings.wrong_day, { day: decision.day }) };
    default:
      return { kind: "stop", message: strings.offline_invalid };
  }
}

/**
 * Resolve with {ticket, decision} for a queued scan, judged on the phone: a code is read and its
 * signature checked (ticket.js), a ticket id (from a name search) is this event's. Rejects when
 * the phone cannot check signatures (ticket.js's CryptoUnavailableError): the server must judge.
 */
export async function judgeOffline(scan, { snapshot, verifier, readTicket = readTicketDefault }) {
  const ticket = scan.code
    ? await readTicket(scan.code, verifier)
    : { eventId: snapshot.eventId, ticketId: scan.ticket_id, fingerprint: null };
  return { ticket, decision: snapshot.decide(ticket, { confirmDay: Boolean(scan.confirm_day) }) };
}
