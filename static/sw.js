// wellness0's service worker: the app's own files, kept so it opens without a network.
//
// The build (scripts/precache.py, a Trunk post_build hook) writes this file into dist/ with the
// two constants below filled in: VERSION changes whenever any file of the build does (so the
// browser installs the new worker), PRECACHE lists the build's files relative to this script.
// Served from the app's directory, the worker's scope is that directory, wherever it lives.
//
// - Files of the build (hashed names, icons, manifest): cache first; all of them are fetched
//   when a version installs, into a cache of that version, and older versions are dropped.
// - The page itself (index.html, or the directory): network first, the cached copy of this
//   version when the network fails or does not answer in time.
// - Anything else — every API call (Gemini, mem0, the proxy's api/), sign-in pages, other
//   origins — is never touched: those carry private data and go straight to the network.
//
// When a version replaces an older one it leaves a mark in the "meta" cache; the page takes it
// (src/pwa/worker.js) and says, quietly, that wellness0 was updated.

const VERSION = "dev";
const PRECACHE = [];

const SCOPE = self.registration.scope;
const PREFIX = `wellness0 ${SCOPE} `;
const FILES_CACHE = PREFIX + VERSION;
const META_CACHE = PREFIX + "meta";
const INDEX = new URL("index.html", SCOPE).href;
const FILES = new Set(PRECACHE.map((path) => new URL(path, SCOPE).href));
// Where the active version's name and the "updated" mark are kept (in META_CACHE).
const ACTIVE_KEY = new URL("wellness0-active-version", SCOPE).href;
const UPDATED_KEY = new URL("wellness0-updated", SCOPE).href;
// Past this, a page load falls back to the cached page (a connection that hangs).
const PAGE_TIMEOUT_MS = 5000;

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(activate());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  url.hash = "";
  if (request.mode === "navigate") {
    const page = url.origin + url.pathname;
    if (page === SCOPE || page === INDEX) event.respondWith(networkFirst(request));
    return;
  }
  if (url.search === "" && FILES.has(url.href) && url.href !== INDEX) {
    event.respondWith(cacheFirst(request, url.href));
  }
});

// Every file of this version, fresh from the server (past the HTTP cache); a file that fails
// or was redirected (e.g. to a sign-in page) fails the install, and the old version stays.
async function precache() {
  const cache = await caches.open(FILES_CACHE);
  await Promise.all(
    [...FILES].map(async (url) => {
      const response = await fetch(url, { cache: "reload", credentials: "same-origin" });
      if (!response.ok || response.redirected) throw new Error(`precache: ${url} answered ${response.status}`);
      await cache.put(url, response);
    }),
  );
}

async function activate() {
  const meta = await caches.open(META_CACHE);
  const active = await meta.match(ACTIVE_KEY);
  const previous = active ? await active.text() : null;
  if (previous !== null && previous !== VERSION) {
    await meta.put(UPDATED_KEY, new Response(JSON.stringify({ from: previous, to: VERSION })));
  }
  await meta.put(ACTIVE_KEY, new Response(VERSION));
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && name !== FILES_CACHE && name !== META_CACHE) await caches.delete(name);
  }
  await self.clients.claim();
}

async function cacheFirst(request, url) {
  const cache = await caches.open(FILES_CACHE);
  const cached = await cache.match(url);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(url, response.clone());
  return response;
}

// The page from the network; the cached page when the network fails, or after PAGE_TIMEOUT_MS
// when there is a cached page to show instead.
async function networkFirst(request) {
  const cached = caches.open(FILES_CACHE).then((cache) => cache.match(INDEX));
  const network = fetch(request);
  network.catch(() => {}); // when the cached page won the race, a later failure is no news
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => cached.then((page) => page && resolve(page)), PAGE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([network, late]);
  } catch (error) {
    const page = await cached;
    if (page) return page;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
