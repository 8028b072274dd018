"""Resolution statistics: the site-wide page and one ARK's page (the JSON API is
``arks.api.stats``).

Views parse the request, ask ``arks.stats`` and ``arks.selectors``, and render. The chart is an
SVG bar chart drawn here, on the server: no JavaScript and nothing fetched from elsewhere. It has a
``<title>`` and a ``<desc>`` for screen readers, and every page shows the same figures as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from arks import selectors, stats
from arks.domain.ark import InvalidArk
from arks.errors import NotFound

SITE_DAYS: Final = 90
TOP_DAYS: Final = 30
TOP_LIMIT: Final = 20
ARK_DAYS: Final = stats.DEFAULT_DAYS

Points = Sequence[tuple[date, int]]


# --- pages ------------------------------------------------------------------------------------


@csrf_exempt
@require_safe
def site_stats(request: HttpRequest) -> HttpResponse:
    points = stats.site_series(days=SITE_DAYS)
    context = {
        "points": points,
        "total": sum(n for _, n in points),
        "days": SITE_DAYS,
        "chart": bar_chart(points, title=f"Resolutions per day, last {SITE_DAYS} days"),
        "top": stats.top(days=TOP_DAYS, limit=TOP_LIMIT),
        "top_days": TOP_DAYS,
        "public_url": settings.PIDSVC_PUBLIC_URL,
    }
    return render(request, "arks/stats.html", context)


@csrf_exempt
@require_safe
def ark_stats(request: HttpRequest, ark: str) -> HttpResponse:
    try:
        found = selectors.public_ark(ark)
    except InvalidArk as exc:
        return _page_error(request, 400, f"Not a valid ARK: {exc}", ark)
    except NotFound as exc:
        return _page_error(request, 404, exc.message, ark)
    points = stats.series(found.pk, days=ARK_DAYS)
    context = {
        "ark": found,
        "points": points,
        "days": ARK_DAYS,
        "window_total": sum(n for _, n in points),
        "total": stats.totals([found.pk])[found.pk],
        "chart": bar_chart(points, title=f"Resolutions of {found.ark} per day"),
        "public_url": settings.PIDSVC_PUBLIC_URL,
    }
    return render(request, "arks/stats_ark.html", context)


def _page_error(request: HttpRequest, status: int, message: str, text: str) -> HttpResponse:
    context = {"error": message, "status": status, "requested": text}
    return render(request, "arks/stats_ark.html", context, status=status)


# --- the chart --------------------------------------------------------------------------------

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 40
X_LABELS = 6


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


def axis(largest: int, *, ticks: int = 4) -> tuple[int, int]:
    """(top, step) of a y axis from 0 that holds ``largest``, in whole steps of 1, 2 or 5 times a
    power of ten and about ``ticks`` of them, so that gridlines fall on round numbers."""
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if step * ticks >= largest:
                return max(-(-largest // step) * step, step), step
        power *= 10


def bars(points: Points, top_value: int) -> list[Bar]:
    """Bar geometry in SVG user units for a y axis from 0 to ``top_value``."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    band = plot_w / max(len(points), 1)
    gap = band * 0.15 if band > 3 else 0
    result = []
    for i, (day, n) in enumerate(points):
        h = plot_h * n / top_value
        result.append(
            Bar(
                x=LEFT + i * band + gap / 2,
                y=TOP + plot_h - h,
                width=band - gap,
                height=h,
                label=f"{day.isoformat()}: {n:,} resolution{'s' if n != 1 else ''}",
            )
        )
    return result


def describe(points: Points) -> str:
    if not points:
        return "No days to show."
    total = sum(n for _, n in points)
    first, last = points[0][0].isoformat(), points[-1][0].isoformat()
    text = f"Bar chart of resolutions per day from {first} to {last}: {total:,} in all"
    if total:
        best_day, best = max(points, key=lambda p: p[1])
        text += f", most on {best_day.isoformat()} ({best:,})"
    return text + ". The same figures are in the table below."


def _u(value: float) -> str:
    """An SVG user-unit coordinate: two decimals at most."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(points: Points, *, title: str, chart_id: str = "chart") -> SafeString:
    """An accessible inline SVG bar chart of ``(day, count)`` points; everything escaped."""
    top_value, step = axis(max((n for _, n in points), default=0))
    shapes = bars(points, top_value)
    base = HEIGHT - BOTTOM
    ticks = range(0, top_value + 1, step)
    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d9dee7"/>'
        '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#5b6577">{}</text>',
        (
            (LEFT, WIDTH - RIGHT, y, y, LEFT - 6, _u(float(y) + 4), f"{t:,}")
            for t in ticks
            for y in [_u(base - (base - TOP) * t / top_value)]
        ),
    )
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#1f5fa8"><title>{}</title></rect>',
        ((_u(b.x), _u(b.y), _u(b.width), _u(b.height), b.label) for b in shapes),
    )
    every = max(1, -(-len(points) // X_LABELS))
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#5b6577">{}</text>',
        (
            (_u(b.x + b.width / 2), base + 18, day.isoformat())
            for i, (b, (day, _)) in enumerate(zip(shapes, points, strict=True))
            if i % every == 0
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{id}-title {id}-desc" class="chart">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '{grid}<line x1="{left}" x2="{right}" y1="{base}" y2="{base}" stroke="#5b6577"/>'
        "<g>{rects}</g>{labels}</svg>",
        w=WIDTH,
        h=HEIGHT,
        id=chart_id,
        title=title,
        desc=describe(points),
        grid=grid,
        left=LEFT,
        right=WIDTH - RIGHT,
        base=base,
        rects=rects,
        labels=labels,
    )
