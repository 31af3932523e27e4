"""Metrics on a tiny hand-made set whose scores are computed by hand."""

from __future__ import annotations

import pytest

from bot.analysis.evaluate import channel_models, evaluate, render

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


THEME_ROWS = [
    {"id": "a", "team": "t", "text": "blocked on the security review of the vpc peering change",
     "question": "standup.blockers", "wastes": ["waiting"], "concerns": [], "theme": "vpc"},
    {"id": "b", "team": "t", "text": "still blocked on the vpc peering security review, day 4",
     "question": "standup.blockers", "wastes": ["waiting"], "concerns": [], "theme": "vpc"},
    {"id": "c", "team": "t", "text": "built a dashboard no one opens", "question": "wastes.other",
     "wastes": ["overproduction"], "concerns": [], "theme": None},
    {"id": "d", "team": "other", "text": "still blocked on the vpc peering security review",
     "question": "standup.blockers", "wastes": ["waiting"], "concerns": [], "theme": "vpc"},
]  # fmt: skip


def test_theme_pairwise_counts_pairs_within_a_team() -> None:
    rep = evaluate(THEME_ROWS)
    # gold pairs: only (a, b): d shares the theme id but is another team's
    assert (rep.theme_tp, rep.theme_fp, rep.theme_fn) == (1, 0, 0)
    assert rep.theme_f1 == 1.0
    assert rep.predictions[0]["theme"] == rep.predictions[1]["theme"] is not None
    assert rep.predictions[2]["theme"] != rep.predictions[0]["theme"]


def test_channel_models_name_each_teams_models() -> None:
    rows = [
        {"id": "1", "team": "t", "text": "the ranker p99 doubled", "question": "health.serving",
         "wastes": [], "concerns": ["serving_sla"], "theme": None, "model": "basket-ranker-v4"},
        {"id": "2", "team": "t", "text": "retrained the lstm", "question": "standup.yesterday",
         "wastes": [], "concerns": [], "theme": None, "model": "dwell-lstm"},
        {"id": "3", "team": "u", "text": "the ranker is fine", "question": "health.serving",
         "wastes": [], "concerns": [], "theme": None, "model": None},
    ]  # fmt: skip
    assert channel_models(rows) == {"t": ["basket-ranker-v4", "dwell-lstm"]}
    guessed = evaluate(rows)
    configured = evaluate(rows, models_by_team=channel_models(rows))
    assert (guessed.model_correct, guessed.model_total) == (0, 2)
    assert (configured.model_correct, configured.model_total) == (2, 2)
    assert configured.predictions[2]["model"] is None  # team u has no models configured


def test_subset_and_render() -> None:
    rep = evaluate([r for r in ROWS if r["id"] != "r3"])
    assert rep.n == 2
    assert rep.wastes.micro_f1 == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))
    text = render(rep)
    assert "waiting" in text and "micro F1" in text and "THEMES" in text
    d = rep.as_dict()
    assert d["wastes"]["labels"]["defects"]["f1"] == 1.0
