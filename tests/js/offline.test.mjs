// Registering the door's service worker, in node: a fake navigator.
import assert from "node:assert/strict";
import { test } from "node:test";

import { registerWorker } from "../../static/js/scanner/offline.js";

test("the worker is registered at the page's URL and its registration returned", async () => {
  const asked = [];
  const nav = { serviceWorker: { register: async (url) => (asked.push(url), { scope: "/door/" }) } };
  assert.deepEqual(await registerWorker("/door/sw.js", nav), { scope: "/door/" });
  assert.deepEqual(asked, ["/door/sw.js"]);
});

test("a browser without service workers, or one that refuses, gets null and no error", async () => {
  assert.equal(await registerWorker("/door/sw.js", {}), null);
  assert.equal(await registerWorker("", { serviceWorker: { register: async () => ({}) } }), null);
  const refusing = { serviceWorker: { register: async () => Promise.reject(new Error("SecurityError")) } };
  assert.equal(await registerWorker("/door/sw.js", refusing), null);
});
