"""The map's geometry: the Equal Earth projection and region labels placed so that they do not collide.

Vega-Lite draws the map (``charts.region_template``) with its own Equal Earth projection fitted to
``MAP_EXTENT``; this module computes the same projection in Python only to lay the labels out in
pixels: each label goes to the nearest free spot around its bubble (not over another label, another
bubble or off the map), and a leader line joins a label that had to move away from its bubble. The
labels are then handed back to Vega-Lite as longitudes and latitudes, so they sit where Python put
them whatever the chart's final width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Equal Earth (Šavrič, Patterson & Jenny 2018), as d3-geo and hence Vega implement it.
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2

MAP_EXTENT = {"lon": (-140.0, 122.0), "lat": (-40.0, 72.0)}
"""The part of the world the map shows: every region of the shipped regions file, with a margin."""

MAP_HEIGHT_PX = 250
NOMINAL_WIDTH_PX = 560
"""Width the labels are laid out for; the extent is height-limited from ~500 px wide, so wider charts
draw the same pixels centred and narrower ones shrink the map a little under the labels."""

FONT_PX = 10
CHAR_PX = 0.62 * FONT_PX  # average glyph width of the sans-serif label font
GAP_PX = 2.0
MAX_SHIFT_PX = 110.0


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth coordinates (x east, y north) of a point, for a unit sphere."""
    lam, phi = math.radians(lon), math.radians(lat)
    el = math.asin(M * math.sin(phi))
    l2 = el * el
    l6 = l2 * l2 * l2
    x = lam * math.cos(el) / (M * (A1 + 3 * A2 * l2 + l6 * (7 * A3 + 9 * A4 * l2)))
    y = el * (A1 + A2 * l2 + l6 * (A3 + A4 * l2))
    return x, y


def unproject(x: float, y: float) -> tuple[float, float]:
    """Longitude and latitude (degrees) of Equal Earth coordinates: the inverse of ``project``."""
    el = y
    for _ in range(20):  # Newton's method on the latitude polynomial, as d3-geo does
        l2 = el * el
        l6 = l2 * l2 * l2
        delta = (el * (A1 + A2 * l2 + l6 * (A3 + A4 * l2)) - y) / (A1 + 3 * A2 * l2 + l6 * (7 * A3 + 9 * A4 * l2))
        el -= delta
        if abs(delta) < 1e-12:
            break
    l2 = el * el
    l6 = l2 * l2 * l2
    lam = M * x * (A1 + 3 * A2 * l2 + l6 * (7 * A3 + 9 * A4 * l2)) / math.cos(el)
    return math.degrees(lam), math.degrees(math.asin(math.sin(el) / M))


def extent_outline(step_deg: float = 4.0) -> list[list[float]]:
    """Points along the border of ``MAP_EXTENT``: what the projection is fitted to, in Python and in Vega.

    A dense outline, not just the corners: a latitude line is curved in Equal Earth, so the fitted
    bounds are those of the whole border.
    """
    (lon0, lon1), (lat0, lat1) = MAP_EXTENT["lon"], MAP_EXTENT["lat"]
    n_lon = max(2, math.ceil((lon1 - lon0) / step_deg) + 1)
    n_lat = max(2, math.ceil((lat1 - lat0) / step_deg) + 1)
    lons = [lon0 + (lon1 - lon0) * i / (n_lon - 1) for i in range(n_lon)]
    lats = [lat0 + (lat1 - lat0) * i / (n_lat - 1) for i in range(n_lat)]
    return [[lon, lat] for lat in (lat0, lat1) for lon in lons] + [[lon, lat] for lon in (lon0, lon1) for lat in lats]


