// The queue of scans: persisted, sent in order, retried with back-off, decided offline when the
// answer does not come.
//
// Every scan is put in the queue (kept in IndexedDB by store.js: codes, ticket ids, scan ids,
// times and flags, never names) before it is sent, and leaves it when the server has answered.
// A request that fails on the network, times out or gets a 5xx is retried with the SAME
// client_scan_id, so the server answers a retry as the same scan: never a second check-in, never
// a false "already in".
//
// A scan whose answer does not come is decided on the phone at once (`onUnanswered`): an offline
// admission stays queued, marked `offline`, and is synced later with `sent_at` (the device's
// clock when it is sent, so the server can correct `scanned_at`); an offline refusal leaves the
// queue (the page has shown it). While the connection is known to be down, new scans are decided
// at once, without waiting for a request to fail. No DOM here: the page gives the queue its
// store, its sender, and what to show.
import { RateLimitedError, RetryableError } from "./api.js";

/** The first wait after a failed send, and the longest: 1 s, 2 s, 4 s … up to 30 s. */
export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 30000;

/** Return the wait before the next attempt, after one that waited `backoff` ms (0: none yet). */
export function nextBackoff(backoff) {
  return Math.min(backoff ? backoff * 2 : FIRST_RETRY_MS, MAX_RETRY_MS);
}

/** Return what is stored of a scan: what sending it again needs, never a name. */
export function storedScan({ client_scan_id, code, ticket_id, scanned_at, offline, confirm_day }) {
  const scan = code ? { client_scan_id, code, scanned_at } : { client_scan_id, ticket_id, scanned_at };
  if (offline) scan.offline = true;
  if (confirm_day) scan.confirm_day = true;
  return scan;
}

/** Return the request body of a scan; `sentAt`: the device's time now (ISO). */
export function requestBody(item, sentAt) {
  const body = {
    code: item.code,
    ticket_id: item.ticket_id,
    client_scan_id: item.client_scan_id,
    scanned_at: item.scanned_at,
  };
  if (item.offline) Object.assign(body, { offline: true, sent_at: sentAt });
  if (item.confirm_day) body.confirm_day = true;
  return body;
}

