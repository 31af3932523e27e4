"""Theme grouping, key stability, readable labels and persistence (invented sentences only)."""

from __future__ import annotations

import json

from bot.analysis.themes import (
    MAX_PROFILE_TERMS,
    PROFILE_SLACK,
    ThemeIndex,
    ThemeMatch,
    ThemeProfile,
    is_recurring,
    same_entity,
    stem,
)

GPU_REPLIES = [
    ("waiting on GPU quota for the forecast retrain", ["waiting"]),
    ("still no A100s approved, the quota request is stuck", ["waiting"]),
    ("infra hasn't bumped our gpu quota yet, so the retrain waits", ["waiting"]),
]
OTHER = ("the weekly KPI dashboards get zero views", ["overproduction"])
UNRELATED = [
    ("merge requests sit for days before anyone reviews them", ["waiting"]),
    ("the onboarding doc is two years out of date", ["motion"]),
]


def _run(index: ThemeIndex) -> list[str | None]:
    keys = []
    for text, labels in [*GPU_REPLIES, OTHER, *UNRELATED]:
        m = index.assign(text, labels, None)
        keys.append(m.key if m else None)
    return keys


def test_differently_worded_replies_share_a_theme() -> None:
    keys = _run(ThemeIndex())
    assert keys[0] == keys[1] == keys[2]


def test_unrelated_replies_do_not_join() -> None:
    keys = _run(ThemeIndex())
    assert len({keys[0], keys[3], keys[4], keys[5]}) == 4


def test_same_model_different_problem_stays_apart() -> None:
    index = ThemeIndex()
    a = index.assign("churn-model p99 latency doubled after the rollout", ["serving_sla"], None)
    b = index.assign("churn-model offline metric looks too good, leakage?", ["model_quality"], None)
    assert a is not None and b is not None and a.key != b.key


def test_abbreviated_model_name_joins_its_theme() -> None:
    index = ThemeIndex()
    first = index.assign(
        "basket-gbm labels only mature after 60 days, recent data looks clean", ["waiting"], None
    )
    second = index.assign("still can't refresh bk-gbm until the labels mature", ["waiting"], None)
    assert first is not None and second is not None
    assert second.key == first.key and not second.is_new


def test_unlabelled_status_update_joins_but_never_founds() -> None:
    index = ThemeIndex()
    assert index.assign("finally rotated the vault creds for the batch jobs", [], None) is None
    assert len(index) == 0
    founded = index.assign("ci keeps failing on the flaky `test_cart_totals` e2e test", ["defects"])
    assert founded is not None
    update = index.assign("`test_cart_totals` fixed, e2e suite green all week", [], None)
    assert update is not None and update.key == founded.key and not update.is_new


def test_theme_label_is_readable() -> None:
    index = ThemeIndex()
    m = index.assign(*GPU_REPLIES[0], None)
    assert m is not None and m.is_new
    assert m.label == "GPU quota"
    assert m.key == "gpu-quota"
    other = index.assign(
        "payout-scorer flags too many legit orders as false positives", ["defects"]
    )
    assert other is not None
    assert other.label == "Payout-scorer false positives"
    assert 1 <= len(other.label.split()) <= 3 and other.label[0].isupper()
    assert other.key == other.key.lower() and " " not in other.key


def test_unlabelled_reply_gets_no_theme() -> None:
    assert ThemeIndex().assign("shipped the new onboarding flow", [], None) is None


def test_keys_stable_across_runs() -> None:
    assert _run(ThemeIndex()) == _run(ThemeIndex())


def test_profiles_round_trip_through_json() -> None:
    first = ThemeIndex()
    for text, labels in GPU_REPLIES[:2]:
        first.assign(text, labels, None)
    stored = json.dumps([p.as_dict() for p in first.profiles()])
    restored = ThemeIndex.from_profiles([ThemeProfile.from_dict(d) for d in json.loads(stored)])
    assert restored.profiles() == first.profiles()
    a = first.assign(*GPU_REPLIES[2], None)
    b = restored.assign(*GPU_REPLIES[2], None)
    assert a == b
    assert a is not None and not a.is_new
    assert first.assign(*OTHER, None) == restored.assign(*OTHER, None)
    assert restored.profiles() == first.profiles()


def test_profiles_stay_small() -> None:
    index = ThemeIndex()
    for n in range(40):
        words = " ".join(f"word{chr(97 + n % 26)}{chr(97 + n // 26)}x" for _ in range(3))
        index.assign(f"gpu quota still stuck {words} alpha{chr(97 + n % 26)}beta", ["waiting"])
    assert all(len(p.terms) <= MAX_PROFILE_TERMS + PROFILE_SLACK for p in index.profiles())


def test_colliding_keys_are_disambiguated() -> None:
    index = ThemeIndex(threshold=9.0)  # never join, so both found new themes
    a = index.assign("GPU quota again", ["waiting"], None)
    b = index.assign("GPU quota again", ["waiting"], None)
    assert a is not None and b is not None
    assert a.key != b.key and b.key.startswith(a.key)


def test_helpers() -> None:
    assert same_entity("cb-gbm", "chargeback-gbm")
    assert not same_entity("cb-gbm", "churn-model")
    assert stem("matured") == stem("matures") == stem("mature")


