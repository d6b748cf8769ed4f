#!/usr/bin/env python3
"""Draws wellness0's app icons into static/icons/ (the PNGs are committed; run this again only
to change them): a white speech bubble holding a heart, on the app's accent green.

Pure standard library (a tiny rasteriser and PNG writer), so the same bytes come out on any
machine: each pixel is the coverage of the shapes at 8 x 8 sample points.

- icon-32.png (favicon), icon-180.png (Apple touch icon), icon-192.png and icon-512.png
  (the manifest's "any" icons): a rounded square, transparent in the corners.
- maskable-192.png, maskable-512.png (the manifest's "maskable" icons): the green fills the
  whole square and the bubble stays inside the central circle of radius 40 % that every mask keeps.
"""

import pathlib
import struct
import sys
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "static" / "icons"
ACCENT = (0x2F, 0x6F, 0x5E)  # --accent of the light theme (style/main.css)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 8  # per axis


def rounded_square(radius):
    def inside(u, v):
        dx = max(radius - u, 0.0, u - (1 - radius))
        dy = max(radius - v, 0.0, v - (1 - radius))
        return dx * dx + dy * dy <= radius * radius
    return inside


def full_square(u, v):
    return True


def bubble(u, v):
    """An ellipse with a tail at its lower left."""
    x, y = (u - 0.5) / 0.31, (v - 0.46) / 0.27
    if x * x + y * y <= 1.0:
        return True
    return _in_triangle(u, v, (0.29, 0.58), (0.44, 0.70), (0.22, 0.81))


def heart(u, v):
    """The classic implicit heart, (x² + y² − 1)³ − x²y³ ≤ 0, centred in the bubble."""
    x, y = (u - 0.5) / 0.125, -(v - 0.475) / 0.125
    a = x * x + y * y - 1.0
    return a * a * a - x * x * y * y * y <= 0.0


def _in_triangle(u, v, a, b, c):
    def side(p, q):
        return (q[0] - p[0]) * (v - p[1]) - (q[1] - p[1]) * (u - p[0])
    s1, s2, s3 = side(a, b), side(b, c), side(c, a)
    return (s1 >= 0 and s2 >= 0 and s3 >= 0) or (s1 <= 0 and s2 <= 0 and s3 <= 0)


def render(size, background, glyph_scale):
    """RGBA rows: the background shape in green, the bubble in white, the heart in green."""
    rows = []
    step = 1.0 / (size * SAMPLES)
    for py in range(size):
        row = bytearray()
        for px in range(size):
            bg = white = 0
            for sy in range(SAMPLES):
                v = (py * SAMPLES + sy + 0.5) * step
                gv = 0.5 + (v - 0.5) / glyph_scale
                for sx in range(SAMPLES):
                    u = (px * SAMPLES + sx + 0.5) * step
                    if not background(u, v):
                        continue
                    bg += 1
                    gu = 0.5 + (u - 0.5) / glyph_scale
                    if bubble(gu, gv) and not heart(gu, gv):
                        white += 1
            if bg == 0:
                row += bytes(4)
                continue
            mix = white / bg  # the white share of what is covered
            rgb = [round(a + (b - a) * mix) for a, b in zip(ACCENT, WHITE)]
            row += bytes(rgb) + bytes([round(255 * bg / SAMPLES ** 2)])
        rows.append(bytes(row))
    return rows


def png(size, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\x00" + r for r in rows)  # filter type 0 on every row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


ICONS = [
    ("icon-32.png", 32, rounded_square(0.22), 1.0),
    ("icon-180.png", 180, full_square, 0.9),  # iOS rounds the corners itself
    ("icon-192.png", 192, rounded_square(0.22), 1.0),
    ("icon-512.png", 512, rounded_square(0.22), 1.0),
    ("maskable-192.png", 192, full_square, 0.8),
    ("maskable-512.png", 512, full_square, 0.8),
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, background, scale in ICONS:
        (OUT / name).write_bytes(png(size, render(size, background, scale)))
        print(f"wrote {(OUT / name).relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
