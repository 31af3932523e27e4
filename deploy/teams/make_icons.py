"""Draw the Teams app icons: ``color.png`` (192x192) and ``outline.png`` (32x32, white on
transparent), as the Teams app package requires. Run from anywhere:
``python deploy/teams/make_icons.py``. Uses matplotlib (already a dependency), no image files.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Wedge

HERE = Path(__file__).resolve().parent
ACCENT = "#2E7D6B"


def _draw(path: Path, pixels: int, *, outline: bool) -> None:
    """A circular arrow (continuous improvement) around a "K"."""
    fig = plt.figure(figsize=(1, 1), dpi=pixels)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    fg = "white"
    if not outline:
        ax.add_patch(
            FancyBboxPatch((0.04, 0.04), 0.92, 0.92, boxstyle="round,pad=0,rounding_size=0.18",
                           color=ACCENT)
        )  # fmt: skip
    width = 0.09 if outline else 0.07
    ax.add_patch(Wedge((0.5, 0.5), 0.40, 60, 390, width=width, color=fg))
    ax.add_patch(plt.Polygon([(0.62, 0.93), (0.80, 0.80), (0.58, 0.72)], closed=True, color=fg))
    ax.text(0.5, 0.48, "K", color=fg, ha="center", va="center", fontsize=0.42 * 72,
            fontweight="bold", family="DejaVu Sans")  # fmt: skip
    fig.savefig(path, dpi=pixels, transparent=outline, facecolor="none")
    plt.close(fig)


def main() -> None:
    _draw(HERE / "color.png", 192, outline=False)
    _draw(HERE / "outline.png", 32, outline=True)


if __name__ == "__main__":
    main()
