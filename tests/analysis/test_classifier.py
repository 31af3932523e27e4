"""Behaviour of the rule-based classifier on invented replies (never corpus sentences)."""

from __future__ import annotations

import pytest

from bot.analysis.classifier import Classifier, LabelledExample, default_classifier
from bot.analysis.types import Classification


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return default_classifier()


def test_default_classifier_is_cached() -> None:
    assert default_classifier() is default_classifier()


def test_waiting_detected_from_phrasing(clf: Classifier) -> None:
    c = clf.classify("blocked on the infra folks for a bigger disk since last week", "free")
    assert "waiting" in c.wastes
    assert 0.5 <= c.wastes["waiting"] <= 1.0


@pytest.mark.parametrize(
    ("text", "question", "label"),
    [
        ("no waiting this week, everything moved", "wastes.waiting", "waiting"),
        ("nothing blocked me today", "standup.blockers", "waiting"),
        ("didn't have to redo anything, smooth release", "wastes.rework", "defects"),
        ("nope", "wastes.waiting", "waiting"),
        ("all good here", "standup.blockers", "waiting"),
    ],
)
def test_negated_and_quiet_replies_get_no_label(
    clf: Classifier, text: str, question: str, label: str
) -> None:
    assert label not in clf.classify(text, question).labels


def test_irrelevant_sense_is_ignored(clf: Classifier) -> None:
    c = clf.classify("the waiting-list feature for the mobile app shipped on time", "free")
    assert "waiting" not in c.wastes


def test_question_prior_tips_a_vague_reply(clf: Classifier) -> None:
    text = "the staging database, about two days"
    assert "waiting" in clf.classify(text, "wastes.waiting").wastes
    assert "waiting" not in clf.classify(text, "standup.yesterday").wastes


def test_rework_question_prior(clf: Classifier) -> None:
    text = "the invoice export job, twice"
    assert "defects" in clf.classify(text, "wastes.rework").wastes
    assert clf.classify(text, "standup.today").is_empty


def test_good_news_about_metrics_is_not_a_concern(clf: Classifier) -> None:
    c = clf.classify("checkout model p95 steady at 40ms, well under the SLA", "health.serving")
    assert "serving_sla" not in c.concerns


def test_latency_trouble_is_a_concern(clf: Classifier) -> None:
    c = clf.classify("p95 on the pricing endpoint doubled after the deploy, timeouts at peak")
    assert "serving_sla" in c.concerns


def test_multi_label(clf: Classifier) -> None:
    c = clf.classify("rolled back the recommender twice, the training job kept OOMing", "free")
    assert "defects" in c.wastes
    assert "training_scale" in c.concerns


def test_status_reply_is_empty(clf: Classifier) -> None:
    c = clf.classify("wrote the design doc for the billing revamp", "standup.yesterday")
    assert c == Classification()


def test_explainability_survives_negation(clf: Classifier) -> None:
    c = clf.classify("support can't explain to users why the model rejected their loan")
    assert "explainability" in c.concerns


def test_examples_pull_similar_replies() -> None:
    text = "the quarterly warehouse sizing spreadsheet keeps eating my fridays"
    plain = Classifier()
    assert "overprocessing" not in plain.classify(text).wastes
    taught = Classifier(
        examples=[
            LabelledExample(
                text="quarterly warehouse sizing spreadsheet eating fridays again",
                wastes=frozenset({"overprocessing"}),
            )
        ]
    )
    assert "overprocessing" in taught.classify(text).wastes
    # unrelated replies are not affected by the example
    assert taught.classify("merged the auth fix").is_empty
