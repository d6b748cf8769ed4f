"""The report's charts (bench/ttft.svg, bench/mem0-bytes.svg): grouped bar charts as plain SVG."""

import math
import statistics

SHORT = {"platform": "Platform v3", "selfhosted": "self-hosted"}  # the memory services, for legends


def linear_axis(vmax):
    """Six gridlines from 0, and where a value sits on the axis (0..1)."""
    step = 10 ** len(str(int(vmax))) / 10
    top = (int(vmax / step) + 1) * step
    return [top * k / 5 for k in range(6)], lambda v: v / top


def log_axis(vmin, vmax):
    """Gridlines at powers of ten, and where a value sits on the axis (0..1); values spanning
    several orders of magnitude stay readable side by side."""
    lo, hi = math.floor(math.log10(max(vmin, 1))), math.ceil(math.log10(max(vmax, 10)))
    hi = max(hi, lo + 1)
    return [10 ** e for e in range(lo, hi + 1)], lambda v: (math.log10(max(v, 10 ** lo)) - lo) / (hi - lo)


def svg_bars(path, title, groups, series, unit="ms", log=False):
    """A grouped bar chart, hand-written SVG. groups: [(label, [value per series])]."""
    colors = ["#2f7d6d", "#c8693b", "#6b7fc4", "#999"]
    w, h, left, top, bottom = 720, 360, 86, 50, 60
    plot_w, plot_h = w - left - 20, h - top - bottom
    values = [v for _, vals in groups for v in vals if v == v]
    ticks, place = log_axis(min(values), max(values)) if log else linear_axis(max(values) or 1)
    gw = plot_w / len(groups)
    bw = gw * 0.7 / len(series)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
             f'font-family="system-ui, sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">{title}</text>']
    for v in ticks:
        y = top + plot_h - plot_h * place(v)
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{v:,.0f}</text>')
    parts.append(f'<text x="14" y="{top + plot_h / 2}" transform="rotate(-90 14 {top + plot_h / 2})" '
                 f'text-anchor="middle" fill="#555">{unit}</text>')
    for gi, (label, vals) in enumerate(groups):
        x0 = left + gi * gw + gw * 0.15
        for si, v in enumerate(vals):
            bh = plot_h * place(v)
            x, y = x0 + si * bw, top + plot_h - bh
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="{colors[si]}"/>')
            parts.append(f'<text x="{x + bw / 2 - 1:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11">{v:,.0f}</text>')
        parts.append(f'<text x="{left + gi * gw + gw / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{label}</text>')
    lx = left
    for si, s in enumerate(series):
        parts.append(f'<rect x="{lx}" y="{h - 22}" width="12" height="12" fill="{colors[si]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{h - 12}">{s}</text>')
        lx += 20 + 7.5 * len(s)
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")



def write_charts(res, cfg, out_dir):
    """The charts of the sections that ran, named with the run's suffix (`-quick` for a quick run)."""
    q, suffix = cfg.quick, cfg.suffix
    if "latency" in res:
        lt = res["latency"]
        svg_bars(out_dir / f"ttft{suffix}.svg", f"Time to first / last token, p50 and p95 ({lt['n']} messages"
                 f"{', quick run' if q else ''})",
                 [("TTFT p50", [lt["ours"]["ttft"]["p50"], lt["seed"]["ttft"]["p50"]]),
                  ("TTFT p95", [lt["ours"]["ttft"]["p95"], lt["seed"]["ttft"]["p95"]]),
                  ("TTLT p50", [lt["ours"]["ttlt"]["p50"], lt["seed"]["ttlt"]["p50"]]),
                  ("TTLT p95", [lt["ours"]["ttlt"]["p95"], lt["seed"]["ttlt"]["p95"]])],
                 ["wellness0 (streaming, 1 mem0 call)", "seed pipeline (get_all + search + blocking)"])
    if "mem0" in res:
        mb = res["mem0"]
        runs = mb["runs"]
        groups = []
        for n in mb["sizes"]:
            vals = [runs[name][n]["summary"]["bytes"] for name in runs]
            if n in mb["seed"]:
                vals.append(statistics.median(r["total"] for r in mb["seed"][n]))
            groups.append((f"{n:,} memories stored", vals))
        series = [f"wellness0 on {SHORT.get(name, name)}" for name in runs]
        if mb["seed"]:
            series.append("seed (get_all + whole conversation)")
        svg_bars(out_dir / f"mem0-bytes{suffix}.svg",
                 f"Bytes exchanged with mem0 per turn, both ways (log scale){' — quick run' if q else ''}",
                 groups, series, unit="bytes per turn", log=True)
