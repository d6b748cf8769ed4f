// Injected into the next document only (CDP Page.addScriptToEvaluateOnNewDocument, removed after the
// load), as the body of a function of `expect` = {count, last, token}. Records, in performance.now()
// time (from navigation start), when the page became usable: the app has read what is stored
// (`.app[data-ready=true]`), the composer is there, and the session it opened shows its newest
// `count` messages, the last one being message `last` (count 0: the empty greeting). Then the frame
// that shows it (rAF, then a MessageChannel message: runs once that frame has been produced).
// With `token`: once usable, types it into the session search (an input event, as typing does) and
// records when a hit appears; the token is only in the oldest session, which the app indexes last.
const w = (window.__w0 = window.__w0 || {longtasks: []});
const t = (w.load = {ready: null, composer: null, messages: null, usable: null, painted: null, indexed: null,
                     hits: null});
const afterFrame = (then) => requestAnimationFrame(() => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => then(performance.now());
  ch.port2.postMessage(0);
});
const shown = () => {
  if (expect.count === 0) return !!document.querySelector("[data-testid=greeting]");
  const all = document.querySelectorAll("article[data-testid^='message-']");
  return all.length >= expect.count && all[all.length - 1].getAttribute("data-message-id") === String(expect.last);
};
const search = () => {
  const box = document.querySelector("[data-testid=session-search]");
  box.value = expect.token;
  box.dispatchEvent(new Event("input", {bubbles: true}));
};
const check = () => {
  const now = performance.now();
  const ready = !!document.querySelector(".app[data-ready='true']");
  const composer = !!document.querySelector("[data-testid=composer-input]");
  const messages = shown();
  if (ready && t.ready === null) t.ready = now;
  if (composer && t.composer === null) t.composer = now;
  if (messages && t.messages === null) t.messages = now;
  if (t.usable === null && ready && composer && messages) {
    t.usable = now;
    afterFrame((p) => { t.painted = p; });
    if (expect.token) search();
  }
  if (t.usable !== null && expect.token && t.indexed === null) {
    const hits = document.querySelectorAll("[data-testid=session-hit]");
    if (hits.length) { t.indexed = now; t.hits = hits.length; }
  }
  if (t.usable !== null && (!expect.token || t.indexed !== null)) mo.disconnect();
};
const mo = new MutationObserver(check);
mo.observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ["data-ready"],
                      characterData: true});