def test_is_recurring() -> None:
    assert is_recurring({"2026-W10", "2026-W11"}, {"U1"})
    assert is_recurring({"2026-W10"}, {"U1", "U2", "U3"})
    assert not is_recurring({"2026-W10"}, {"U1", "U2"})


def test_same_model_needs_a_shared_label_for_the_entity_bonus() -> None:
    index = ThemeIndex()
    first = index.assign(
        "churn-model retrain queued behind the nightly batch again", ["waiting"], "churn-model"
    )
    other = index.assign(
        "churn-model precision slid after the pricing change", ["model_quality"], "churn-model"
    )
    same = index.assign(
        "churn-model retrain still waiting in the batch queue", ["waiting"], "churn-model"
    )
    assert first and other and same
    assert other.key != first.key and same.key == first.key


def test_best_match_floor_skips_themes_that_cannot_reach_it() -> None:
    index = ThemeIndex()
    for text, labels in GPU_REPLIES:
        index.assign(text, labels, None)
    vec = index.vector("still waiting on gpu quota", ["waiting"])
    best = index.best_match(vec)
    assert best is not None
    assert index.best_match(vec, floor=best[0]) == best
    assert index.best_match(vec, floor=best[0] + 0.01) is None


def test_ordinary_hyphenated_compounds_are_not_entities() -> None:
    index = ThemeIndex()
    vec = index.vector("re-weighting per-position clicks costs ~20 gpu-hours on churn-model", ["x"])
    entities = {t for t in vec if t.startswith("e:")}
    assert entities == {"e:churn-model"}


def test_compounds_built_with_function_words_or_particles_are_not_entities() -> None:
    index = ThemeIndex()
    vec = index.vector(
        "end-to-end check-ins and hand-offs, a no-go for the go-live of ranker-svc", ["x"]
    )
    entities = {t for t in vec if t.startswith("e:")}
    assert entities == {"e:ranker-svc"}


def test_a_labelled_reply_only_joins_a_theme_about_one_of_its_labels() -> None:
    index = ThemeIndex()
    latency = index.assign("search-api p99 latency doubled after the rollout", ["serving_sla"])
    same = index.assign("search-api p99 latency still over the SLA", ["serving_sla"])
    tools = index.assign(
        "debugging one slow search-api query means juggling four tools", ["motion"]
    )
    assert latency and same and tools
    assert same.key == latency.key
    assert tools.key != latency.key and tools.is_new


def _after(founding: str, later: str, labels: list[str]) -> tuple[ThemeMatch, ThemeMatch]:
    """Found a theme with ``founding`` in a fresh index; return it and where ``later`` went."""
    index = ThemeIndex()
    first = index.assign(founding, labels)
    second = index.assign(later, labels)
    assert first and second
    return first, second


def test_a_reply_that_goes_on_with_a_story_joins_it_more_easily() -> None:
    founding = "waiting on the data platform team to grant read access to the orders table"
    later = "access request pending with the data owner, security review and legal"
    _, plain = _after(founding, later, ["waiting"])
    assert plain.is_new  # close, but not close enough on its own
    first, goes_on = _after(founding, "still " + later, ["waiting"])
    assert goes_on.key == first.key


def test_a_reply_announcing_a_new_report_needs_to_be_clearly_closer() -> None:
    founding = "flaky facet test failed CI on main twice today"
    later = "the facet test failed CI on my branch"
    first, joined = _after(founding, later, ["defects"])
    assert joined.key == first.key
    _, separate = _after(founding, "heads up: " + later, ["defects"])
    assert separate.is_new


def test_an_unlabelled_status_update_may_join_any_theme() -> None:
    index = ThemeIndex()
    founded = index.assign("search-api p99 latency doubled after the rollout", ["serving_sla"])
    update = index.assign("search-api p99 latency back to normal after the rollback", [])
    assert founded and update and update.key == founded.key


def test_the_bare_role_word_stands_for_the_one_model_ending_in_it() -> None:
    index = ThemeIndex()
    first = index.assign("query-rewriter trained and signed off, still not in prod", ["inventory"])
    later = index.assign("the rewriter is still not in prod, nobody owns it", ["inventory"])
    assert first and later and later.key == first.key
    vec = index.vector("the rewriter sits on a shelf")
    assert "e:query-rewriter" in vec


def test_a_role_word_shared_by_two_models_names_neither() -> None:
    index = ThemeIndex()
    index.assign("fraud-scorer declines legit orders", ["model_quality"])
    index.assign("risk-scorer explanations are missing", ["explainability"])
    assert not any(t.startswith("e:") for t in index.vector("the scorer is slow"))
    # the same whatever order the names arrived in, so a reloaded index agrees
    restored = ThemeIndex.from_profiles(reversed(index.profiles()))
    assert not any(t.startswith("e:") for t in restored.vector("the scorer is slow"))


def test_profile_of_one_theme() -> None:
    index = ThemeIndex()
    m = index.assign(*GPU_REPLIES[0], None)
    assert m is not None
    profile = index.profile(m.key)
    assert profile is not None and profile == index.profiles()[0]
    assert index.profile("no-such-theme") is None
