"""Geometry of the console's inline SVG charts (no script, no library): the template draws,
this module only places points."""

from __future__ import annotations

from dataclasses import dataclass

from asnkarier.services.broadcasts import Timeline
from asnkarier.services.formatting import local

WIDTH, HEIGHT = 600, 250
LEFT, RIGHT, TOP, BOTTOM = 48, 590, 16, 210
SERIES = (("sent", "Terkirim"), ("read", "Dibaca"), ("failed", "Gagal"))


@dataclass
class Line:
    key: str
    label: str
    points: str  # "x,y x,y ..." for <polyline>
    last_x: float
    last_y: float
    total: int


@dataclass
class Chart:
    """A cumulative line per series over the broadcast's time span."""

    lines: list[Line]
    peak: int
    ticks: list[tuple[float, str]]  # y position, label
    start_label: str
    end_label: str
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM


def _time_label(moment: object, timezone: str, unit: str) -> str:
    shown = local(moment, timezone)  # type: ignore[arg-type]
    return f"{shown:%d-%m %H:%M}" if unit != "hari" else f"{shown:%d-%m-%Y}"


def timeline_chart(timeline: Timeline, timezone: str) -> Chart:
    cumulative = timeline.cumulative
    peak = timeline.peak
    count = len(timeline.starts)

    def x(index: int) -> float:
        if count == 1:
            return float(RIGHT)
        return round(LEFT + (RIGHT - LEFT) * index / (count - 1), 1)

    def y(value: int) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * value / peak, 1)

    lines = []
    for key, label in SERIES:
        values = cumulative[key]
        points = [(x(i), y(v)) for i, v in enumerate(values)]
        if count == 1:  # one bucket: a flat line from the left edge
            points.insert(0, (float(LEFT), y(values[0])))
        text = " ".join(f"{px},{py}" for px, py in points)
        lines.append(Line(key, label, text, points[-1][0], points[-1][1], values[-1]))
    ticks = [(y(v), f"{v:,}".replace(",", ".")) for v in sorted({0, peak // 2, peak})]
    return Chart(
        lines,
        peak,
        ticks,
        _time_label(timeline.starts[0], timezone, timeline.unit),
        _time_label(timeline.starts[-1], timezone, timeline.unit),
        timeline.unit,
    )
