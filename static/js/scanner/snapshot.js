// The door's snapshot of the event's tickets, and the verdicts the phone gives from it offline.
//
// The snapshot is what GET /snapshot answers: per ticket id its seed fingerprint, its state and
// when it was checked in: no names, so it may stay on the phone (store.js). It is downloaded
// when the scanner opens and refreshed every few seconds while online (deltas: `since` the last
// revision, with If-None-Match). Admissions this phone makes offline are marked locally until
// the server has them, so a second scan of the same ticket says "already in — on this phone".
import { localKey, snapshotKey } from "./store.js";

/** The verdicts the phone can give offline (see offlineVerdict). */
export const OFFLINE_VERDICTS = [
  "ok",
  "in_here",
  "in_before",
  "cancelled",
  "other_event",
  "invalid",
  "wrong_day",
  "waitlisted",
];

/** Return whether `now` (ms) is outside the event's window ({opens_at, closes_at}, ISO times). */
export function outsideWindow(window, now) {
  if (!window) return false;
  const opens = Date.parse(window.opens_at);
  const closes = Date.parse(window.closes_at);
  return (Number.isFinite(opens) && now < opens) || (Number.isFinite(closes) && now >= closes);
}

/**
 * Return the phone's verdict on a scan without the server, as {verdict, …}:
 *
 * - ticket: what ticket.js read from the code ({eventId, ticketId, fingerprint}), null when the
 *   code is not a ticket or its signature fails;
 * - entry: the snapshot's row of that ticket ({fp, state, in}), undefined when it has none;
 *   `haveSnapshot`: false when no snapshot was ever loaded (then only the signature, the event
 *   and this phone's own admissions can be checked);
 * - localAdmission: {at (ms)} when this phone admitted the ticket offline, else null;
 * - window: the event's window ({opens_at, closes_at, day}); now: ms; confirmDay: the volunteer
 *   already said "admit" to a ticket outside it.
 *
 * Verdicts: ok; in_here {at}; in_before {at: ms or null}; cancelled {replaced}; other_event;
 * invalid; wrong_day {day}; waitlisted.
 */
export function offlineVerdict({
  ticket,
  eventId,
  entry,
  localAdmission = null,
  window = null,
  now,
  confirmDay = false,
  haveSnapshot = true,
}) {
  if (!ticket) return { verdict: "invalid" };
  if (Number(ticket.eventId) !== Number(eventId)) return { verdict: "other_event" };
  if (!entry && haveSnapshot) return { verdict: "invalid" }; // a ticket id the event does not have
  if (entry) {
    if (entry.state === "void" || entry.state === "cancelled") return { verdict: "cancelled", replaced: false };
    if (ticket.fingerprint && entry.fp && ticket.fingerprint !== entry.fp) {
      return { verdict: "cancelled", replaced: true }; // an old code: the ticket got a new seed
    }
    if (entry.state === "waitlisted") return { verdict: "waitlisted" };
  }
  if (localAdmission) return { verdict: "in_here", at: localAdmission.at };
  if (entry && entry.in) return { verdict: "in_before", at: entry.in > 0 ? entry.in * 1000 : null };
  if (!confirmDay && outsideWindow(window, now)) return { verdict: "wrong_day", day: window.day || "" };
  return { verdict: "ok" };
}

/** Return the rows of an answer as [id, {fp, state, in}] pairs. */
function rowsOf(tickets) {
  return (tickets || []).map(([id, fp, state, checkedIn]) => [Number(id), { fp, state, in: Number(checkedIn) || 0 }]);
}

/**
 * Create the snapshot of one event.
 *
 * - `store`: store.js's store (or a promise of it); `eventId`;
 * - `fetchSnapshot(since, etag)`: GET /snapshot, resolving with null on 304 or {data, etag};
 * - `now()`: ms (tests pass their own clock).
 */
