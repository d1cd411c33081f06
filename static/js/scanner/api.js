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

/**
 * Return an API client for one door: `request(method, path, body)` resolves with the JSON answer
 * or rejects with RetryableError, RateLimitedError or an Error carrying the server's message and
 * `status`. After a 401/403 (the door link switched off or expired) `closed()` says why: asking
 * again would only count as failed look-ups against this whole network.
 */
export function createApi({ apiBase, doorToken, csrf, strings, fetch = globalThis.fetch }) {
  let doorClosed = "";

  async function request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (doorToken) headers["X-Door-Token"] = doorToken;
    else headers["X-CSRFToken"] = csrf; // a logged-in staff member: session cookie + CSRF
    if (body) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(apiBase + path, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (err) {
      throw new RetryableError(String(err));
    }
    if (response.status >= 500) throw new RetryableError("HTTP " + response.status);
    if (response.status === 429) {
      const header = parseInt(response.headers.get("Retry-After") || "", 10);
      const seconds = Number.isFinite(header) && header > 0 ? header : 60;
      throw new RateLimitedError(seconds, fill(strings.rate_limited, { n: Math.max(1, Math.ceil(seconds / 60)) }));
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      // A proxy's HTML error page, or an empty body.
    }
    if (!response.ok) {
      const err = new Error((data && data.message) || strings.error);
      err.status = response.status;
      if (response.status === 401 || response.status === 403) doorClosed = err.message;
      throw err;
    }
    return data;
  }

  return { request, closed: () => doorClosed };
}
