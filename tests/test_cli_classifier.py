"""The classifier from the command line: classify, train, evaluate."""

from __future__ import annotations

import json
import shutil

from conftest import shared_path
from test_cli import tieswatch


def test_classify_writes_one_line_per_input_in_order_and_names_bad_lines(tmp_path, trained_model_dir):
    data = tmp_path / "d"
    shutil.copytree(trained_model_dir / "models", data / "models")
    lines = [
        json.dumps({"id": "a", "title": "Seoul: 3,000 more North Korean troops reach Kursk", "extra": [1, 2]}),
        "{broken",
        json.dumps({"id": "b", "title": "Rain expected in Milan", "summary": "Umbrellas out."}),
        json.dumps({"summary": "Pyongyang shipped artillery shells to Russia via Rajin, Japan says.", "title": ""}),
        json.dumps({"id": "d"}),
    ]
    result = tieswatch("classify", "--data", str(data), cwd=tmp_path, stdin="\n".join(lines) + "\n")
    assert result.returncode == 1
    assert "stdin line 2: not valid JSON" in result.stderr
    assert "stdin line 5: needs a 'title', 'summary' or 'text'" in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", 4]  # a line without an id is named by its number
    assert out[0]["relevant"] and not out[1]["relevant"] and out[2]["relevant"]
    for o in out:
        assert set(o) == {"id", "score", "relevant", "why", "excerpt", "marks"} and 0 <= o["score"] <= 1
        assert len(o["excerpt"]) <= 280
    assert "Kursk" in out[0]["why"] or any("Kursk" in w or "kursk" in w for w in out[0]["why"])


def test_classify_with_several_workers_keeps_the_input_order(tmp_path, trained_model_dir):
    data = tmp_path / "d"
    shutil.copytree(trained_model_dir / "models", data / "models")
    titles = ["Seoul: 3,000 more North Korean troops reach Kursk", "Rain expected in Milan"]
    lines = [json.dumps({"id": i, "title": titles[i % 2]}) for i in range(700)]
    lines[400] = "{broken"  # a bad line between batches scored by different workers
    result = tieswatch("classify", "--jobs", "2", "--data", str(data), cwd=tmp_path, stdin="\n".join(lines) + "\n")
    assert result.returncode == 1 and "stdin line 401: not valid JSON" in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [i for i in range(700) if i != 400]
    assert all(o["relevant"] == (o["id"] % 2 == 0) for o in out)


def test_classify_text_files_first_line_title(tmp_path, trained_model_dir):
    data = tmp_path / "d"
    shutil.copytree(trained_model_dir / "models", data / "models")
    seeds = sorted(str(p) for p in shared_path("seeds").glob("*.txt"))
    result = tieswatch("classify", "--text", *seeds, "--data", str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == seeds and all(o["relevant"] for o in out)
    missing = tieswatch("classify", "--text", str(tmp_path / "nope.txt"), "--data", str(data), cwd=tmp_path)
    assert missing.returncode == 1 and "nope.txt: cannot read" in missing.stderr


def test_train_then_evaluate_reports_metrics_baselines_and_a_curve(tmp_path, small_corpus, small_examples):
    env = {"TIESWATCH_CORPUS": str(small_corpus)}  # a small corpus: this test is about the commands, not quality
    trained = tieswatch("--data", str(tmp_path / "d"), "train", cwd=tmp_path, env=env)
    assert trained.returncode == 0 and "now in use" in trained.stdout
    assert f"{len(small_examples)} examples" in trained.stdout
    png = tmp_path / "pr.png"
    labelled = tmp_path / "mine.jsonl"
    labelled.write_text(
        json.dumps({"id": 1, "lang": "en", "title": "North Korean shells reach Russian gunners", "label": 1})
        + "\n"
        + json.dumps({"id": 2, "lang": "it", "title": "Il Napoli vince ancora", "label": 0})
        + "\n"
    )
    report = tieswatch(
        "--data", str(tmp_path / "d"), "evaluate", "--data", str(labelled), "--png", str(png), cwd=tmp_path
    )
    assert report.returncode == 0, report.stderr
    assert f"--data FILE is deprecated here, use --labelled {labelled}" in report.stderr  # the old form still works
    for expected in (
        "== mine.jsonl: 2 items",
        "keywords (English alert query)",
        "keywords (names in nine languages)",
        "per language:",
        "confusion matrix",
    ):
        assert expected in report.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = tieswatch("evaluate", "--labelled", str(labelled), "--data", str(tmp_path / "d"), cwd=tmp_path)
    assert again.returncode == 0 and "deprecated" not in again.stderr and "== mine.jsonl: 2 items" in again.stdout
