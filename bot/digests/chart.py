"""The digest's chart: wastes per category over the last weeks, with open concerns, as a PNG.

Built on :class:`matplotlib.figure.Figure` with the Agg canvas, never ``pyplot``: no global
figure registry, no GUI backend, safe to call from the scheduler's worker threads.

Size: 8 x 4.5 inches at 100 dpi is exactly 800 x 450 pixels, the 16:9 size Slack and Teams
previews show close to 1:1, so a 10 pt label is ~14 px tall on screen. (10 x 5.6 in at 80 dpi
gives the same pixels, but the same point sizes shrink to ~11 px, and every font would have
to grow by a quarter to stay readable.) The smallest text here is 10 pt.

Colours: the Okabe-Ito palette, safe for the common colour-vision deficiencies, with a fixed
colour per waste category (:func:`category_colour`), so "waiting" is the same orange every week
and in every channel. Okabe-Ito's black is swapped for its usual grey variant, leaving black
for the open-concerns line so it never blends into a bar.
"""

from __future__ import annotations

from io import BytesIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.analysis.labels import WASTES, display_name
from bot.digests.model import Digest, WeekPoint

FIGSIZE = (8.0, 4.5)
DPI = 100
FONT_SIZE = 10
TITLE_SIZE = 13
LEGEND_COLUMNS = 5

CATEGORY_COLOURS: dict[str, str] = {
    "waiting": "#E69F00",  # orange
    "defects": "#D55E00",  # vermillion
    "overproduction": "#CC79A7",  # reddish purple
    "overprocessing": "#56B4E9",  # sky blue
    "inventory": "#0072B2",  # blue
    "motion": "#009E73",  # bluish green
    "transportation": "#F0E442",  # yellow
    "unused_talent": "#999999",  # grey (Okabe-Ito's black, lightened)
}
UNKNOWN_COLOUR = "#DDDDDD"
CONCERN_LINE_COLOUR = "#000000"


def category_colour(category: str) -> str:
    """The fixed colour of a waste category; unknown ids share a light grey."""
    return CATEGORY_COLOURS.get(category, UNKNOWN_COLOUR)


def _short_name(category: str) -> str:
    """``Inventory`` for ``Inventory (partly done work)``: legends must stay on two rows."""
    return display_name(category).split(" (")[0]


def _week_label(iso_week: str, previous: str | None) -> str:
    """``W48``; the year is added when it changes (``2027-W01``) so a year boundary is clear."""
    year, _, week = iso_week.partition("-")
    if previous is None or previous.partition("-")[0] != year:
        return iso_week if previous is not None else week
    return week


def _categories(history: tuple[WeekPoint, ...], use_hours: bool) -> list[str]:
    """Categories with a non-zero value in any week, in taxonomy order (stable stacking)."""
    present = {
        category
        for point in history
        for category, value in (point.hours if use_hours else point.mentions).items()
        if value
    }
    known = [category for category in WASTES if category in present]
    return known + sorted(present - set(WASTES))


def _row_major(count: int, ncol: int) -> list[int]:
    """Entry order that makes matplotlib's column-by-column legend read left to right."""
    nrows = -(-count // ncol)
    return [r * ncol + c for c in range(ncol) for r in range(nrows) if r * ncol + c < count]


def _new_figure() -> Figure:
    figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _to_png(figure: Figure) -> bytes:
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def render_chart(digest: Digest) -> bytes:
    """PNG bytes (800 x 450) of ``digest.history``, oldest week first.

    Stacked bars are hours lost per waste category when any week reports hours, else mentions
    (the y-axis label says which); open concerns at each week's end are a black line on the
    right-hand axis. Only categories that occur get a legend entry, above the plot so it never
    covers a bar. Without history the chart says "No check-ins yet" instead of failing.
    """
    figure = _new_figure()
    channel = " ".join(digest.channel_name.lstrip("#").split())[:40] or "channel"
    title = f"#{channel} · wastes per week · {digest.iso_week}"
    figure.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold")
    history = digest.history
    axes = figure.add_subplot()

    if not history:
        axes.set_axis_off()
        axes.text(
            0.5, 0.5, "No check-ins yet", ha="center", va="center", fontsize=16, color="#555555"
        )
        axes.text(
            0.5,
            0.36,
            "The chart fills in after the first week of answers.",
            ha="center",
            va="center",
            fontsize=FONT_SIZE + 1,
            color="#777777",
        )
        return _to_png(figure)

    use_hours = any(value for point in history for value in point.hours.values())
    categories = _categories(history, use_hours)
    positions = list(range(len(history)))
    labels = []
    previous: str | None = None
    for point in history:
        labels.append(_week_label(point.iso_week, previous))
        previous = point.iso_week

    bottoms = [0.0] * len(history)
    for category in categories:
        values = [
            float((point.hours if use_hours else point.mentions).get(category, 0))
            for point in history
        ]
        axes.bar(
            positions,
            values,
            bottom=bottoms,
            width=0.7,
            color=category_colour(category),
            edgecolor="white",
            linewidth=0.6,
            label=_short_name(category),
        )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]

    axes.set_xticks(positions, labels, fontsize=FONT_SIZE)
    axes.tick_params(axis="y", labelsize=FONT_SIZE)
    axes.set_ylabel("Hours lost (where reported)" if use_hours else "Mentions", fontsize=11)
    axes.yaxis.set_major_locator(MaxNLocator(integer=not use_hours, nbins=6))
    axes.set_ylim(0, max(max(bottoms), 1.0) * 1.1)
    axes.spines[["top"]].set_visible(False)
    axes.grid(axis="y", color="#E5E5E5", linewidth=0.8)
    axes.set_axisbelow(True)
    if not categories:
        axes.text(
            0.5,
            0.5,
            "No wastes mentioned in these weeks",
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color="#555555",
        )

    concerns_axes = axes.twinx()
    open_counts = [point.open_concerns for point in history]
    concerns_axes.plot(
        positions,
        open_counts,
        color=CONCERN_LINE_COLOUR,
        linewidth=2,
        marker="o",
        markersize=6,
        markerfacecolor="white",
        label="Open concerns",
    )
    concerns_axes.set_ylabel("Open MLOps concerns", fontsize=11)
    concerns_axes.set_ylim(0, max(max(open_counts), 1) * 1.25)
    concerns_axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    concerns_axes.tick_params(axis="y", labelsize=FONT_SIZE)
    concerns_axes.spines[["top"]].set_visible(False)

    handles, names = axes.get_legend_handles_labels()
    line_handles, line_names = concerns_axes.get_legend_handles_labels()
    ncol = min(LEGEND_COLUMNS, len(handles) + len(line_handles))
    order = _row_major(len(handles) + len(line_handles), ncol)
    all_handles, all_names = handles + line_handles, names + line_names
    axes.legend(
        [all_handles[i] for i in order],
        [all_names[i] for i in order],
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01, 1.0, 0.1),
        mode="expand",
        ncol=ncol,
        fontsize=FONT_SIZE,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.4,
    )
    return _to_png(figure)