/** Return a new scan id: a UUID where the page may make one, else 32 random hex digits. */
export function newScanId(crypto = globalThis.crypto) {
  if (crypto && crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; getRandomValues does not.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function isScan(s) {
  return Boolean(s && typeof s === "object" && s.client_scan_id && (s.code || s.ticket_id));
}

/**
 * Create the queue of one door.
 *
 * - `store`, `key`: where the queue survives a reload (store.js's store, or a promise of it);
 * - `send(body)`: POST the scan, resolving with the answer or rejecting as api.js does;
 * - `isClosed()`: why the door link stopped working ("" while it works);
 * - `isOnline()`: false when the browser knows it has no network (navigator.onLine);
 * - `show(kind, message)`: show a verdict ("wait", "stop"); `strings`: its texts;
 * - `onAnswer(answer, scan)`: the server answered a scan made while online;
 * - `onSynced(answer, scan)`: an offline admission reached the server (answer.conflict: it could
 *   not honour it), or `({error}, scan)`: the server refused the request;
 * - `onUnanswered(scan)`: decide a scan without the server; resolves with "admitted" (it stays
 *   queued as an offline admission), "refused" (it leaves the queue) or "undecided" (the phone
 *   cannot tell: it stays queued and goes to the server as a plain scan);
 * - `onOnline()`: a request went through after the connection was down;
 * - `onChange()`: the queue's length or state changed (to show how many wait);
 * - `setTimer`, `clearTimer`, `now`, `scanId`: the clock and the ids (tests pass their own).
 */
export function createQueue({
  store,
  key,
  send,
  isClosed = () => "",
  isOnline = () => true,
  show = () => {},
  strings = {},
  onAnswer = () => {},
  onSynced = () => {},
  onUnanswered = async () => "undecided",
  onOnline = () => {},
  onChange = () => {},
  setTimer = (fn, ms) => setTimeout(fn, ms),
  clearTimer = (timer) => clearTimeout(timer),
  now = () => new Date(),
  scanId = newScanId,
}) {
  let items = []; // in order; scans added before the stored ones were read go after them
  let sending = false;
  let current = null; // the scan whose request is in flight
  let backoff = 0; // ms; 0 while the connection works
  let down = false; // a request failed on the network: new scans are decided at once
  let retryTimer = null;

  const ready = (async () => {
    let stored = [];
    try {
      const s = await store;
      const value = await s.get(key);
      stored = Array.isArray(value) ? value.filter(isScan) : [];
    } catch {
      // A damaged or unreadable queue: nothing in it can be sent.
    }
    const known = new Set(items.map((i) => i.client_scan_id));
    items = [...stored.filter((s) => !known.has(s.client_scan_id)), ...items];
    onChange();
  })();

  function save() {
    const scans = () => items.map(storedScan);
    return ready
      .then(async () => (await store).set(key, scans()))
      .catch(() => {}); // a full or refused store: the queue still works for this page
  }

  function removeItem(item) {
    const index = items.indexOf(item);
    if (index >= 0) items.splice(index, 1);
    save();
  }

  function isDown() {
    return down || !isOnline();
  }

  function wentThrough() {
    backoff = 0;
    if (!down) return;
    down = false;
    onOnline();
  }

  function retryLater(ms) {
    backoff = ms;
    onChange();
    clearTimer(retryTimer);
    retryTimer = setTimer(pump, backoff);
  }

  /** Decide one scan without the server (see onUnanswered); it leaves the queue if refused. */
  async function decide(item) {
    item.deciding = true;
    let outcome = "undecided";
    try {
      outcome = await onUnanswered(item);
    } catch {
      // The phone could not judge (no crypto here, say): the server will.
    }
    item.deciding = false;
    item.fresh = false;
    if (outcome === "admitted") {
      item.offline = true;
      save();
    } else if (outcome === "refused") {
      removeItem(item);
    } else {
      show("wait", strings.queued);
    }
    onChange();
  }

  /** Decide offline every scan made on this page that has no answer yet, in order. */
  async function decideUnanswered() {
    for (const item of items.filter((i) => i.fresh && !i.deciding)) await decide(item);
  }

  /**
   * Queue one scan (a code or a ticket id) and send it; the verdict shows when it is answered or
   * decided. A scan may carry its client_scan_id and scanned_at (the same scan sent again, with
   * confirm_day), and `offline: true` (the phone already admitted it: it only needs syncing).
   * `meta`: what the page keeps with the scan on this page only (never stored). Returns the scan.
   */
  function add(scan, meta = {}) {
    const item = storedScan({
      ...scan,
      client_scan_id: scan.client_scan_id || scanId(),
      scanned_at: scan.scanned_at || now().toISOString(),
    });
    item.fresh = !item.offline;
    item.meta = meta;
    items.push(item);
    save();
    onChange();
    if (isClosed()) {
      show("stop", isClosed());
    } else if (item.fresh && isDown()) {
      decide(item).then(pump); // no waiting for a request that will fail
    } else {
      if (item.fresh && !backoff) show("wait", strings.sending);
      pump();
    }
    return item;
  }

  async function pump() {
    await ready;
    if (sending || isClosed()) return;
    if (items.length && !isOnline()) {
      // The browser knows it has no network: a request would only fail. Its "online" event
      // sends them (reconnected); the timer is in case that event never comes.
      down = true;
      retryLater(nextBackoff(backoff));
      return;
    }
    sending = true;
    clearTimer(retryTimer);
    try {
      while (items.length) {
        const item = items[0];
        if (item.deciding) break; // its decision pumps again
        let answer;
        current = item;
        try {
          answer = await send(requestBody(item, now().toISOString()));
        } catch (err) {
          current = null;
          if (err instanceof RateLimitedError) {
            // The scan stays queued and goes again once the network may ask again.
            retryLater(err.seconds * 1000);
            show("stop", err.message);
            return;
          }
          if (isClosed()) {
            show("stop", err.message); // the scans stay saved; nothing more is sent
            return;
          }
          if (err instanceof RetryableError) {
            down = true;
            retryLater(nextBackoff(backoff)); // the same request again later
            await decideUnanswered();
            return;
          }
          removeItem(item); // refused by the server (4xx): sending it again would not help
          wentThrough();
          if (item.offline) onSynced({ error: err }, item);
          else show("stop", err.message);
          continue;
        }
        current = null;
        removeItem(item);
        wentThrough();
        if (item.offline) onSynced(answer, item);
        else onAnswer(answer, item);
      }
    } finally {
      sending = false;
      current = null;
      onChange();
    }
  }

  /**
   * Take a scan out of the queue before it is sent (undo of an offline admission): "removed",
   * "in_flight" (its request is on its way: too late to take back here) or "gone" (not queued).
   */
  function remove(clientScanId) {
    if (current && current.client_scan_id === clientScanId) return "in_flight";
    const item = items.find((i) => i.client_scan_id === clientScanId);
    if (!item) return "gone";
    removeItem(item);
    onChange();
    return "removed";
  }

  /** The connection is known to be down (the browser said so, or another request failed). */
  function disconnected() {
    if (down) return;
    down = true;
    onChange();
  }

  /** The connection is back (the browser said so, or another request went through): send now. */
  function reconnected() {
    if (down) {
      down = false;
      backoff = 0;
      onOnline();
    }
    return pump();
  }

  return {
    add,
    pump,
    remove,
    ready,
    disconnected,
    reconnected,
    isDown,
    /** Scans waiting for a connection (0 while it works: a scan in flight is not "waiting"). */
    waiting: () => (backoff || isDown() ? items.length : 0),
    size: () => items.length,
    backoff: () => backoff,
    /** The stored form of the queued scans, in order (for tests and the page). */
    scans: () => items.map(storedScan),
  };
}
