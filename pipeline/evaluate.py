"""The `evaluate` stage: how often the primary theme is one an analyst accepts.

Scored against a hand-labelled CSV where each statement may have several
acceptable themes (`themes`, "; "-joined): a statement often speaks of two
things and an analyst would accept either as its main theme. The plain
baseline (each statement to the theme whose description it is most similar
to) is computed in the same run, on the same statements, so the two figures
are always comparable.

Labels live in a folder (one CSV per labelled report, or several reports per
file). Only the reports present in this run are scored: labels of a report
that is not in data/raw/ are set aside and counted, and a run with no labelled
report writes a metric saying so and succeeds. Labels are keyed by
statement_id AND the statement's normalised text: when the segmentation of a
labelled report changes, its labels are refused with a message saying which
statement changed (relabel), rather than silently joined to other text.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import typer

from pipeline.cli_support import one_line_errors
from pipeline.codebook import OTHER, Codebook
from pipeline.errors import InputError

log = logging.getLogger(__name__)

LABEL_COLUMNS = ("report_id", "statement_id", "text", "themes")


@dataclass(frozen=True)
class EvaluateParams:
    """(The baseline embeds the theme descriptions with the embed stage's model: `embed.model`.)"""


def normalise_text(text: str) -> str:
    """Casefolded, markup dropped, whitespace and quotes unified: robust to re-extraction noise."""
    text = re.sub(r"</?[a-zA-Z][^<>]*>", " ", unicodedata.normalize("NFKC", str(text))).casefold()
    text = re.sub(r"[\u2018\u2019\u201c\u201d\"']", "", text)
    return " ".join(text.split())


def split_themes(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in str(value).split(";") if t.strip())


def join_labels(predicted: pd.DataFrame, labels: pd.DataFrame, codebook: Codebook, source: object = "labels") -> pd.DataFrame:
    """Predictions beside their acceptable themes; refuses stale or unknown labels.

    Returns the labelled statements with columns statement_id, theme (after the analyst's
    corrections), machine_theme (before them) and acceptable (tuple).
    """
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise InputError(source, f"labels lack column(s) {', '.join(missing)}")
    known = set(codebook.ids) | {OTHER}
    pred = predicted.set_index("statement_id")
    rows = []
    for i, row in labels.reset_index(drop=True).iterrows():
        sid = str(row["statement_id"])
        acceptable = split_themes(row["themes"])
        if not acceptable:
            raise InputError(source, f"row {i + 2} ({sid}) has no theme")
        unknown = [t for t in acceptable if t not in known]
        if unknown:
            raise InputError(source, f"row {i + 2} ({sid}) names theme '{unknown[0]}', not in the codebook")
        if sid not in pred.index:
            raise InputError(source, f"statement {sid} is not among the statements (segmentation changed: relabel)")
        if normalise_text(pred.at[sid, "text"]) != normalise_text(row["text"]):
            raise InputError(source, f"statement {sid} now reads differently (segmentation changed: relabel): "
                                     f"{str(pred.at[sid, 'text'])[:60]!r}")
        if str(pred.at[sid, "report_id"]) != str(row["report_id"]):
            raise InputError(source, f"statement {sid} belongs to report {pred.at[sid, 'report_id']}, not {row['report_id']}")
        machine = pred.at[sid, "machine_theme"] if "machine_theme" in pred.columns else pred.at[sid, "theme"]
        rows.append({"statement_id": sid, "theme": str(pred.at[sid, "theme"]), "machine_theme": str(machine),
                     "acceptable": acceptable})
    if labels["statement_id"].duplicated().any():
        dup = labels.loc[labels["statement_id"].duplicated(), "statement_id"].iloc[0]
        raise InputError(source, f"statement {dup} is labelled twice")
    return pd.DataFrame(rows, columns=["statement_id", "theme", "machine_theme", "acceptable"])


def present_labels(labels: pd.DataFrame, report_ids: set[str]) -> tuple[pd.DataFrame, list[str]]:
    """The label rows of the reports in this run, and the reports labelled but absent (sorted)."""
    present = labels["report_id"].astype(str).isin(report_ids)
    absent = sorted(set(labels.loc[~present, "report_id"].astype(str)))
    return labels[present], absent


def no_labels_metrics(n_statements: int, absent: list[str]) -> dict[str, object]:
    """The metric of a run with no labelled report: says so, scores nothing."""
    return {
        "status": "no labelled report in this run: nothing scored",
        "n_statements": int(n_statements),
        "n_labelled": 0,
        "labelled_reports": [],
        "labelled_reports_absent": absent,
    }


def accuracy_any(predicted: list[str], acceptable: list[tuple[str, ...]]) -> float:
    """Share of statements whose predicted theme is one of their acceptable themes."""
    if not predicted:
        return 0.0
    return float(np.mean([p in ok for p, ok in zip(predicted, acceptable, strict=True)]))


def nearest_description(statement_vectors: np.ndarray, description_vectors: np.ndarray, theme_ids: tuple[str, ...]) -> list[str]:
    """The baseline: each statement to the theme whose description embedding is most similar."""
    def unit(m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, dtype=np.float64)
        n = np.linalg.norm(m, axis=1, keepdims=True)
        return m / np.where(n == 0, 1, n)

    if len(statement_vectors) == 0:
        return []
    sims = unit(statement_vectors) @ unit(description_vectors).T
    return [theme_ids[int(j)] for j in sims.argmax(axis=1)]


def evaluate_themes(joined: pd.DataFrame, baseline: list[str], n_statements: int, codebook: Codebook) -> dict[str, object]:
    """The metrics: accuracy@any-acceptable of the stage and of the baseline, overall and on substantive statements.

    `accuracy_any` scores the themes as the tables show them, after the analyst's corrections;
    `machine_accuracy_any` the machine's themes before them (equal when nothing was corrected).
    """
    acceptable = list(joined["acceptable"])
    predicted = list(joined["theme"])
    machine = list(joined["machine_theme"]) if "machine_theme" in joined.columns else predicted
    procedural = set(codebook.procedural_ids)
    substantive = [not set(ok) <= procedural for ok in acceptable]
    sub_pred = [p for p, s in zip(predicted, substantive) if s]
    sub_ok = [a for a, s in zip(acceptable, substantive) if s]
    sub_base = [b for b, s in zip(baseline, substantive) if s]
    return {
        "status": "scored",
        "n_statements": int(n_statements),
        "n_labelled": len(joined),
        "n_unlabelled": int(n_statements - len(joined)),
        "accuracy_any": round(accuracy_any(predicted, acceptable), 4),
        "machine_accuracy_any": round(accuracy_any(machine, acceptable), 4),
        "n_corrected": int(sum(p != m for p, m in zip(predicted, machine, strict=True))),
        "baseline_description_accuracy_any": round(accuracy_any(baseline, acceptable), 4),
        "n_substantive": int(sum(substantive)),
        "substantive_accuracy_any": round(accuracy_any(sub_pred, sub_ok), 4),
        "baseline_description_substantive_accuracy_any": round(accuracy_any(sub_base, sub_ok), 4),
        "share_other": round(float(np.mean([p == OTHER for p in predicted])) if predicted else 0.0, 4),
    }


def read_label_folder(folder: Path) -> list[tuple[Path, pd.DataFrame]]:
    """Every label CSV of `folder` (sorted by name), each checked against the labels contract."""
    from pipeline.contract import THEME_LABELS
    from pipeline.tableio import read_table

    if folder.is_file():
        return [(folder, read_table(folder, THEME_LABELS))]
    if not folder.is_dir():
        raise InputError(folder, "labels folder not found")
    return [(path, read_table(path, THEME_LABELS)) for path in sorted(folder.glob("*.csv"))]


@one_line_errors
def command(
    statement_themes: Path = typer.Option(..., "--statement-themes", help="statement_themes.csv (topics stage)"),
    labels: Path = typer.Option(..., "--labels", help="folder of hand-labelled CSVs: report_id, statement_id, text, themes"),
    embeddings: Path = typer.Option(..., "--embeddings", help="embeddings.npy (embed stage)"),
    embedding_ids: Path = typer.Option(..., "--embedding-ids", help="embedding_ids.csv (embed stage)"),
    model_record: Path | None = typer.Option(None, "--model-record", help="the embed stage's model record"),
    codebook: Path = typer.Option(..., "--codebook", help="the codebook YAML"),
    params: Path = typer.Option(..., "--params", help="params.yaml (section `evaluate`, and `embed.model`)"),
    metrics: Path = typer.Option(..., "--metrics", help="output: metrics JSON (DVC metrics)"),
) -> None:
    """Score the primary themes of the labelled reports present, beside the nearest-description baseline."""
    from pipeline.codebook import load_codebook
    from pipeline.contract import STATEMENT_THEMES
    from pipeline.embed.reuse import embed_stage_encoder
    from pipeline.embed.store import load_embeddings
    from pipeline.params import load_section
    from pipeline.tableio import read_table

    load_section(params, "evaluate", EvaluateParams)
    book = load_codebook(codebook)
    # only what the scores use (a million statements' other columns would cost gigabytes)
    predicted = read_table(statement_themes, STATEMENT_THEMES,
                           columns=("statement_id", "report_id", "text", "theme", "machine_theme"))
    report_ids = set(predicted["report_id"].astype(str))
    joined_parts, absent = [], set()
    for path, frame in read_label_folder(labels):
        present, missing = present_labels(frame, report_ids)
        absent.update(missing)
        if len(present):
            joined_parts.append(join_labels(predicted, present, book, path))
    if not joined_parts:
        result = no_labels_metrics(len(predicted), sorted(absent))
        log.warning("evaluate: no labelled report among the %d statements (labels in %s); nothing scored",
                    len(predicted), labels)
    else:
        joined = pd.concat(joined_parts, ignore_index=True)
        if joined["statement_id"].duplicated().any():
            dup = joined.loc[joined["statement_id"].duplicated(), "statement_id"].iloc[0]
            raise InputError(labels, f"statement {dup} is labelled in two files")
        vectors = load_embeddings(embeddings, embedding_ids, joined["statement_id"].tolist())
        stage_encoder = embed_stage_encoder(params, model_record)
        descriptions = stage_encoder.encode([t.description for t in book.themes])
        baseline = nearest_description(vectors, descriptions, book.ids)
        result = evaluate_themes(joined, baseline, len(predicted), book)
        result["labelled_reports"] = sorted(set(predicted.set_index("statement_id").loc[joined["statement_id"], "report_id"].astype(str)))
        result["labelled_reports_absent"] = sorted(absent)
        if result["n_unlabelled"]:
            log.warning("%d statement(s) have no label in %s", result["n_unlabelled"], labels)
        log.info("accuracy@any %.3f (baseline %.3f) on %d labelled statements",
                 result["accuracy_any"], result["baseline_description_accuracy_any"], result["n_labelled"])
    metrics.parent.mkdir(parents=True, exist_ok=True)
    metrics.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
