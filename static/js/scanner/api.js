// Talking to /api/v1: one request, and what kind of failure it was.
import { fill } from "./text.js";

/** An answer worth retrying: no connection, or the server (or a proxy) failed. */
export class RetryableError extends Error {}

/** 429: too many failed look-ups of door links from this network; wait, then send again. */
export class RateLimitedError extends Error {
  constructor(seconds, message) {
    super(message);
    this.seconds = seconds;
  }
}

/** How long a request may take before it counts as lost (ms): a scan's answer, by default. */
export const TIMEOUT_MS = 4000;

/**
 * Return an API client for one door: `request(method, path, body, options)` resolves with the
 * JSON answer or rejects with RetryableError, RateLimitedError or an Error carrying the server's
 * message and `status`. After a 401/403 (the door link switched off or expired) `closed()` says
 * why: asking again would only count as failed look-ups against this whole network.
 *
 * Every request has a timeout (`timeoutMs`, or options.timeoutMs for one request): an answer
 * that does not come in time is a RetryableError with `timedOut` set, like no connection.
 * `getIfChanged(path, etag, options)` asks with If-None-Match: null on 304, else {data, etag}.
 */
export function createApi({
  apiBase,
  doorToken,
  csrf,
  strings,
  fetch = globalThis.fetch,
  timeoutMs = TIMEOUT_MS,
}) {
  let doorClosed = "";

  async function exchange(method, path, body, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (doorToken) headers["X-Door-Token"] = doorToken;
    else headers["X-CSRFToken"] = csrf; // a logged-in staff member: session cookie + CSRF
    if (body) headers["Content-Type"] = "application/json";
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? timeoutMs);
    const lost = (err) => {
      const retry = new RetryableError(controller.signal.aborted ? "timed out" : String(err));
      retry.timedOut = controller.signal.aborted;
      return retry;
    };
    try {
      let response;
      try {
        response = await fetch(apiBase + path, {
          method,
          headers,
          body: body ? JSON.stringify(body) : undefined,
          credentials: "same-origin",
          cache: "no-store",
          signal: controller.signal,
        });
      } catch (err) {
        throw lost(err);
      }
      if (response.status >= 500) throw new RetryableError("HTTP " + response.status);
      if (response.status === 429) {
        const header = parseInt(response.headers.get("Retry-After") || "", 10);
        const seconds = Number.isFinite(header) && header > 0 ? header : 60;
        throw new RateLimitedError(seconds, fill(strings.rate_limited, { n: Math.max(1, Math.ceil(seconds / 60)) }));
      }
      if (response.status === 304) return { response, data: null };
      let data = null;
      try {
        data = await response.json();
      } catch (err) {
        if (controller.signal.aborted) throw lost(err); // the body stopped coming
        // A proxy's HTML error page, or an empty body.
      }
      if (!response.ok) {
        const err = new Error((data && data.message) || strings.error);
        err.status = response.status;
        if (response.status === 401 || response.status === 403) doorClosed = err.message;
        throw err;
      }
      return { response, data };
    } finally {
      clearTimeout(timer);
    }
  }

  async function request(method, path, body, options) {
    return (await exchange(method, path, body, options)).data;
  }

  async function getIfChanged(path, etag, options = {}) {
    const headers = etag ? { "If-None-Match": etag } : {};
    const { response, data } = await exchange("GET", path, undefined, { ...options, headers });
    if (response.status === 304) return null;
    return { data, etag: response.headers.get("ETag") };
  }

  return { request, getIfChanged, closed: () => doorClosed };
}
