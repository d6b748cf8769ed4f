"""The report's charts (bench/ttft.svg, bench/mem0-bytes.svg): grouped bar charts as plain SVG."""


def svg_bars(path, title, groups, series, unit="ms"):
    """A grouped bar chart, hand-written SVG. groups: [(label, [value per series])]."""
    colors = ["#2f7d6d", "#c8693b", "#6b7fc4", "#999"]
    w, h, left, top, bottom = 720, 360, 70, 50, 60
    plot_w, plot_h = w - left - 20, h - top - bottom
    vmax = max(v for _, vals in groups for v in vals if v == v) or 1
    step = 10 ** len(str(int(vmax))) / 10
    vmax = (int(vmax / step) + 1) * step
    gw = plot_w / len(groups)
    bw = gw * 0.7 / len(series)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
             f'font-family="system-ui, sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">{title}</text>']
    for k in range(6):
        v = vmax * k / 5
        y = top + plot_h - plot_h * k / 5
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{v:,.0f}</text>')
    parts.append(f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})" '
                 f'text-anchor="middle" fill="#555">{unit}</text>')
    for gi, (label, vals) in enumerate(groups):
        x0 = left + gi * gw + gw * 0.15
        for si, v in enumerate(vals):
            bh = plot_h * v / vmax
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
        svg_bars(out_dir / f"mem0-bytes{suffix}.svg",
                 f"Request bytes to mem0 per turn (search + add){' — quick run' if q else ''}",
                 [(f"turn {t}", [mb["ours"][t - 1]["search"] + mb["ours"][t - 1]["add"],
                                 mb["seed"][t - 1]["search"] + mb["seed"][t - 1]["add"]]) for t in mb["report_turns"]],
                 ["wellness0 (the turn only)", "seed (whole buffer every turn)"], unit="bytes")
