"""The digest, demo and analyser commands as a user runs them."""

import json
from io import BytesIO
from pathlib import Path

import pytest
from matplotlib.image import imread
from slack_sdk.models.blocks import Block
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def test_demo_then_digest_gives_valid_slack_blocks_and_a_chart(
    database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database_url}
    demo = runner.invoke(app, ["demo", "--png", str(tmp_path / "demo.png")], env=env)
    assert demo.exit_code == 0, demo.output
    assert "Recurring wastes" in demo.output and "Unresolved MLOps concerns" in demo.output
    assert (tmp_path / "demo.png").read_bytes().startswith(b"\x89PNG")

    blocks_run = runner.invoke(app, ["digest", "--format", "blocks"], env=env)
    assert blocks_run.exit_code == 0, blocks_run.output
    blocks = json.loads(blocks_run.stdout)
    assert 0 < len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()  # raises on any Block Kit limit broken
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert "concern_resolve" in buttons and "concern_assign" in buttons

    png = tmp_path / "chart.png"
    chart_run = runner.invoke(
        app, ["digest", "--channel", "C0DEMOML01", "--format", "json", "--png", str(png)], env=env
    )
    assert chart_run.exit_code == 0, chart_run.output
    data = json.loads(chart_run.stdout)
    assert data["channel_name"] == "ml-team" and data["recurring"]
    height, width = imread(BytesIO(png.read_bytes())).shape[:2]
    assert (width, height) == (800, 450)

    again = runner.invoke(app, ["demo"], env=env)
    assert again.exit_code == 1
    assert "already holds replies" in again.output


def test_digest_explains_bad_input(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    bad_week = runner.invoke(app, ["digest", "--week", "last-week"], env=env)
    assert bad_week.exit_code == 1 and "ISO week" in bad_week.output
    empty = runner.invoke(app, ["digest"], env=env)
    assert empty.exit_code == 1 and "kaizen demo" in empty.output
    unknown = runner.invoke(app, ["digest", "--channel", "C404"], env=env)
    assert unknown.exit_code == 1 and "no channel 'C404'" in unknown.output


def test_analyze_reads_json_lines_and_skips_bad_ones() -> None:
    lines = "\n".join(
        [
            json.dumps(
                {
                    "id": "a",
                    "text": "waited 3 days on the security review",
                    "question": "wastes.waiting",
                }
            ),
            "{not json",
            json.dumps({"id": "b", "text": "fraud-scorer p99 latency blew the 200ms SLA again"}),
        ]
    )
    result = runner.invoke(app, ["analyze"], input=lines + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert out[0]["wastes"] == ["waiting"] and out[0]["hours_lost"] == 24
    assert "serving_sla" in out[1]["concerns"] and out[1]["model"] == "fraud-scorer"
    assert "line 2" in result.stderr


def test_eval_prints_scores_for_a_labelled_file(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "id": "1",
                    "text": "blocked for two days waiting on data access approval",
                    "question": "wastes.waiting",
                    "wastes": ["waiting"],
                    "concerns": [],
                    "theme": None,
                },
                {
                    "id": "2",
                    "text": "all good, nothing to report",
                    "question": "standup.blockers",
                    "wastes": [],
                    "concerns": [],
                    "theme": None,
                },
            ]
        )
    )
    result = runner.invoke(app, ["eval", str(gold)])
    assert result.exit_code == 0, result.output
    assert "micro F1" in result.output and "waiting" in result.output
    as_json = runner.invoke(app, ["eval", str(gold), "--json"])
    assert json.loads(as_json.stdout)["wastes"]["micro_f1"] == pytest.approx(1.0)
    configured = runner.invoke(app, ["eval", str(gold), "--channel-models", "--json"])
    assert configured.exit_code == 0, configured.output
    assert "model_accuracy" in json.loads(configured.stdout)
    missing = runner.invoke(app, ["eval", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
