// execute_async_script(): once every keystroke timed by search-typing.js has its frame, returns the
// records and the long tasks from the first key press until 100 ms after the last frame.
const done = arguments[arguments.length - 1];
const w = window.__w0;
const t0 = performance.now();
const poll = () => {
  if (w.typing.every((r) => r.painted !== null) || performance.now() - t0 > 10000) {
    setTimeout(() => {
      const from = Math.min(...w.typing.map((r) => r.down ?? r.input));
      const to = Math.max(...w.typing.map((r) => r.painted ?? r.input)) + 100;
      done({keys: w.typing, from, to, longtasks: w.longtasks.filter((l) => l[0] + l[1] >= from - 1 && l[0] <= to)});
    }, 200);
  } else setTimeout(poll, 50);
};
poll();
