// execute_script(): arms the timing of the next click on "Tidy up…" (the click itself comes from
// WebDriver: a real input event). Records the click event's timeStamp; the end of the click's
// dispatch (a bubbling listener on window, registered after the app's: it runs after the app's
// handler and the microtasks the app renders in); the first frame after the click (rAF requested
// from a capture listener, then a MessageChannel message); every
// update of the progress line (a MutationObserver callback: one per task that changed it); and, once
// the preview (or "No duplicates found.") is in the DOM, the end of that task and the frame that
// shows it (rAF, then a MessageChannel message). tidy-collect.js returns the record.
const w = window.__w0;
const nextTask = (then) => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => then(performance.now());
  ch.port2.postMessage(0);
};
const afterFrame = (then) => requestAnimationFrame(() => nextTask(then));
if (w.tidyObserver) w.tidyObserver.disconnect();
const rec = w.tidy = {click: null, listener: null, dispatchEnd: null, clickFrame: null, progress: [],
                      shown: null, kind: null, shownTaskEnd: null, painted: null};
if (!w.tidyInstalled) {
  w.tidyInstalled = true;
  addEventListener("click", (e) => {
    const r = w.tidy;
    if (!r || r.click !== null || !e.target.closest || !e.target.closest("[data-testid=memory-tidy]")) return;
    r.click = e.timeStamp;
    r.listener = performance.now();
    afterFrame((t) => { r.clickFrame = t; });
  }, true);
  addEventListener("click", (e) => {
    const r = w.tidy;
    if (!r || r.dispatchEnd !== null || !e.target.closest || !e.target.closest("[data-testid=memory-tidy]")) return;
    r.dispatchEnd = performance.now();
    const progress = document.querySelector("[data-testid=tidy-progress]");
    r.progressAtDispatchEnd = progress ? progress.textContent : null;
  });
}
const aside = document.querySelector("[data-testid=memory-sidebar]");
const seen = () => {
  if (rec.click === null || rec.shown !== null) return;
  const now = performance.now();
  const progress = aside.querySelector("[data-testid=tidy-progress]");
  if (progress) rec.progress.push({t: now, text: progress.textContent});
  const preview = aside.querySelector("[data-testid=tidy-preview]");
  const result = aside.querySelector("[data-testid=tidy-result]");
  if (preview || result) {
    rec.shown = now;
    rec.kind = preview ? "preview" : "result";
    nextTask((t) => { rec.shownTaskEnd = t; });
    afterFrame((t) => { rec.painted = t; });
    w.tidyObserver.disconnect();
  }
};
w.tidyObserver = new MutationObserver(seen);
w.tidyObserver.observe(aside, {childList: true, subtree: true, characterData: true});
return !!aside.querySelector("[data-testid=memory-tidy]");
