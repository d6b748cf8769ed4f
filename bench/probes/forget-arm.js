// execute_script(id): arms the timing of the next click on a reply's "Forget" (the click itself comes
// from WebDriver: a real input event) for the memory `id`. Records the click event's timeStamp and
// the wall clock then (Date.now(): the fakes log requests by wall clock); when the memory's row
// (`memory-item[data-id=id]`) leaves the sidebar, the reply's saved line loses it and a forget note
// appears (a MutationObserver: its callback runs in the task that changed the DOM); and whether the
// row was gone when the click's dispatch ended (a bubbling listener on window, registered after the
// app's: it runs after the app's handler and the microtasks the app renders in, still in the
// click's task), by the first timer, MessageChannel message and animation frame requested from a
// capture listener (which runs before the app's handler).
const [id] = arguments;
const w = window.__w0;
const nextTask = (then) => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => then(performance.now());
  ch.port2.postMessage(0);
};
const row = () => document.querySelector(`[data-testid=memory-item][data-id="${CSS.escape(id)}"]`);
const replies = document.querySelectorAll("[data-testid=message-model]");
const reply = replies[replies.length - 1];
const saved = () => reply.querySelectorAll("[data-testid=saved-memory]").length;
const notes = () => document.querySelectorAll("[data-testid=forget-note]").length;
if (w.forgetObserver) w.forgetObserver.disconnect();
const rec = w.forget = {id, listed: !!row(), savedBefore: saved(), notesBefore: notes(), click: null, clickEpoch: null,
                        removed: null, replyGone: null, note: null, listener: null, dispatchEnd: null,
                        goneByDispatchEnd: null, timer: null, goneByTimer: null, taskEnd: null,
                        goneByTaskEnd: null, frame: null, goneByFrame: null};
if (!w.forgetInstalled) {
  w.forgetInstalled = true;
  addEventListener("click", (e) => {
    const r = w.forget;
    if (!r || r.click !== null || !e.target.closest || !e.target.closest("[data-testid=forget]")) return;
    r.click = e.timeStamp;
    r.listener = performance.now();
    r.clickEpoch = Date.now();
    setTimeout(() => { r.timer = performance.now(); r.goneByTimer = r.removed !== null; }, 0);
    nextTask((t) => { r.taskEnd = t; r.goneByTaskEnd = r.removed !== null; });
    requestAnimationFrame(() => { r.frame = performance.now(); r.goneByFrame = r.removed !== null; });
  }, true);
  addEventListener("click", (e) => {
    const r = w.forget;
    if (!r || r.dispatchEnd != null || !e.target.closest || !e.target.closest("[data-testid=forget]")) return;
    r.dispatchEnd = performance.now();
    r.goneByDispatchEnd = !document.querySelector(`[data-testid=memory-item][data-id="${CSS.escape(r.id)}"]`);
  });
}
w.forgetObserver = new MutationObserver(() => {
  if (rec.click === null) return;
  const now = performance.now();
  if (rec.removed === null && !row()) rec.removed = now;
  if (rec.replyGone === null && saved() < rec.savedBefore) rec.replyGone = now;
  if (rec.note === null && notes() > rec.notesBefore) rec.note = now;
});
w.forgetObserver.observe(document.body, {childList: true, subtree: true});
return rec;
