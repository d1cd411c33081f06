"""What the door scanner keeps on the phone, read from a test: its IndexedDB store, everything."""

from __future__ import annotations

import time

import pytest

#: One value of the scanner's IndexedDB store (static/js/scanner/store.js), or null. The database
#: is opened only once the page has made it: opening it first would create it without its store.
READ_KEY = """async (key) => {
  if (!(await indexedDB.databases()).some((d) => d.name === "eventsvc-door")) return null;
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open("eventsvc-door");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  });
  try {
    if (!db.objectStoreNames.contains("kv")) return null;
    const r = db.transaction("kv").objectStore("kv").get(key);
    return await new Promise((ok, ko) => {
      r.onsuccess = () => ok(r.result === undefined ? null : r.result);
      r.onerror = () => ko(r.error);
    });
  } finally {
    db.close();
  }
}"""

#: Every key and value of the scanner's store, or {} while the page has not made it.
READ_STORE = """async () => {
  if (!(await indexedDB.databases()).some((d) => d.name === "eventsvc-door")) return {};
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open("eventsvc-door");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  });
  try {
    if (!db.objectStoreNames.contains("kv")) return {};
    const read = (r) =>
      new Promise((ok, ko) => ((r.onsuccess = () => ok(r.result)), (r.onerror = ko)));
    const kv = db.transaction("kv").objectStore("kv");
    const [keys, values] = await Promise.all([read(kv.getAllKeys()), read(kv.getAll())]);
    return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
  } finally {
    db.close();
  }
}"""

#: Everything the origin keeps: localStorage, sessionStorage, every IndexedDB database (every
#: object store, every record) and every Cache Storage response's body, as one JSON text.
DUMP_PHONE = """async () => {
  const req = (r) =>
    new Promise((ok, ko) => ((r.onsuccess = () => ok(r.result)), (r.onerror = () => ko(r.error))));
  const storage = (s) =>
    Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
  const dump = { localStorage: storage(localStorage), sessionStorage: storage(sessionStorage) };
  Object.assign(dump, { indexedDB: {}, caches: {} });
  for (const info of await indexedDB.databases()) {
    const db = await req(indexedDB.open(info.name));
    const stores = {};
    for (const name of db.objectStoreNames) {
      const store = db.transaction(name).objectStore(name);
      const [keys, values] = await Promise.all([req(store.getAllKeys()), req(store.getAll())]);
      stores[name] = keys.map((key, i) => [key, values[i]]);
    }
    db.close();
    dump.indexedDB[info.name] = stores;
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    dump.caches[name] = {};
    for (const request of await cache.keys()) {
      dump.caches[name][request.url] = await (await cache.match(request)).text();
    }
  }
  return JSON.stringify(dump);
}"""


def read_store(page) -> dict:
    """Return every key and value of the scanner's IndexedDB store ({} before the page made it)."""
    return page.evaluate(READ_STORE)


def read_key(page, key: str):
    return page.evaluate(READ_KEY, key)


def poll(page, what: str, check, *, key: str, timeout: float = 15.0):
    """Wait until check(value of `key` in the scanner's store) holds; fail saying `what`.

    (page.wait_for_function cannot do it: an async predicate returns a promise, which is truthy.)
    """
    deadline = time.monotonic() + timeout
    while True:
        value = read_key(page, key)
        if check(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}; {key} is {value!r}")
        page.wait_for_timeout(200)
