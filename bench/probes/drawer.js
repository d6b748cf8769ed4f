// execute_async_script(n): opens the memory drawer with a click and times the handler, the first
// frame and when it has settled with n rows visible.
const [n, done] = arguments;
const btn = document.querySelector('[data-testid=open-memory]');
const aside = document.querySelector('[data-testid=memory-sidebar]');
const before = aside.querySelectorAll('[data-testid=memory-item]').length;
const t0 = performance.now();
btn.click();
const tHandler = performance.now();
requestAnimationFrame(() => {
  const tRaf = performance.now();
  requestAnimationFrame(() => {
    const tFrame = performance.now();  // double rAF: the first frame after the click has been produced
    const poll = () => {
      const count = aside.querySelectorAll('[data-testid=memory-item]').length;
      const moving = aside.getAnimations().some(a => a.playState === 'running');
      if (aside.classList.contains('open') && !moving && count >= n && getComputedStyle(aside).visibility === 'visible') {
        const settled = performance.now() - t0;
        // Long tasks are reported asynchronously: collect them a little later, by start time.
        setTimeout(() => done({t0, before, handler: tHandler - t0, raf: tRaf - t0, frame: tFrame - t0, settled, count,
            longtasks: window.__w0.longtasks.filter(t => t[0] >= t0 - 1 && t[0] <= t0 + settled)}), 300);
      } else if (performance.now() - t0 > 20000) {
        done({error: 'drawer never settled', count});
      } else requestAnimationFrame(poll);
    };
    poll();
  });
});
