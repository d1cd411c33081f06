// How the scanner reads the API's answers: what is retried, what waits, what stops the door.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createApi, RateLimitedError, RetryableError } from "../../static/js/scanner/api.js";

const strings = { error: "Something went wrong.", rate_limited: "Wait {n} min." };

function response(status, body, headers = {}) {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name) => headers[name] ?? null },
    json: async () => {
      if (body === undefined) throw new SyntaxError("no JSON");
      return body;
    },
  };
}

/** An API client whose fetch answers with `reply` and records each request. */
function client(reply, options = {}) {
  const requests = [];
  const api = createApi({
    apiBase: "/api/v1/events/7",
    doorToken: "",
    csrf: "csrf-1",
    strings,
    fetch: async (url, init) => {
      requests.push({ url, init });
      return reply();
    },
    ...options,
  });
  return { api, requests };
}

test("a check-in is a JSON POST with the door token, or the session's CSRF token", async () => {
  const { api, requests } = client(() => response(200, { result: "ok" }), { doorToken: "door-1" });
  const answer = await api.request("POST", "/checkins", { code: "A", client_scan_id: "s1" });
  assert.deepEqual(answer, { result: "ok" });
  const [{ url, init }] = requests;
  assert.equal(url, "/api/v1/events/7/checkins");
  assert.equal(init.method, "POST");
  assert.equal(init.body, JSON.stringify({ code: "A", client_scan_id: "s1" }));
  assert.deepEqual(init.headers, {
    Accept: "application/json",
    "X-Door-Token": "door-1",
    "Content-Type": "application/json",
  });
  assert.equal(init.cache, "no-store");

  const staff = client(() => response(200, { checked_in: 1 }));
  await staff.api.request("GET", "/stats");
  assert.deepEqual(staff.requests[0].init.headers, { Accept: "application/json", "X-CSRFToken": "csrf-1" });
  assert.equal(staff.requests[0].init.body, undefined);
});

test("no connection, or a server failure, is worth retrying", async () => {
  const offline = client(() => {
    throw new TypeError("Failed to fetch");
  });
  await assert.rejects(offline.api.request("GET", "/stats"), RetryableError);
  for (const status of [500, 502, 503]) {
    await assert.rejects(client(() => response(status)).api.request("GET", "/stats"), RetryableError);
  }
});

test("a rate limit waits as long as Retry-After says, in whole minutes on screen", async () => {
  const limited = client(() => response(429, { message: "slow down" }, { "Retry-After": "130" }));
  const err = await limited.api.request("POST", "/checkins", {}).catch((e) => e);
  assert.ok(err instanceof RateLimitedError);
  assert.equal(err.seconds, 130);
  assert.equal(err.message, "Wait 3 min.");
  const unsaid = await client(() => response(429)).api.request("GET", "/stats").catch((e) => e);
  assert.equal(unsaid.seconds, 60);
  assert.equal(unsaid.message, "Wait 1 min.");
});

test("a refusal carries the server's message, or a generic one", async () => {
  const refused = await client(() => response(400, { message: "Not a ticket code" }))
    .api.request("POST", "/checkins", {})
    .catch((e) => e);
  assert.ok(!(refused instanceof RetryableError) && !(refused instanceof RateLimitedError));
  assert.equal(refused.message, "Not a ticket code");
  assert.equal(refused.status, 400);
  const html = await client(() => response(404)).api.request("GET", "/stats").catch((e) => e);
  assert.equal(html.message, "Something went wrong.");
});

test("401 and 403 close the door: the client then says why", async () => {
  for (const status of [401, 403]) {
    const { api } = client(() => response(status, { message: "Door link switched off" }));
    assert.equal(api.closed(), "");
    await assert.rejects(api.request("GET", "/stats"), { message: "Door link switched off", status });
    assert.equal(api.closed(), "Door link switched off");
  }
  const { api } = client(() => response(400, { message: "Bad" }));
  await assert.rejects(api.request("GET", "/stats"));
  assert.equal(api.closed(), "", "a plain refusal does not close the door");
});

test("an answer that does not come in time is retryable, and the request is aborted", async () => {
  let signal;
  const { api } = client(() => response(200, {}), {
    timeoutMs: 20,
    fetch: (url, init) => {
      signal = init.signal;
      return new Promise((resolve, reject) => {
        init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    },
  });
  const err = await api.request("POST", "/checkins", { code: "A" }).catch((e) => e);
  assert.ok(err instanceof RetryableError);
  assert.equal(err.timedOut, true);
  assert.equal(signal.aborted, true);
});

test("one request may have its own timeout; a quick answer is not aborted", async () => {
  let signal;
  const slow = (ms) => (url, init) => {
    signal = init.signal;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(response(200, { ok: 1 })), ms);
      init.signal.addEventListener("abort", () => (clearTimeout(timer), reject(new Error("aborted"))));
    });
  };
  const { api } = client(null, { timeoutMs: 10, fetch: slow(40) });
  assert.deepEqual(await api.request("GET", "/snapshot", undefined, { timeoutMs: 500 }), { ok: 1 });
  const quick = client(null, { timeoutMs: 500, fetch: slow(1) });
  assert.deepEqual(await quick.api.request("GET", "/stats"), { ok: 1 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(signal.aborted, false, "the timer is cleared once the answer is read");
});

test("a network failure is retryable but not a timeout", async () => {
  const { api } = client(() => {
    throw new TypeError("Failed to fetch");
  });
  const err = await api.request("GET", "/stats").catch((e) => e);
  assert.ok(err instanceof RetryableError);
  assert.equal(err.timedOut, false);
});

test("getIfChanged sends If-None-Match: 304 is null, 200 gives the data and its ETag", async () => {
  const unchanged = client(() => response(304));
  assert.equal(await unchanged.api.getIfChanged("/snapshot?since=r1", '"e1"'), null);
  assert.equal(unchanged.requests[0].init.headers["If-None-Match"], '"e1"');
  assert.equal(unchanged.requests[0].url, "/api/v1/events/7/snapshot?since=r1");
  const fresh = client(() => response(200, { full: true }, { ETag: '"e2"' }));
  assert.deepEqual(await fresh.api.getIfChanged("/snapshot", null), { data: { full: true }, etag: '"e2"' });
  assert.equal("If-None-Match" in fresh.requests[0].init.headers, false);
});
