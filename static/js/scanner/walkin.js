// Walk-ins: people who came without an RSVP, added and let in at once (POST /walkins).
//
// The volunteer gives the party's size and, if the guest wants, a first name. Nothing of a
// walk-in is kept on the phone (the scan queue holds no names, and a walk-in needs the server
// to find it a seat): with no connection the volunteer is told to count them on paper. A
// request whose answer is lost is sent again, with the same client_scan_id, when the volunteer
// presses Admit again for the same party: the server then answers it as the first time.
import { RateLimitedError, RetryableError } from "./api.js";
import { newScanId } from "./queue.js";
import { fill } from "./text.js";

/** The largest party the API takes; the page's field may say less (the event's own limit). */
export const MAX_PARTY = 20;

/** Return the party size typed in the field, or null when it is not a whole number in range. */
export function partySize(text, max = MAX_PARTY) {
  const value = String(text).trim();
  if (!/^\d{1,2}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= max ? n : null;
}

/** Return the request body of a walk-in: a first name of only spaces is none. */
export function walkInBody({ size, firstName, clientScanId, now = new Date() }) {
  const name = (firstName || "").trim().replace(/\s+/g, " ");
  const at = now.toISOString();
  return { client_scan_id: clientScanId, party_size: size, first_name: name || null, scanned_at: at, sent_at: at };
}

/**
 * Wire the walk-in form of the page (templates/checkin/_walkin.html).
 *
 * - `root`: the element holding #walkin-open, #walkin-form, #walkin-size, #walkin-name,
 *   #walkin-cancel, #walkin-status;
 * - `api`: api.js's client; `strings`: the page's texts; `show(kind, message)`: the verdict;
 * - `onAdmitted(answer)`: a party is in (refresh the counter);
 * - `isDown()`: the scanner knows it is offline (then nothing is sent).
 */
export function createWalkIn({ root, api, strings, show, onAdmitted = () => {}, isDown = () => false, scanId = newScanId }) {
  const $ = (id) => root.querySelector("#" + id);
  const els = {
    open: $("walkin-open"),
    form: $("walkin-form"),
    size: $("walkin-size"),
    name: $("walkin-name"),
    cancel: $("walkin-cancel"),
    status: $("walkin-status"),
    admit: root.querySelector("#walkin-form [type=submit]"),
  };
  const max = Number(els.size.max) || MAX_PARTY;
  let unanswered = null; // {key, body}: sent, no answer came: the same party goes as itself again

  function setOpen(open) {
    els.form.hidden = !open;
    els.open.setAttribute("aria-expanded", open ? "true" : "false");
    els.status.textContent = "";
    if (open) els.size.focus();
  }

  function reset() {
    els.form.reset();
    unanswered = null;
    setOpen(false);
  }

  function offline() {
    els.status.textContent = strings.walkin_offline;
    show("stop", strings.walkin_offline);
  }

  async function admit(event) {
    event.preventDefault();
    const size = partySize(els.size.value, max);
    if (size === null) {
      els.status.textContent = fill(strings.walkin_size, { n: max });
      return els.size.focus();
    }
    if (isDown()) return offline();
    const key = size + "\n" + els.name.value.trim();
    const body =
      unanswered && unanswered.key === key
        ? { ...unanswered.body, sent_at: new Date().toISOString() }
        : walkInBody({ size, firstName: els.name.value, clientScanId: scanId() });
    unanswered = { key, body };
    els.admit.disabled = true;
    els.status.textContent = strings.sending;
    try {
      const answer = await api.request("POST", "/walkins", body);
      show("ok", answer.message);
      reset();
      onAdmitted(answer);
    } catch (err) {
      if (err instanceof RetryableError) return offline();
      if (!(err instanceof RateLimitedError)) unanswered = null; // answered: a new try is a new walk-in
      els.status.textContent = err.message;
      show("stop", err.message);
    } finally {
      els.admit.disabled = false;
    }
  }

  els.open.addEventListener("click", () => setOpen(els.form.hidden));
  els.cancel.addEventListener("click", reset);
  els.form.addEventListener("submit", admit);
  return { open: () => setOpen(true), close: reset };
}
