// execute_async_script(id, lastId, timeoutMs): clicks session `id` in the session list and times,
// from the click: the handler; its newest message (`lastId`) in the DOM (MutationObserver) and the
// frame after that (rAF, then a MessageChannel message: runs once that frame has been produced); and
// when that message is on screen, i.e. inside the transcript's visible box, checked after each frame
// (null if it is not within timeoutMs, or does not stay). Long tasks from the click until then.
const [id, lastId, timeoutMs, done] = arguments;
const button = document.querySelector(`[data-testid=session-item][data-id="${id}"] [data-testid=session-open]`);
if (!button) return done({error: `session ${id} is not in the list`});
const transcript = document.querySelector("[data-testid=transcript]");
const selector = `article[data-message-id="${lastId}"]`;
const r = {dom: null, painted: null, onScreen: null, frames: 0};
const visible = () => {
  const el = document.querySelector(selector);
  if (!el) return false;
  const box = transcript.getBoundingClientRect();
  const at = el.getBoundingClientRect();
  return at.height > 0 && at.top < box.bottom && at.bottom > box.top;
};
// On screen counts only if it stays there: a message can pass through the visible box while the
// page is still laying out (then `passing` keeps when that was).
const finish = () => {
  mo.disconnect();
  const until = t0 + (r.onScreen ?? performance.now() - t0);
  setTimeout(() => {
    if (r.onScreen !== null && !visible()) { r.passing = r.onScreen; r.onScreen = null; }
    done(Object.assign(r, {longtasks: window.__w0.longtasks.filter((l) => l[0] + l[1] >= t0 && l[0] <= until),
                           scroll: [transcript.scrollTop, transcript.scrollHeight - transcript.clientHeight]}));
  }, 300);
};
const frame = () => requestAnimationFrame(() => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => {
    const now = performance.now() - t0;
    r.frames++;
    if (r.dom !== null && r.painted === null) r.painted = now;
    if (visible()) {
      r.onScreen = now;
      if (r.dom === null) r.dom = r.painted = now;
      finish();
    } else if (now > timeoutMs) finish();
    else frame();
  };
  ch.port2.postMessage(0);
});
const mo = new MutationObserver(() => {
  if (r.dom === null && document.querySelector(selector)) r.dom = performance.now() - t0;
});
mo.observe(transcript, {childList: true, subtree: true});
const t0 = performance.now();
button.click();
r.handler = performance.now() - t0;
frame();
