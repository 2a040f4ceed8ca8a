"""The `segment` command: folders, on_error fail/skip, one-line errors, deterministic files (slow: loads spaCy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.contract import INGEST_ERRORS, STATEMENTS
from pipeline.tableio import read_table

pytestmark = pytest.mark.slow

OUTPUTS = ("statements", "sessions", "speakers", "dropped", "errors")


def _run(raw: Path, out: Path, *, on_error: str = "fail", workers: int | str = 1,
         params_text: str | None = None, cache: Path | None = None) -> tuple[int, str]:
    params = out / "params.yaml"
    text = f"segment:\n  on_error: {on_error}\n  workers: {workers}\nother_stage:\n  x: 1\n"
    params.write_text(text if params_text is None else params_text, encoding="utf-8")
    args = ["segment", "--raw", str(raw), "--params", str(params)]
    for name in OUTPUTS:
        args += [f"--{name}", str(out / f"{name}.csv")]
    if cache is not None:
        args += ["--cache", str(cache)]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output  # stdout and stderr, interleaved


@pytest.fixture()
def raw(tmp_path: Path, sample_report: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(sample_report, folder / sample_report.name)
    (folder / "notes.json").write_text("{}", encoding="utf-8")  # unsupported suffix: ignored
    return folder


def test_segments_the_folder_deterministically(raw: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    assert _run(raw, first)[0] == 0
    assert _run(raw, second)[0] == 0
    for name in OUTPUTS:
        assert (first / f"{name}.csv").read_bytes() == (second / f"{name}.csv").read_bytes()
    statements = read_table(first / "statements.csv", STATEMENTS)
    assert len(statements) > 50 and statements["report_id"].nunique() == 1
    assert read_table(first / "errors.csv", INGEST_ERRORS).empty
    assert (first / "errors.csv").read_text(encoding="utf-8") == "file,problem\n"


def test_fail_stops_with_one_line_naming_the_file(raw: Path, tmp_path: Path) -> None:
    (raw / "broken.txt").write_bytes(b"")
    code, output = _run(raw, tmp_path)
    assert code == 1
    lines = [l for l in output.splitlines() if l.startswith("error:")]
    assert lines == [f"error: {raw / 'broken.txt'}: empty file"]
    assert "Traceback" not in output


def test_skip_lists_the_bad_reports_and_goes_on(raw: Path, tmp_path: Path) -> None:
    (raw / "a_empty.txt").write_bytes(b"")
    (raw / "b_nobody.txt").write_text("Just a title\n\nSome text nobody said.\n", encoding="utf-8")
    code, _ = _run(raw, tmp_path, on_error="skip")
    assert code == 0
    errors = read_table(tmp_path / "errors.csv", INGEST_ERRORS)
    assert errors["file"].tolist() == [str(raw / "a_empty.txt"), str(raw / "b_nobody.txt")]
    assert errors["problem"].tolist()[0] == "empty file"
    assert "no recognisable speaker" in errors["problem"].tolist()[1]
    assert len(read_table(tmp_path / "statements.csv", STATEMENTS)) > 50


def test_a_folder_without_reports_is_an_error(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "readme.json").write_text("{}", encoding="utf-8")
    code, output = _run(raw, tmp_path)
    assert code == 1 and f"error: {raw}: no report to segment" in output


def test_unknown_parameter_is_an_error(raw: Path, tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("segment:\n  on_eror: skip\n", encoding="utf-8")
    args = ["segment", "--raw", str(raw), "--params", str(params)]
    for name in OUTPUTS:
        args += [f"--{name}", str(tmp_path / f"{name}.csv")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "unknown parameter(s) on_eror" in result.output


VARIANTS = Path(__file__).parent / "fixtures" / "segment_variants"


def test_worker_processes_write_the_same_bytes_as_one_process(raw: Path, tmp_path: Path) -> None:
    for variant in sorted(VARIANTS.glob("webinar0[5-8]_*.*")):
        if not variant.name.endswith(".gold.json"):
            shutil.copy(variant, raw / variant.name)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    assert _run(raw, one)[0] == 0
    assert _run(raw, two, workers=2)[0] == 0
    for name in OUTPUTS:
        assert (one / f"{name}.csv").read_bytes() == (two / f"{name}.csv").read_bytes(), name
    assert read_table(one / "statements.csv", STATEMENTS)["report_id"].nunique() >= 5


def test_worker_processes_list_bad_reports_in_order_and_fail_on_the_first(raw: Path, tmp_path: Path) -> None:
    (raw / "a_empty.txt").write_bytes(b"")
    (raw / "b_nobody.txt").write_text("Just a title\n\nSome text nobody said.\n", encoding="utf-8")
    assert _run(raw, tmp_path, on_error="skip", workers=2)[0] == 0
    errors = read_table(tmp_path / "errors.csv", INGEST_ERRORS)
    assert errors["file"].tolist() == [str(raw / "a_empty.txt"), str(raw / "b_nobody.txt")]
    assert len(read_table(tmp_path / "statements.csv", STATEMENTS)) > 50
    code, output = _run(raw, tmp_path, workers=2)
    assert code == 1
    assert [l for l in output.splitlines() if l.startswith("error:")] == [f"error: {raw / 'a_empty.txt'}: empty file"]


@pytest.mark.parametrize("workers", ["0", "two", "true"])
def test_workers_must_be_a_whole_number_of_at_least_one(raw: Path, tmp_path: Path, workers: str) -> None:
    code, output = _run(raw, tmp_path, params_text=f"segment:\n  workers: {workers}\n")
    assert code == 1 and "segment.workers" in output


def _outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / f"{name}.csv").read_bytes() for name in OUTPUTS}


def test_the_report_cache_gives_the_same_bytes_and_segments_only_changed_reports(
        raw: Path, tmp_path: Path, sample_report: Path, caplog: pytest.LogCaptureFixture) -> None:
    shutil.copy(sample_report, raw / "second_copy.txt")
    cache = tmp_path / "cache"
    plain, cold, warm, changed = (tmp_path / n for n in ("plain", "cold", "warm", "changed"))
    for folder in (plain, cold, warm, changed):
        folder.mkdir()
    assert _run(raw, plain)[0] == 0
    with caplog.at_level("INFO", logger="pipeline.segment.cli"):
        assert _run(raw, cold, cache=cache)[0] == 0
        assert "0 report(s) read back, 2 segmented now" in caplog.text
        caplog.clear()
        assert _run(raw, warm, cache=cache)[0] == 0
        assert "2 report(s) read back, 0 segmented now" in caplog.text
        caplog.clear()
        edited = raw / "second_copy.txt"
        edited.write_text(edited.read_text(encoding="utf-8").replace("financing", "funding"), encoding="utf-8")
        assert _run(raw, changed, cache=cache)[0] == 0
        assert "1 report(s) read back, 1 segmented now" in caplog.text
    assert _outputs(cold) == _outputs(plain) and _outputs(warm) == _outputs(plain)
    statements = read_table(changed / "statements.csv", STATEMENTS)
    second = statements[statements["report_id"] == "second_copy"]["text"].str.cat(sep=" ")
    assert "funding" in second and "financing" not in second  # the edited report was segmented again
    assert len(list(cache.iterdir())) == 1  # one namespace: these params, this code
    # the edited report's old entry went with that run; a report taken out goes with the next
    (namespace,) = cache.iterdir()
    assert len(list(namespace.glob("*.pkl"))) == 2
    edited.unlink()
    (tmp_path / "fewer").mkdir()
    assert _run(raw, tmp_path / "fewer", cache=cache)[0] == 0
    assert len(list(namespace.glob("*.pkl"))) == 1


def test_new_params_start_a_new_cache_and_a_damaged_entry_is_segmented_again(
        raw: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    for folder in (first, second, third):
        folder.mkdir()
    assert _run(raw, first, cache=cache)[0] == 0
    (entry,) = (cache / next(cache.iterdir()).name).glob("*.pkl")
    entry.write_bytes(entry.read_bytes()[:100])
    with caplog.at_level("INFO"):
        assert _run(raw, second, cache=cache)[0] == 0
    assert "damaged segment cache entry" in caplog.text and "0 report(s) read back, 1 segmented now" in caplog.text
    assert _outputs(second) == _outputs(first)
    assert list(entry.parent.glob("*.damaged"))
    params = "segment:\n  fuzzy_threshold: 0.9\n"
    assert _run(raw, third, cache=cache, params_text=params)[0] == 0
    assert len(list(cache.iterdir())) == 1 and not entry.parent.exists()  # the old namespace is removed
