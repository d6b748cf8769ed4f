// execute_async_script(selector, n): after a (re)load, when n elements match `selector` and the
// first frame showing them; long tasks until then.
const [selector, n, done] = arguments;
window.__w0.waitCount(selector, n).then(shown => {
  // Double rAF: the second callback runs once the frame that shows the rows has been produced.
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const frame = performance.now();
    setTimeout(() => done({shown, frame, started: window.__w0.started,
                           longtasks: window.__w0.longtasks.filter(t => t[0] <= frame)}), 300);
  }));
});
