"""Model name detection: configured list first, then name-shaped patterns."""

from __future__ import annotations

import pytest

from bot.analysis.model_names import find_model


def test_known_list_wins_and_tolerates_missing_version() -> None:
    known = ["fraud-scorer-v4", "churn-v3"]
    assert find_model("fraud-scorer p99 is up", known) == "fraud-scorer-v4"
    assert find_model("FRAUD-SCORER-V4 retrain done", known) == "fraud-scorer-v4"


def test_known_list_matches_last_word_with_version() -> None:
    assert find_model("ranker v7 is slow again", ["search-ranker-v7"]) == "search-ranker-v7"


def test_known_list_earliest_mention() -> None:
    known = ["churn-v3", "ltv-model"]
    assert find_model("ltv-model and then churn-v3", known) == "ltv-model"


TEAM = ["basket-ranker-v4", "two-tower-retrieval", "dwell-lstm", "eta-gbm-v2", "eta-gbm-v3"]


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("the ranker p99 is up again", "basket-ranker-v4"),  # what it does
        ("retrained the lstm on a100s", "dwell-lstm"),  # the one model of its kind
        ("two tower training OOMs after epoch 3", "two-tower-retrieval"),  # parts of the name
        ("waiting on quota for the dwell model retrain", "dwell-lstm"),  # a part + "model"
        ("v4 offline ndcg up, AB flat", "basket-ranker-v4"),  # the one model at v4
        ("eta-gbm-v3 sweep parked", "eta-gbm-v3"),
    ],
)
def test_known_list_understands_how_people_shorten_names(text: str, model: str) -> None:
    assert find_model(text, TEAM) == model


def test_an_acronym_in_a_name_counts_when_written_in_capitals() -> None:
    team = ["asr-conformer", "tts-neural", "markdown-opt"]
    assert find_model("p99 on the ASR endpoint doubled", team) == "asr-conformer"
    assert find_model("finish the TTS eval, then reviews", team) == "tts-neural"
    assert find_model("users opt in to the asr beta", team) is None  # lower case: a word


@pytest.mark.parametrize(
    "text",
    [
        "the gbm retrains cost $300 a week",  # two configured gbms: names neither
        "two people asked about the tower of tickets",  # "two" alone is not "two-tower"
        "waiting list feature shipped",
    ],
)
def test_known_list_shortenings_must_be_unambiguous(text: str) -> None:
    assert find_model(text, TEAM) is None


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("eta-predictor-v2 drifted", "eta-predictor-v2"),
        ("the invoice-classifier keeps mislabelling", "invoice-classifier"),
        ("retrained basket-gbm overnight", "basket-gbm"),
        ("pricing-v5 rollout paused", "pricing-v5"),
        ("sales-fcst backtest came out odd", "sales-fcst"),  # abbreviated "forecast"
        ("nightly spam-dnn refit OOM'd", "spam-dnn"),  # a kind of model
        ("bumped intent-t v12 to half the traffic", "intent-t"),  # any name with a version tag
        ("the hand-off doc, then ticket-nlu v3 eval", "ticket-nlu"),  # earliest real name
    ],
)
def test_patterns_when_unknown(text: str, model: str) -> None:
    assert find_model(text) == model


@pytest.mark.parametrize(
    "text",
    [
        "follow-up from the on-call handover, re-ran the job",
        "p99 on the A100 pool",
        "moved to v3 of the api",
        "state-of-the-art results in real-time",
        "follow-up v2 of the doc is out",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_model(text) is None