export function createSnapshot({ store, eventId, fetchSnapshot, now = () => Date.now() }) {
  let tickets = new Map(); // ticket id → {fp, state, in}
  let revision = null;
  let etag = null;
  let window = null;
  let count = null;
  let loaded = false; // a snapshot was ever loaded (from the server or from the store)
  let local = new Map(); // ticket id → {at, scan, synced}: admitted offline on this phone
  // The server's answers about single tickets (note()), kept until a snapshot asked for after
  // them arrives: one asked for before might not have them yet.
  const notes = new Map(); // ticket id → {in, at (ms)}
  let refreshing = null;

  const ready = (async () => {
    const s = await store;
    const [saved, marks] = await Promise.all([s.get(snapshotKey(eventId)), s.get(localKey(eventId))]);
    if (saved && !loaded) {
      tickets = new Map(rowsOf(saved.tickets));
      ({ revision, etag, window, count } = saved);
      loaded = true;
    }
    for (const [id, mark] of Object.entries(marks || {})) if (!local.has(Number(id))) local.set(Number(id), mark);
    return s;
  })();

  async function save() {
    const s = await store;
    const rows = [...tickets].map(([id, t]) => [id, t.fp, t.state, t.in]);
    await s.set(snapshotKey(eventId), { event_id: eventId, revision, etag, window, count, tickets: rows });
  }

  async function saveLocal() {
    const s = await store;
    await s.set(localKey(eventId), Object.fromEntries(local));
  }

  /**
   * Take in a snapshot answer: a full one replaces what is held, a delta is merged. Resolve with
   * {needFull}: after merging, the number of tickets held differs from the answer's count (a
   * ticket was deleted), so the next request must be a full one. askedAt: when it was asked
   * for (ms); what note() learnt after that still holds.
   */
  async function apply(answer, answerEtag = null, askedAt = Infinity) {
    await ready;
    if (answer.event_id !== undefined && Number(answer.event_id) !== Number(eventId)) {
      throw new Error("a snapshot of another event");
    }
    const rows = rowsOf(answer.tickets);
    if (answer.full) tickets = new Map(rows);
    else for (const [id, row] of rows) tickets.set(id, row);
    revision = answer.revision ?? revision;
    window = answer.window ?? window;
    count = answer.count ?? tickets.size;
    loaded = true;
    for (const [id, n] of notes) {
      if (n.at < askedAt) notes.delete(id); // the server had it when it answered
      else if (tickets.has(id)) tickets.get(id).in = n.in;
    }
    const needFull = tickets.size !== count;
    etag = needFull ? null : answerEtag;
    if (needFull) revision = null; // ask again without `since`
    // The server has what this phone admitted once it synced; a synced mark the server no
    // longer shows as in was undone elsewhere (the back office): the server is right.
    let marksChanged = false;
    for (const [id, mark] of local) {
      const row = tickets.get(id);
      if (mark.synced && row && !row.in) {
        local.delete(id);
        marksChanged = true;
      }
    }
    await Promise.all([save(), marksChanged ? saveLocal() : null]);
    return { needFull };
  }

  /**
   * Ask the server what changed since the last revision (If-None-Match: a 304 means nothing);
   * a count that no longer matches asks once more for the full list. Rejects as api.js does.
   */
  function refresh() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      await ready;
      for (let attempt = 0; attempt < 2; attempt++) {
        const askedAt = now();
        const answer = await fetchSnapshot(revision, etag);
        if (answer === null) return false; // 304: nothing new
        const { needFull } = await apply(answer.data, answer.etag, askedAt);
        if (!needFull) return true;
      }
      return true;
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  /** Record an answer of the server about one ticket (checked in at `inSeconds`, 0: undone). */
  function note(ticketId, inSeconds) {
    notes.set(Number(ticketId), { in: inSeconds, at: now() });
    const row = tickets.get(Number(ticketId));
    if (!row) return;
    row.in = inSeconds;
    save().catch(() => {});
  }

  /** Mark a ticket as admitted offline by this phone (scan: its client_scan_id). */
  async function markLocal(ticketId, scan = null) {
    local.set(Number(ticketId), { at: now(), scan, synced: false });
    await saveLocal();
  }

  /** Forget this phone's offline admission of a ticket (it was undone before it synced). */
  async function unmarkLocal(ticketId) {
    if (local.delete(Number(ticketId))) await saveLocal();
  }

  /** The server has this phone's offline admission of a ticket. */
  async function localSynced(ticketId) {
    const mark = local.get(Number(ticketId));
    if (!mark || mark.synced) return;
    mark.synced = true;
    await saveLocal();
  }

  /** Return the offline verdict on a ticket read by ticket.js (or null: not a ticket). */
  function decide(ticket, { confirmDay = false } = {}) {
    const id = ticket ? Number(ticket.ticketId) : null;
    return offlineVerdict({
      ticket,
      eventId,
      entry: ticket ? tickets.get(id) : undefined,
      localAdmission: ticket ? local.get(id) || null : null,
      window,
      now: now(),
      confirmDay,
      haveSnapshot: loaded,
    });
  }

  return {
    eventId,
    ready,
    apply,
    refresh,
    note,
    markLocal,
    unmarkLocal,
    localSynced,
    decide,
    /** The row of a ticket ({fp, state, in}) or undefined. */
    entry: (ticketId) => tickets.get(Number(ticketId)),
    /** This phone's offline admission of a ticket ({at, scan, synced}) or undefined. */
    local: (ticketId) => local.get(Number(ticketId)),
    window: () => window,
    loaded: () => loaded,
    size: () => tickets.size,
    revision: () => revision,
  };
}