@dataclass(frozen=True)
class Frame:
    """Pixels of the fitted map: ``px = (x - x0) * scale``, ``py = (y1 - y) * scale``."""

    x0: float
    y1: float
    scale: float
    width_px: float
    height_px: float

    @classmethod
    def fitted(cls, width_px: float = NOMINAL_WIDTH_PX, height_px: float = MAP_HEIGHT_PX) -> Frame:
        """The frame Vega's ``fit`` gives: the extent's projected bounds scaled to fit the chart."""
        xs, ys = zip(*(project(lon, lat) for lon, lat in extent_outline()), strict=True)
        scale = min(width_px / (max(xs) - min(xs)), height_px / (max(ys) - min(ys)))
        return cls(min(xs), max(ys), scale, (max(xs) - min(xs)) * scale, (max(ys) - min(ys)) * scale)

    def to_px(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel position of a point (y down)."""
        x, y = project(lon, lat)
        return (x - self.x0) * self.scale, (self.y1 - y) * self.scale

    def to_lonlat(self, px: float, py: float) -> tuple[float, float]:
        """The point at a pixel position."""
        return unproject(px / self.scale + self.x0, self.y1 - py / self.scale)


@dataclass(frozen=True)
class Placed:
    """A label's position: its centre, and the end of its leader line (None when it sits by its bubble)."""

    text: str
    lon: float
    lat: float
    leader_lon: float | None
    leader_lat: float | None


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def _boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _box_hits_circle(box: Box, cx: float, cy: float, r: float) -> bool:
    nearest_x = min(max(cx, box[0]), box[2])
    nearest_y = min(max(cy, box[1]), box[3])
    return (nearest_x - cx) ** 2 + (nearest_y - cy) ** 2 < r * r


def _candidates(x: float, y: float, r: float, w: float, h: float):
    """Label boxes around a bubble, nearest first: right, left, above, below, then the diagonals, farther out."""
    directions = [(1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1)]
    directions += [(math.cos(a), math.sin(a)) for a in (math.radians(d) for d in range(15, 360, 30))]
    distance = r + GAP_PX
    while distance <= r + MAX_SHIFT_PX:
        for dx, dy in directions:
            norm = math.hypot(dx, dy)
            ux, uy = dx / norm, dy / norm
            # The box touches the circle of radius `distance` with its nearest edge, not its centre.
            cx = x + ux * distance + ux * w / 2
            cy = y + uy * distance + uy * h / 2
            yield (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        distance += h


def place_labels(
    points: Sequence[tuple[str, float, float, float]], frame: Frame | None = None, order: Sequence[int] | None = None
) -> list[Placed]:
    """Place a label by every bubble without collisions.

    Args:
        points: ``(text, lon, lat, radius_px)`` per bubble (radius of the largest bubble drawn there).
        frame: The map's pixels (default: ``Frame.fitted()``).
        order: Which labels to place first (default: the biggest bubbles first, so they keep the
            spots nearest to them).

    Returns:
        One ``Placed`` per point, in the order of ``points``. A label that finds no free spot
        within ``MAX_SHIFT_PX`` takes the spot that overlaps the least.
    """
    frame = frame or Frame.fitted()
    px = [frame.to_px(lon, lat) for _, lon, lat, _ in points]
    circles = [(x, y, max(r, 1.5)) for (x, y), (_, _, _, r) in zip(px, points, strict=True)]
    order = list(order) if order is not None else sorted(range(len(points)), key=lambda i: -points[i][3])
    taken: list[Box] = []
    placed: dict[int, Placed] = {}
    for i in order:
        text, lon, lat, r = points[i]
        x, y, r = circles[i]
        w, h = len(text) * CHAR_PX + 2, FONT_PX + 2
        best, best_cost = None, math.inf
        for box in _candidates(x, y, r, w, h):
            cost = _cost(box, taken, circles, frame)
            if cost < best_cost:
                best, best_cost = box, cost
            if cost == 0:
                break
        taken.append(best)
        placed[i] = _placed(text, best, x, y, r, frame)
    return [placed[i] for i in range(len(points))]


def _cost(box: Box, taken: list[Box], circles: list[tuple[float, float, float]], frame: Frame) -> float:
    """How bad a spot is: labels and bubbles it covers, and how far it sticks out of the map (0: free).

    Labels keep a pixel between them, so two that merely touch do not read as one.
    """
    outside = max(0.0, -box[0]) + max(0.0, box[2] - frame.width_px) + max(0.0, -box[1])
    outside += max(0.0, box[3] - frame.height_px)
    apart = (box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1)
    covered = sum(_boxes_overlap(apart, other) for other in taken)
    covered += sum(_box_hits_circle(box, *c) for c in circles)
    return 10.0 * covered + outside


def _placed(text: str, box: Box, x: float, y: float, r: float, frame: Frame) -> Placed:
    """The label at ``box``, with a leader line from the bubble's edge when it is not next to it."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    lon, lat = frame.to_lonlat(cx, cy)
    nearest_x, nearest_y = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
    gap = math.hypot(nearest_x - x, nearest_y - y) - r
    if gap <= GAP_PX + FONT_PX:
        return Placed(text, lon, lat, None, None)
    leader_lon, leader_lat = frame.to_lonlat(nearest_x, nearest_y)
    return Placed(text, lon, lat, leader_lon, leader_lat)


def label_boxes(placed: Sequence[Placed], frame: Frame | None = None) -> list[Box]:
    """The pixel boxes of placed labels (what ``place_labels`` kept apart)."""
    frame = frame or Frame.fitted()
    boxes = []
    for p in placed:
        cx, cy = frame.to_px(p.lon, p.lat)
        w, h = len(p.text) * CHAR_PX + 2, FONT_PX + 2
        boxes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return boxes
