"""Draw the Teams app icons: color.png (192×192) and outline.png (32×32, white on transparent).

Run once when the design changes (python teams/make_icons.py); the PNGs are committed and
`make teams-package` only copies them. Pure Python (zlib + struct), so it needs no imaging
library: shapes are tested point by point and each pixel averages 4×4 samples (antialiasing).

The picture: a speech bubble (a conversation) holding a compass needle (the pilot, "lotsen").
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = 4  # per axis and pixel

BLUE = (0x0B, 0x4F, 0x8A)  # teams/app.yml accent_color: the tile behind the colour icon
WHITE = (0xFF, 0xFF, 0xFF)
AMBER = (0xF2, 0xB7, 0x05)

Point = tuple[float, float]


def in_round_rect(x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def in_convex(x: float, y: float, points: list[Point]) -> bool:
    sign = 0
    for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1], strict=False):
        cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax)
        if cross:
            if sign and (cross > 0) != (sign > 0):
                return False
            sign = cross
    return True


def needle(cx: float, cy: float, length: float, width: float, degrees: float) -> tuple[list[Point], list[Point]]:
    """A compass needle as two triangles (north half, south half), turned clockwise."""
    a = math.radians(degrees)
    ux, uy = math.sin(a), -math.cos(a)  # towards north
    vx, vy = -uy, ux  # across
    tip_n = (cx + ux * length, cy + uy * length)
    tip_s = (cx - ux * length, cy - uy * length)
    left = (cx - vx * width, cy - vy * width)
    right = (cx + vx * width, cy + vy * width)
    return [tip_n, right, left], [tip_s, left, right]


def colour_icon(x: float, y: float) -> tuple[tuple[int, int, int], float]:
    """192 units: a blue tile, a white bubble, an amber-and-blue needle in it."""
    north, south = needle(96, 86, 30, 10, 35)
    if in_convex(x, y, north):
        return AMBER, 1.0
    if in_convex(x, y, south):
        return BLUE, 1.0
    bubble = in_round_rect(x, y, 40, 42, 152, 130, 22) or in_convex(x, y, [(62, 126), (58, 158), (96, 126)])
    return (WHITE if bubble else BLUE), 1.0


def outline_icon(x: float, y: float) -> tuple[tuple[int, int, int], float]:
    """32 units: the bubble's outline and the needle, white on transparent (Teams' rule)."""
    north, south = needle(16, 13.5, 6.2, 2.2, 35)
    if in_convex(x, y, north) or in_convex(x, y, south):
        return WHITE, 1.0
    ring = in_round_rect(x, y, 3, 4, 29, 23, 5) and not in_round_rect(x, y, 5, 6, 27, 21, 3)
    tail = in_convex(x, y, [(8, 22), (7.5, 28.5), (13.5, 22)])
    return WHITE, (1.0 if ring or tail else 0.0)


def render(size: int, units: float, paint) -> bytes:
    """RGBA rows; `paint(x, y)` is sampled in a units×units square."""
    scale = units / size
    rows = bytearray()
    for py in range(size):
        rows.append(0)  # filter type: none
        for px in range(size):
            r = g = b = a = 0.0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    (cr, cg, cb), alpha = paint(
                        (px + (sx + 0.5) / SAMPLES) * scale, (py + (sy + 0.5) / SAMPLES) * scale
                    )
                    r, g, b, a = r + cr * alpha, g + cg * alpha, b + cb * alpha, a + alpha
            n = SAMPLES * SAMPLES
            if a:
                rows += bytes((round(r / a), round(g / a), round(b / a), round(255 * a / n)))
            else:
                rows += bytes((255, 255, 255, 0))
    return bytes(rows)


def png(size: int, rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


def main(out: Path = HERE) -> int:
    (out / "color.png").write_bytes(png(192, render(192, 192, colour_icon)))
    (out / "outline.png").write_bytes(png(32, render(32, 32, outline_icon)))
    print(f"{out / 'color.png'}, {out / 'outline.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))
