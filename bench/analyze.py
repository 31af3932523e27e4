"""Throughput bench for the offline analyser: ``python bench/analyze.py [--n 100000] [--stages]``.

Generates synthetic replies (templates + random words, seeded, so runs are comparable), then on
one core measures (a) a baseline that only parses each JSON line and writes it back, and (b) the
full analyser (``analyze_stream``, fresh themes each run) over the same lines, in the same
process, alternating and keeping each one's fastest of ``--repeat`` runs. Prints replies/s for
both and the ratio. Targets: >= 5,000 replies/s and analyser time within 5x of the baseline.

``--stages`` also times each stage of the analyser on its own over the same replies (classify,
model name, hours lost, themes), each as a multiple of the baseline, to show where time goes.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.analysis.classifier import default_classifier
from bot.analysis.durations import hours_lost
from bot.analysis.model_names import find_model
from bot.analysis.pipeline import analyze_stream
from bot.analysis.themes import ThemeIndex

TEMPLATES = (
    "blocked on {team} for the {thing} since {day}, {n} days so far",
    "waiting for {team} to approve {thing} access, pinged them {n} times",
    "had to redo the {thing} after a {adj} bug in {model}, lost {n}h",
    "rolled back {model} after {n} failed deploys, p99 went to {ms}ms",
    "{model} recall dropped from 0.{n}1 to 0.{n}0 on the {thing} slice",
    "nobody uses the {thing} dashboard we built, {n} views last month",
    "copying {thing} numbers by hand into a sheet every {day}",
    "{n} meetings before lunch and pulled into an incident, no focus time",
    "handed the {thing} pipeline over to {team}, lots of back and forth",
    "the {thing} branch has been open for {n} weeks, still not merged",
    "training {model} takes {n}h per run on the shared gpus, OOM twice",
    "drift alert on {thing} features, {model} needs a retrain",
    "{team} asked why {model} flagged the {thing}, we can't explain it",
    "found PII in the {thing} export, masked it and told security",
    "the eval holdout for {model} overlaps with train, numbers are optimistic",
    "all good, nothing to report",
    "shipped the {thing} waiting-list feature, {adj} feedback",
    "{model} p99 at {ms}ms, well under the SLA",
    "nope",
    "finished the {thing} refactor and reviewed {n} PRs",
)
WORDS = {
    "team": ("infra", "legal", "security", "platform", "finance", "the data team", "SRE", "ops"),
    "thing": (
        "orders", "ledger", "search", "clickstream", "refunds", "catalog", "features",
        "embeddings", "labels", "invoices", "sessions", "payouts", "reviews", "alerts",
    ),
    "day": ("monday", "tuesday", "wednesday", "thursday", "friday", "last week"),
    "adj": ("silly", "nasty", "subtle", "weird", "good", "mixed", "great"),
    "model": (
        "churn-v3", "fraud-scorer", "search-ranker-v7", "chargeback-gbm", "eta-model",
        "price-forecast", "intent-clf-v2", "the ranker",
    ),
}  # fmt: skip
QUESTIONS = (
    "standup.yesterday", "standup.today", "standup.blockers", "wastes.waiting", "wastes.rework",
    "wastes.other", "health.metrics", "health.serving", "health.data", "free",
)  # fmt: skip
TEAMS = ("payments-ml", "search-relevance", "platform-data", "growth-ml")


def make_lines(n: int, seed: int = 7) -> list[str]:
    """``n`` JSON lines of synthetic replies, varied enough to grow hundreds of themes."""
    rng = random.Random(seed)
    filler = [w for words in WORDS.values() for w in words] + [
        "again", "today", "tbh", "fyi", "still", "quick", "slow", "big", "small", "new",
    ]  # fmt: skip
    lines = []
    for i in range(n):
        tpl = rng.choice(TEMPLATES)
        fields = {k: rng.choice(v) for k, v in WORDS.items()}
        text = tpl.format(n=rng.randint(2, 9), ms=rng.randint(20, 900), **fields)
        if rng.random() < 0.6:
            text += " " + " ".join(rng.choice(filler) for _ in range(rng.randint(1, 8)))
        rec = {
            "id": f"bench-{i:06d}",
            "team": rng.choice(TEAMS),
            "week": f"2026-W{rng.randint(10, 30):02d}",
            "author": f"U{rng.randint(0, 60):04d}",
            "question": rng.choice(QUESTIONS),
            "text": text,
        }
        lines.append(json.dumps(rec))
    return lines


def baseline(lines: list[str]) -> float:
    """Seconds to parse every line and write it back as JSON (the floor for any JSONL tool)."""
    out = io.StringIO()
    start = time.perf_counter()
    for line in lines:
        out.write(json.dumps(json.loads(line), ensure_ascii=False))
        out.write("\n")
    return time.perf_counter() - start


def analyser(lines: list[str]) -> float:
    """Seconds for ``analyze_stream`` over the same lines (classifier built beforehand)."""
    default_classifier()
    inp = io.StringIO("\n".join(lines) + "\n")
    out = io.StringIO()
    err = io.StringIO()
    start = time.perf_counter()
    errors = analyze_stream(inp, out, err)
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"bench input produced {errors} errors: {err.getvalue()[:200]}")
    return elapsed


def stages(lines: list[str]) -> dict[str, float]:
    """Seconds each analyser stage takes alone over the same replies, in pipeline order."""
    recs = [json.loads(line) for line in lines]
    clf = default_classifier()
    out: dict[str, float] = {}
    start = time.perf_counter()
    found = [clf.classify(r["text"], r["question"]) for r in recs]
    out["classify"] = time.perf_counter() - start
    start = time.perf_counter()
    models = [find_model(r["text"]) for r in recs]
    out["model name"] = time.perf_counter() - start
    start = time.perf_counter()
    for r, c in zip(recs, found, strict=True):
        if c.wastes:
            hours_lost(r["text"])
    out["hours lost"] = time.perf_counter() - start
    labels = [sorted(c.wastes) + sorted(c.concerns) for c in found]
    indexes: dict[str, ThemeIndex] = {}
    start = time.perf_counter()
    for r, lab, model in zip(recs, labels, models, strict=True):
        index = indexes.get(r["team"])
        if index is None:
            index = indexes[r["team"]] = ThemeIndex()
        index.assign(r["text"], lab, model)
    out["themes"] = time.perf_counter() - start
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of replies (default 100000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--stages", action="store_true", help="also time each stage on its own")
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each measurement, alternating, fastest kept (default 3): a shared "
        "machine's noise only ever adds time",
    )
    args = ap.parse_args(argv)
    lines = make_lines(args.n, args.seed)
    t_base = t_full = float("inf")
    for _ in range(max(1, args.repeat)):
        t_base = min(t_base, baseline(lines))
        t_full = min(t_full, analyser(lines))
    base_rate = args.n / t_base
    full_rate = args.n / t_full
    ratio = t_full / t_base
    print(f"replies:            {args.n}")
    print(f"baseline (json io): {base_rate:12,.0f} replies/s  ({t_base:.2f} s)")
    print(f"analyser:           {full_rate:12,.0f} replies/s  ({t_full:.2f} s)")
    print(f"ratio:              {ratio:12.1f} x baseline time")
    ok_rate = full_rate >= 5_000
    ok_ratio = ratio <= 5.0
    print(f"target >= 5,000/s:  {'PASS' if ok_rate else 'FAIL'}")
    print(f"target <= 5x:       {'PASS' if ok_ratio else 'FAIL'}")
    if args.stages:
        print("stages alone, as multiples of the baseline time:")
        for name, seconds in stages(lines).items():
            print(f"  {name:<16}  {seconds / t_base:6.1f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
