// Registers wellness0's service worker (static/sw.js, written into the build by
// scripts/precache.py) and takes the mark a new version leaves when it replaced an older one.
// src/pwa/worker.rs wraps this. The worker lives beside index.html, so its scope is the app's own
// directory, wherever the app is hosted.

const MARK = "wellness0-updated";

// The app's directory (the worker's scope), as an absolute URL ending in "/".
function scope() {
  return new URL("./", document.baseURI).href;
}

// Whether a new version replaced an older one since the mark was last taken; takes the mark,
// so one page says so once. The worker keeps it in its "meta" cache (see static/sw.js).
async function takeUpdatedMark() {
  const base = scope();
  const meta = await caches.open(`wellness0 ${base} meta`);
  const key = new URL(MARK, base).href;
  return meta.delete(key);
}

// Runs `then` once `worker` has finished activating. A worker that skips waiting takes control
// of open pages (`controllerchange`) as its activation starts, before its `activate` handler,
// which leaves the "updated" mark, has run: looking for the mark then would find none.
function whenActivated(worker, then) {
  if (!worker || worker.state === "activated") return then();
  worker.addEventListener("statechange", () => worker.state === "activated" && then());
}

// Registers the worker once the page has loaded (it fetches every file of the app, which must
// not compete with the app's own start), and calls `onUpdated()` when a newer version took over:
// found at start, or when the new worker takes control of this page a moment later.
export function register(onUpdated) {
  if (!("serviceWorker" in navigator) || !globalThis.caches) return;
  const check = () => takeUpdatedMark().then((updated) => updated && onUpdated(), () => {});
  navigator.serviceWorker.addEventListener("controllerchange", () =>
    whenActivated(navigator.serviceWorker.controller, check),
  );
  const start = () => {
    navigator.serviceWorker
      .register(new URL("sw.js", scope()))
      .then((registration) => whenActivated(registration.active, check), () => {});
  };
  if (document.readyState === "complete") start();
  else addEventListener("load", start, { once: true });
}
