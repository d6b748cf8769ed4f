// execute_async_script(): once the forget armed by forget-arm.js has been seen through (row gone, the
// click's dispatch over, its timer, message and frame come), returns the record and the long tasks from the click
// to 50 ms after that frame.
const done = arguments[arguments.length - 1];
const w = window.__w0;
const t0 = performance.now();
const poll = () => {
  const rec = w.forget;
  const seen = rec.click !== null && rec.dispatchEnd !== null && rec.timer !== null && rec.taskEnd !== null &&
    rec.frame !== null;
  if ((seen && rec.removed !== null) || performance.now() - t0 > 5000) {
    w.forgetObserver.disconnect();
    const to = (rec.frame ?? rec.click) + 50;
    setTimeout(() => done(Object.assign({}, rec, {
      longtasks: w.longtasks.filter((l) => rec.click !== null && l[0] + l[1] >= rec.click - 1 && l[0] <= to)})), 150);
  } else setTimeout(poll, 20);
};
poll();
