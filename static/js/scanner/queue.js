// The queue of scans: persisted, sent in order, retried with back-off.
//
// Every scan is put in the queue (kept in localStorage: codes, ticket ids and scan ids only,
// never names) before it is sent, and leaves it when the server has answered. A request that
// fails on the network or with a 5xx is retried with the SAME client_scan_id, so the server
// answers a retry as the same scan: never a second check-in, never a false "already in".
// No DOM here: the page gives the queue its storage, its sender and what to show.
import { RateLimitedError, RetryableError } from "./api.js";

/** The first wait after a failed send, and the longest: 1 s, 2 s, 4 s … up to 30 s. */
export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 30000;

/** Return the wait before the next attempt, after one that waited `backoff` ms (0: none yet). */
export function nextBackoff(backoff) {
  return Math.min(backoff ? backoff * 2 : FIRST_RETRY_MS, MAX_RETRY_MS);
}

/** Return what is stored of a scan: what sending it again needs, never a name. */
export function storedScan({ client_scan_id, code, ticket_id, scanned_at }) {
  return code ? { client_scan_id, code, scanned_at } : { client_scan_id, ticket_id, scanned_at };
}

/** Return a new scan id: a UUID where the page may make one, else 32 random hex digits. */
export function newScanId(crypto = globalThis.crypto) {
  if (crypto && crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; getRandomValues does not.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Create the queue of one door.
 *
 * - `storage`, `key`: where the queue survives a reload (localStorage and its key);
 * - `send(scan)`: POST the scan, resolving with the answer or rejecting as api.js does;
 * - `isClosed()`: why the door link stopped working ("" while it works);
 * - `show(kind, message)`: show a verdict ("wait", "stop"); `strings`: its texts;
 * - `onAnswer(answer, scan)`: a scan was answered; `onChange()`: the queue's length or state
 *   changed (to show how many wait);
 * - `setTimer`, `clearTimer`, `now`, `scanId`: the clock and the ids (tests pass their own).
 */
export function createQueue({
  storage,
  key,
  send,
  isClosed = () => "",
  show = () => {},
  strings = {},
  onAnswer = () => {},
  onChange = () => {},
  setTimer = (fn, ms) => setTimeout(fn, ms),
  clearTimer = (timer) => clearTimeout(timer),
  now = () => new Date(),
  scanId = newScanId,
}) {
  let items = load();
  let sending = false;
  let backoff = 0; // ms; 0 while the connection works
  let retryTimer = null;

  function load() {
    try {
      const stored = JSON.parse(storage.getItem(key) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch {
      return [];
    }
  }

  function save() {
    try {
      storage.setItem(key, JSON.stringify(items.map(storedScan)));
    } catch {
      // Private mode or a full storage: the queue still works for this page.
    }
  }

  function retryLater(ms) {
    backoff = ms;
    onChange();
    retryTimer = setTimer(pump, backoff);
  }

  /** Queue one scan (a code or a ticket id) and send it; the verdict shows when it is answered. */
  function add(scan) {
    const item = { ...scan, client_scan_id: scanId(), scanned_at: now().toISOString() };
    items.push(item);
    save();
    if (isClosed()) return show("stop", isClosed());
    if (!backoff) show("wait", strings.sending);
    pump();
  }

  async function pump() {
    if (sending || isClosed()) return;
    sending = true;
    clearTimer(retryTimer);
    try {
      while (items.length) {
        const item = items[0];
        let answer;
        try {
          answer = await send({
            code: item.code,
            ticket_id: item.ticket_id,
            client_scan_id: item.client_scan_id,
            scanned_at: item.scanned_at,
          });
        } catch (err) {
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
            retryLater(nextBackoff(backoff)); // the same request again later
            show("wait", strings.queued);
            return;
          }
          items.shift(); // refused by the server (4xx): sending it again would not help
          save();
          backoff = 0;
          show("stop", err.message);
          continue;
        }
        items.shift();
        save();
        backoff = 0;
        onAnswer(answer, item);
      }
    } finally {
      sending = false;
      onChange();
    }
  }

  return {
    add,
    pump,
    /** Scans waiting for a connection (0 while it works: a scan in flight is not "waiting"). */
    waiting: () => (backoff ? items.length : 0),
    size: () => items.length,
    backoff: () => backoff,
  };
}
