// Registering the door's service worker (sw.js, served at /door/sw.js with scope /door/): once
// it is installed, the scanner reloads and starts its camera with no network.

/**
 * Register the service worker at `url`; resolve with its registration, or null where there is
 * none (no URL, a browser without service workers, plain HTTP, a private mode that refuses it).
 * Never rejects: without a worker the scanner still works while it is online.
 */
export async function registerWorker(url, nav = globalThis.navigator) {
  if (!url || !nav || !nav.serviceWorker) return null;
  try {
    return await nav.serviceWorker.register(url);
  } catch {
    return null;
  }
}
