// The door's service worker (scope /door/): the scanner reloads and starts its camera with no
// network. A classic worker script, served by eventsvc/checkin/views.py at /door/sw.js with
// `DOOR` defined before this text:
//   DOOR.version   a hash of every file below and of this script: a deploy changes it, the
//                  browser installs the new worker, which fills a new cache and drops the old;
//   DOOR.precache  the URLs of the scanner's static files: its modules, the site's CSS and
//                  icon, the QR decoder and its .wasm, @noble/ed25519.
// Static files come from the cache. Door pages (/door/<token>, /door/event/<id>) come from the
// network and are kept for an offline reload; from the cache when the network fails, answers 5xx
// or takes more than 3 s. Everything else, the API above all, goes to the network untouched and is
// never stored: the pages hold no attendee's name (only the door and CSRF tokens), the API does.

/* global DOOR */
const PREFIX = "eventsvc-door-";
const STATIC_CACHE = PREFIX + "static-" + DOOR.version;
// Pages outlive a deploy: a phone that goes offline just after taking a new version still
// reloads. Each online load replaces its page; a closed door link removes it.
const PAGE_CACHE = PREFIX + "pages";
const NETWORK_TIMEOUT_MS = 3000;

const STATIC_URLS = new Set(DOOR.precache.map((url) => new URL(url, self.location.href).href));
const SCOPE = new URL(self.registration.scope);

/** Whether a URL is a scanner page: /door/<token> or /door/event/<id>, not this script. */
function isDoorPage(url) {
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return false;
  const rest = url.pathname.slice(SCOPE.pathname.length);
  return /^event\/\d+$/.test(rest) || (/^[^/]+$/.test(rest) && rest !== "sw.js");
}

/** Keep a page answer for an offline reload, or forget the page when the server refused it. */
async function remember(key, response) {
  const pages = await caches.open(PAGE_CACHE);
  if (response.ok && response.type === "basic" && !response.redirected) {
    await pages.put(key, response);
  } else if (response.status < 500) {
    await pages.delete(key); // a closed door link, a logged-out volunteer: no offline scanner
  }
}

/** Store the door pages already open: the page that registered this worker was not seen by it. */
async function storeOpenPages() {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    const url = new URL(client.url);
    url.hash = "";
    if (!isDoorPage(url)) continue;
    try {
      await remember(url.href, await fetch(url.href, { credentials: "same-origin", cache: "no-store" }));
    } catch {
      // No network: the next online load stores the page.
    }
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(STATIC_CACHE);
      // cache: "reload": the files as deployed now, never the browser's older HTTP-cached copy.
      await cache.addAll(DOOR.precache.map((url) => new Request(url, { cache: "reload" })));
      await storeOpenPages();
      // Take over at once: a door phone never closes its tab, so a waiting worker would wait
      // for ever. The open page keeps the modules it has; a reload takes the new ones.
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== STATIC_CACHE && name !== PAGE_CACHE) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })(),
  );
});

async function cacheFirst(request) {
  const cache = await caches.open(STATIC_CACHE);
  return (await cache.match(request.url)) || fetch(request);
}

async function networkFirst(event) {
  const key = event.request.url.split("#")[0];
  const network = fetch(event.request);
  // Store the answer even when the cached copy was shown first (the network was slow). The copy
  // is taken at once, before the page starts reading the body.
  event.waitUntil(network.then((response) => remember(key, response.clone())).catch(() => {}));
  const cached = caches.open(PAGE_CACHE).then((pages) => pages.match(key, { ignoreVary: true }));
  const timedOut = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS, "timeout"));
  let response;
  try {
    response = await Promise.race([network, timedOut]);
  } catch {
    response = null; // no network at all
  }
  if (response && response !== "timeout" && response.status < 500) return response;
  return (await cached) || network; // nothing kept: wait for the network, or its failure
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (STATIC_URLS.has(url.href)) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate" && isDoorPage(url)) {
    event.respondWith(networkFirst(event));
  }
  // Anything else reaches the network as if there were no worker, and is never stored.
});
