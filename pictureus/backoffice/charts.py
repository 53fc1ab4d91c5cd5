"""Bar charts drawn by the server as SVG: no script, no CDN, the CSP stays strict."""

import datetime
from collections.abc import Callable
from typing import Any

from django.utils.formats import date_format

WIDTH = 600
HEIGHT = 160
TOP = 14
BOTTOM = 24


def bar_chart(
    *,
    title: Any,
    points: list[tuple[datetime.date, int]],
    url: str,
    label: Callable[[int], str] = str,
) -> dict[str, Any]:
    """A day-by-day bar chart: bars with their text equivalent, the largest value as scale."""
    peak = max((value for _, value in points), default=0)
    slot = WIDTH / max(len(points), 1)
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for index, (day, value) in enumerate(points):
        height = round(plot * value / peak, 1) if peak else 0
        bars.append(
            {
                "x": round(index * slot + 1, 1),
                "y": round(TOP + plot - height, 1),
                "width": round(max(slot - 2, 1), 1),
                "height": height,
                "text": f"{date_format(day, 'SHORT_DATE_FORMAT')}: {label(value)}",
            }
        )
    first, last = (points[0][0], points[-1][0]) if points else (None, None)
    return {
        "kind": "bars",
        "title": title,
        "url": url,
        "bars": bars,
        "total": label(sum(value for _, value in points)),
        "peak": label(peak),
        "first": date_format(first, "SHORT_DATE_FORMAT") if first else "",
        "last": date_format(last, "SHORT_DATE_FORMAT") if last else "",
        "width": WIDTH,
        "height": HEIGHT,
        "axis_y": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 6,
    }
