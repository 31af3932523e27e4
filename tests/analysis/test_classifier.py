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


@pytest.mark.parametrize(
    ("text", "question", "label"),
    [
        (
            "checkout api p95 went 120ms -> 410ms after the cache change",
            "health.serving",
            "serving_sla",
        ),
        ("churn model auc 0.88 → 0.79 on the march holdout", "health.metrics", "model_quality"),
    ],
)
def test_numbers_moving_the_wrong_way_are_trouble(
    clf: Classifier, text: str, question: str, label: str
) -> None:
    assert label in clf.classify(text, question).concerns


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("pricing api p95 18ms vs a 40ms budget", "health.serving"),
        ("churn model auc 0.79 → 0.86 after adding tenure features", "health.metrics"),
    ],
)
def test_numbers_moving_the_right_way_are_good_news(
    clf: Classifier, text: str, question: str
) -> None:
    assert clf.classify(text, question).concerns == {}


def test_numeric_cues_direction() -> None:
    from bot.analysis.classifier import numeric_cues

    assert numeric_cues("error rate 0.2% -> 1.5%") == (True, False)
    assert numeric_cues("recall 0.61 -> 0.70") == (False, True)
    assert numeric_cues("moved 3 -> 5 tickets") == (False, False)  # no metric: no verdict
    assert numeric_cues("checkout latency up from 120 to 310 ms") == (True, False)
    assert numeric_cues("the retro ran from 10 to 12") == (False, False)


def test_a_healthy_serving_report_is_not_a_concern_but_a_slower_one_is() -> None:
    clf = Classifier()
    fine = clf.classify("gateway p95 stayed under 200 ms all week, no timeouts", "health.serving")
    slower = clf.classify("gateway p95 went from 120 to 310 ms after the release", "health.serving")
    assert "serving_sla" not in fine.concerns
    assert "serving_sla" in slower.concerns


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("the PR sat for nine days without a reviewer", "waiting"),
        ("had to backfill the events table again after the dedupe bug", "defects"),
        ("copy-pasted the same release notes into three places, manually again", "overprocessing"),
        ("built a dashboard no one opens", "overproduction"),
        ("spent the morning hunting for credentials for the staging db", "motion"),
        ("the ticket bounced between teams for a week", "transportation"),
    ],
)
def test_general_phrasing(clf: Classifier, text: str, label: str) -> None:
    assert label in clf.classify(text, "free").labels


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("PSI on the income feature is 0.31, retrain overdue", "drift_retraining"),
        (
            "the regulator asked why applicants were declined and we have no reason codes",
            "explainability",
        ),
        ("found PII in the clickstream export, GDPR review needed", "security_privacy"),
        ("target leak: the label was computed after the prediction date", "statistical_validity"),
        ("training took 14 hours and then OOM on the last epoch", "training_scale"),
        ("false positives up 30% since the threshold change", "model_quality"),
    ],
)
def test_concern_jargon(clf: Classifier, text: str, label: str) -> None:
    assert label in clf.classify(text, "free").concerns


@pytest.mark.parametrize(
    ("text", "question", "absent"),
    [
        # "off" in "signed off" is not a problem word, so good news still damps the concern
        ("privacy officer signed off on the new region rollout :tada: latency looks fine", "free",
         "serving_sla"),
        # building retry logic is a feature, not a re-run
        ("paired on the retry logic for the webhook client, merged it", "standup.yesterday",
         "defects"),
        # "nobody wants to own it" is an ownership gap, not an unused feature
        ("the on-call runbook ticket bounced around, nobody wants to own the alert thresholds",
         "free", "overproduction"),
        # a bug that slipped through is rework, not a delay
        ("a null check bug slipped through review and hit the nightly export", "free", "waiting"),
        # finished work parked in a branch is inventory, not waiting
        ("the caching prototype is still sitting in my branch, nobody picked it up", "free",
         "waiting"),
        # "marketing attribution" is not model attribution
        ("the marketing attribution report double counts app installs", "health.data",
         "explainability"),
    ],
)  # fmt: skip
def test_word_senses_that_do_not_count(
    clf: Classifier, text: str, question: str, absent: str
) -> None:
    assert absent not in clf.classify(text, question).labels


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("can't backfill the ledger because the vendor files still haven't arrived", "waiting"),
        ("can't start the churn eval yet, the warehouse snapshot is missing", "waiting"),
        ("the support team can't tell customers why their loan was refused", "explainability"),
        ("the weekly retrain is on a cron, nobody checks if inputs changed", "drift_retraining"),
        ("the quarterly pricing-model refresh slipped again, so it's scoring on old data",
         "drift_retraining"),
        ("users say they never touch the export button we spent a sprint on", "overproduction"),
    ],
)  # fmt: skip
def test_general_phrasing_after_hygiene(clf: Classifier, text: str, label: str) -> None:
    assert label in clf.classify(text, "free").labels


def test_scan_reports_the_longest_key_first() -> None:
    """The classifier relies on Aho-Corasick reporting, at each place, the keys ending there
    longest first (it walks from the longest match down its suffix links): over a reversed
    reply that is the longest key starting a word."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for key in ("blocked on", "blocked", "block"):
        automaton.add_word(key[::-1], key)
    automaton.make_automaton()
    text = "still blocked on review"
    found = [key for _end, key in automaton.iter(text[::-1])]
    assert found == ["blocked on", "blocked", "block"]


def test_corrections_layer_on_a_shared_classifier_without_changing_it() -> None:
    base = Classifier()
    text = "the quarterly vendor scorecard ritual ate my whole afternoon"
    assert "overprocessing" not in base.classify(text, "free").wastes
    corrected = base.with_examples(
        [LabelledExample(text, wastes=frozenset({"overprocessing"}), question="free")]
    )
    again = "the quarterly vendor scorecard ritual ate another afternoon"
    assert "overprocessing" in corrected.classify(again, "free").wastes
    assert "overprocessing" not in base.classify(again, "free").wastes  # the base is untouched
