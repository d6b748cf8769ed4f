// execute_async_script(withIndex, timeoutMs): waits in the page for what usable-probe.js records (and,
// with withIndex, for the search hit that shows the index is built), then returns it with the long
// tasks until the page was usable, and whether the newest message is on screen 300 ms after its frame
// (inside the transcript's visible box; null when the session is empty).
const [withIndex, timeoutMs, done] = arguments;
const t0 = performance.now();
const newestOnScreen = () => {
  const all = document.querySelectorAll("article[data-testid^='message-']");
  if (!all.length) return null;
  const box = document.querySelector("[data-testid=transcript]").getBoundingClientRect();
  const at = all[all.length - 1].getBoundingClientRect();
  return at.height > 0 && at.top < box.bottom && at.bottom > box.top;
};
const poll = () => {
  const t = window.__w0 && window.__w0.load;
  if (t && t.painted !== null && (!withIndex || t.indexed !== null)) {
    setTimeout(() => done(Object.assign({}, t, {newestOnScreen: newestOnScreen(),
      longtasks: window.__w0.longtasks.filter((l) => l[0] <= t.usable),
      longtasksAfter: window.__w0.longtasks.filter((l) => l[0] > t.usable)})), 300);
  } else if (performance.now() - t0 > timeoutMs) {
    done({error: "the page never became usable", load: t || null});
  } else setTimeout(poll, 20);
};
poll();
