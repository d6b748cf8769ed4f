// execute_async_script(timeoutMs): once the run armed by tidy-arm.js has its preview (or result) on
// screen, returns the record, the long tasks from the click to 50 ms after that frame, and what the
// preview shows: each group's memories (texts) and its heading.
const [timeoutMs, done] = arguments;
const w = window.__w0;
const t0 = performance.now();
const poll = () => {
  const rec = w.tidy;
  if (rec.painted !== null && rec.shownTaskEnd !== null) {
    setTimeout(() => {
      const preview = document.querySelector("[data-testid=tidy-preview]");
      const groups = [...document.querySelectorAll("[data-testid=tidy-group]")].map(
        (g) => [...g.querySelectorAll("input[data-testid=tidy-keep] + span")].map((s) => s.textContent));
      const result = document.querySelector("[data-testid=tidy-result]");
      done(Object.assign({}, rec, {
        groups, heading: preview ? preview.querySelector("p").textContent : null,
        result: result ? result.textContent : null,
        longtasks: w.longtasks.filter((l) => l[0] + l[1] >= rec.click - 1 && l[0] <= rec.painted + 50)}));
    }, 200);
  } else if (performance.now() - t0 > timeoutMs) {
    done({error: "the preview never came", record: rec});
  } else setTimeout(poll, 20);
};
poll();
