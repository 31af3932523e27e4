"""The digest chart: a real, readable PNG with stable colours, even without data."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from bot.analysis.labels import WASTES
from bot.digests.chart import CONCERN_LINE_COLOUR, category_colour, render_chart
from bot.digests.model import WeekPoint
from tests.digests.factory import make_digest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _pixels(png: bytes) -> np.ndarray:
    return imread(BytesIO(png), format="png")


def _has_colour(image: np.ndarray, colour: str, tolerance: float = 0.02) -> bool:
    rgb = np.array(to_rgb(colour))
    return bool((np.abs(image[..., :3] - rgb) < tolerance).all(axis=-1).sum() > 200)


def test_chart_is_an_800_by_450_png() -> None:
    png = render_chart(make_digest())
    assert png.startswith(PNG_SIGNATURE)
    assert _pixels(png).shape[:2] == (450, 800)


def test_empty_history_still_gives_a_chart() -> None:
    png = render_chart(make_digest(history_weeks=0))
    assert png.startswith(PNG_SIGNATURE)
    assert _pixels(png).shape[:2] == (450, 800)


def test_every_waste_has_its_own_fixed_colour() -> None:
    colours = [category_colour(category) for category in WASTES]
    assert len(set(colours)) == len(WASTES)
    assert CONCERN_LINE_COLOUR not in colours
    assert colours == [category_colour(category) for category in WASTES]  # no state between calls
    assert category_colour("something-else") not in colours


def test_bars_use_the_category_colour_whatever_else_is_present() -> None:
    history = tuple(
        WeekPoint(f"2026-W{w}", {"defects": 3}, {}, open_concerns=1) for w in (46, 47, 48)
    )
    png = render_chart(dataclasses.replace(make_digest(), history=history))
    image = _pixels(png)
    assert _has_colour(image, category_colour("defects"))
    assert not _has_colour(image, category_colour("waiting"))


def test_mentions_are_charted_when_no_hours_are_known() -> None:
    png = render_chart(make_digest(hours=False, history_weeks=12))
    image = _pixels(png)
    assert image.shape[:2] == (450, 800)
    assert _has_colour(image, category_colour("waiting"))


def test_rendering_is_safe_from_several_threads() -> None:
    digests = [make_digest(history_weeks=n) for n in (0, 3, 6, 9)] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        pngs = list(pool.map(render_chart, digests))
    assert all(png.startswith(PNG_SIGNATURE) for png in pngs)
    assert pngs[1] == pngs[5]  # same input, same picture
