"""Metrics on a tiny hand-made set whose scores are computed by hand."""

from __future__ import annotations

import pytest

from bot.analysis.evaluate import evaluate, render

# Predictions (from the real classifier) are pinned by choosing unambiguous texts:
#   r1 "blocked on security for 2 days"    -> waiting
#   r2 "rolled back the release, flaky tests" -> defects
#   r3 "wrote docs"                         -> nothing
ROWS = [
    {"id": "r1", "team": "t", "text": "blocked on security for 2 days", "question": "free",
     "wastes": ["waiting"], "concerns": [], "theme": "sec"},
    {"id": "r2", "team": "t", "text": "rolled back the release, flaky tests", "question": "free",
     "wastes": ["defects", "motion"], "concerns": [], "theme": "sec"},
    {"id": "r3", "team": "t", "text": "wrote docs", "question": "standup.yesterday",
     "wastes": ["waiting"], "concerns": [], "theme": None},
]  # fmt: skip


def test_hand_computed_scores() -> None:
    rep = evaluate(ROWS)
    by = {s.label: s for s in rep.wastes.labels}
    # waiting: tp=1 (r1), fn=1 (r3) -> P=1, R=0.5, F1=2/3
    assert (by["waiting"].tp, by["waiting"].fp, by["waiting"].fn) == (1, 0, 1)
    assert by["waiting"].f1 == pytest.approx(2 / 3)
    # defects: tp=1 -> F1=1; motion: fn=1 -> F1=0
    assert by["defects"].f1 == 1.0 and by["motion"].f1 == 0.0
    assert by["motion"].support == 1
    # micro: tp=2, fp=0, fn=2 -> 2*2/(4+0+2) = 2/3
    assert rep.wastes.micro_f1 == pytest.approx(2 / 3)
    # macro over labels in play (waiting, defects, motion): (2/3 + 1 + 0) / 3
    assert rep.wastes.macro_f1 == pytest.approx((2 / 3 + 1 + 0) / 3)
    # no concerns anywhere: vacuously perfect
    assert rep.concerns.micro_f1 == 1.0


def test_theme_pairwise() -> None:
    rep = evaluate(ROWS)
    # gold pairs: {(r1, r2)}. r3 has no label so no predicted theme; r1/r2 get themes.
    gold = 1
    assert rep.theme_tp + rep.theme_fn == gold
    if rep.theme_tp:
        assert rep.theme_f1 == 1.0
    else:
        assert rep.theme_f1 == 0.0


def test_subset_and_render() -> None:
    rep = evaluate([r for r in ROWS if r["id"] != "r3"])
    assert rep.n == 2
    assert rep.wastes.micro_f1 == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))
    text = render(rep)
    assert "waiting" in text and "micro F1" in text and "THEMES" in text
    d = rep.as_dict()
    assert d["wastes"]["labels"]["defects"]["f1"] == 1.0
