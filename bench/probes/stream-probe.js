// execute_async_script(): starts recording transcript mutations, each with the end of its task
// (a MessageChannel message posted from the observer runs after the task's synchronous work).
const done = arguments[arguments.length - 1];
const log = document.querySelector('[data-testid=transcript]');
window.__mut = [];
window.__mutMo && window.__mutMo.disconnect();
const ch = new MessageChannel();
let pending = null;
ch.port1.onmessage = () => { if (pending) { pending.task = performance.now(); pending = null; } };
window.__mutMo = new MutationObserver(() => {
  const rec = {dom: performance.now(), task: null};
  window.__mut.push(rec);
  if (!pending) { pending = rec; ch.port2.postMessage(0); }
});
window.__mutMo.observe(log, {childList: true, subtree: true, characterData: true});
done(true);
