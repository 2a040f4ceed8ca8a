"""The `tables` stage on few-row statement tables written for these tests.

Checks the table arithmetic an analyst relies on (counts match the
statements, shares sum to 1 over substantive statements), the handling of
procedural and unattributed statements, the quote bank's choice and
provenance, the plot files and metrics, and the CLI (byte-identical reruns,
one-line errors).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as hst
from typer.testing import CliRunner

from pipeline.contract import QUOTE_BANK, SPEAKER_THEMES, STATEMENT_THEMES, STATEMENTS, validate
from pipeline.errors import ContractError, InputError
from pipeline.tableio import read_table, write_table
from pipeline.tables import (
    UNATTRIBUTED,
    TablesParams,
    ThemeColumns,
    build_tables,
    speaker_theme_table,
    speaker_themes_long,
    theme_counts,
    theme_shares,
)
from pipeline.tables import cli as tables_cli
from pipeline.tables.counts import speaker_roles
from pipeline.tables.quotes import quote_bank

THEMES = ThemeColumns.from_ids(["financing", "legislation", "inequality", "procedural"], procedural=["procedural"])

# statement_id, report_id, seq, speaker, role, section, theme, theme_score, topic
ROWS = [
    ("r1-001", "r1", 1, "Ana Ruiz", "keynote", "key_points", "procedural", 0.90, 0),
    ("r1-002", "r1", 2, "Ana Ruiz", "keynote", "key_points", "financing", 0.70, 1),
    ("r1-003", "r1", 3, "Ana Ruiz", "keynote", "key_points", "financing", 0.80, 1),
    ("r1-004", "r1", 4, "Ana Ruiz", "keynote", "key_points", "legislation", 0.60, 2),
    ("r1-005", "r1", 5, "Bo Lin", "panelist", "key_points", "other", 0.20, -1),
    ("r1-006", "r1", 6, "Bo Lin", "panelist", "conclusions", "procedural", 0.95, 0),
    ("r1-007", "r1", 7, "", "audience", "audience_comments", "inequality", 0.50, 3),
    ("r2-001", "r2", 1, "Ana Ruiz", "moderator", "key_points", "procedural", 0.99, 0),
    ("r2-002", "r2", 2, "Cy Dow", "panelist", "key_points", "legislation", 0.70, 2),
    ("r2-003", "r2", 3, "Cy Dow", "panelist", "key_points", "legislation", 0.70, -1),
]


def make_statement_themes(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "statement_id": sid,
                "report_id": rid,
                "speaker": speaker,
                "role": role,
                "section": section,
                "text": f"Statement {sid} about {theme}.",
                "topic": topic,
                "topic_label": f"topic {topic}",
                "theme": theme,
                "theme_score": score,
                "themes": theme,
            }
            for sid, rid, _seq, speaker, role, section, theme, score, topic in rows
        ]
    )


def make_statements(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "report_id": rid,
                "statement_id": sid,
                "seq": seq,
                "section": section,
                "speaker": speaker,
                "role": role,
                "speaker_label": speaker,
                "text": f"Statement {sid} about {theme}.",
                "line_start": 10 * seq,
                "line_end": 10 * seq + 1,
                "page": 1 if seq < 3 else None,
            }
            for sid, rid, seq, speaker, role, section, theme, _score, _topic in rows
        ]
    )


@pytest.fixture()
def tables():
    return build_tables(make_statement_themes(), make_statements(), themes=THEMES, params=TablesParams(quote_bank_k=1))


# --- theme columns -----------------------------------------------------------


def test_columns_are_codebook_order_then_other_then_procedural():
    themes = ThemeColumns.from_ids(["procedural", "legislation", "other", "financing"], procedural=["procedural"])
    assert themes.columns == ("legislation", "financing", "other", "procedural")
    assert themes.share_columns == ("legislation", "financing", "other")


def test_unknown_theme_is_refused_naming_the_source():
    st = make_statement_themes()
    st.loc[3, "theme"] = "tourism"
    with pytest.raises(ContractError, match=r"data/st\.csv: .*'tourism' not in the codebook"):
        build_tables(st, make_statements(), themes=THEMES, params=TablesParams(), source="data/st.csv")


# --- long form ---------------------------------------------------------------


def test_long_form_follows_the_contract_and_counts_match_statements(tables):
    long = validate(tables.speaker_themes, SPEAKER_THEMES, "speaker_themes")
    st = make_statement_themes()
    assert long["n_statements"].sum() == len(st)
    per_report = long.groupby("report_id")["n_statements"].sum().to_dict()
    assert per_report == st.groupby("report_id").size().to_dict()


def test_long_form_shares_sum_to_one_over_substantive_statements(tables):
    long = tables.speaker_themes
    substantive = long[long["theme"] != "procedural"]
    sums = substantive.groupby(["report_id", "speaker"])["share"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    ana = long[(long["report_id"] == "r1") & (long["speaker"] == "Ana Ruiz")].set_index("theme")
    assert ana.loc["financing", "share"] == pytest.approx(2 / 3)
    assert ana.loc["financing", "n_substantive"] == 3


def test_procedural_rows_keep_their_count_with_an_empty_share(tables):
    proc = tables.speaker_themes[tables.speaker_themes["theme"] == "procedural"]
    assert proc["share"].isna().all()
    assert proc["n_statements"].sum() == 3
    only_procedural = proc[(proc["report_id"] == "r2") & (proc["speaker"] == "Ana Ruiz")]
    assert only_procedural["n_substantive"].tolist() == [0]


def test_unattributed_statements_are_grouped_not_lost(tables):
    rows = tables.speaker_themes[tables.speaker_themes["speaker"] == UNATTRIBUTED]
    assert rows[["report_id", "role", "theme", "n_statements"]].values.tolist() == [["r1", "audience", "inequality", 1]]


def test_speaker_role_is_the_most_frequent_then_contract_order():
    rows = [
        ("a1", "r", 1, "Ana", "panelist", "key_points", "financing", 0.5, 0),
        ("a2", "r", 2, "Ana", "moderator", "key_points", "financing", 0.5, 0),
        ("a3", "r", 3, "Bo", "panelist", "key_points", "financing", 0.5, 0),
        ("a4", "r", 4, "Bo", "panelist", "key_points", "financing", 0.5, 0),
        ("a5", "r", 5, "Bo", "audience", "key_points", "financing", 0.5, 0),
    ]
    roles = speaker_roles(make_statement_themes(rows)).set_index("speaker")["role"].to_dict()
    assert roles == {"Ana": "moderator", "Bo": "panelist"}


# --- wide tables -------------------------------------------------------------


def test_wide_counts_have_every_theme_column_in_order_and_totals(tables):
    counts = tables.speaker_counts
    assert list(counts.columns) == [
        "report_id", "speaker", "role", "financing", "legislation", "inequality", "other", "procedural",
        "substantive", "total",
    ]
    assert counts["total"].sum() == len(ROWS)
    assert (counts[list(THEMES.columns)].sum(axis=1) == counts["total"]).all()
    assert (counts["total"] - counts["procedural"] == counts["substantive"]).all()
    assert tables.session_counts.set_index("report_id")["total"].to_dict() == {"r1": 7, "r2": 3}
    assert tables.role_counts.set_index("role")["total"].to_dict() == {
        "audience": 1, "keynote": 4, "moderator": 1, "panelist": 4,
    }


def test_wide_shares_sum_to_one_and_are_empty_without_substantive_statements(tables):
    for shares in (tables.speaker_shares, tables.role_shares, tables.session_shares):
        assert "procedural" not in shares.columns
        has_base = shares["n_substantive"] > 0
        sums = shares.loc[has_base, list(THEMES.share_columns)].sum(axis=1)
        assert np.allclose(sums, 1.0) and np.allclose(shares.loc[has_base, "total"], 1.0)
        assert shares.loc[~has_base, [*THEMES.share_columns, "total"]].isna().all().all()
    session = tables.session_shares.set_index("report_id")
    assert session.loc["r1", "financing"] == pytest.approx(2 / 5)
    assert session.loc["r1", "n_procedural"] == 2


def test_speaker_theme_table_serves_a_corpus_without_sessions():
    """President x topic on State-of-the-Union-like rows: no procedural theme, no roles that matter."""
    rows = [
        (f"d{i}", f"doc{i % 2}", i, president, "other", "other", topic, 0.5, 0)
        for i, (president, topic) in enumerate(
            [("Truman", "defense"), ("Truman", "macroeconomics"), ("Truman", "defense"), ("Ford", "energy")]
        )
    ]
    st = make_statement_themes(rows)
    order = ["macroeconomics", "energy", "defense", "health"]
    counts = speaker_theme_table(st, themes_order=order, procedural=(), per_report=False)
    assert list(counts.columns) == ["speaker", *order, "other", "substantive", "total"]
    assert counts.set_index("speaker").loc["Truman", ["defense", "macroeconomics", "health"]].tolist() == [2, 1, 0]
    shares = speaker_theme_table(st, themes_order=order, procedural=(), per_report=False, shares=True)
    assert shares.set_index("speaker").loc["Truman", "defense"] == pytest.approx(2 / 3)
    per_doc = speaker_theme_table(st, themes_order=order, procedural=())
    assert list(per_doc.columns[:3]) == ["report_id", "speaker", "role"]
    assert per_doc["total"].sum() == 4


def test_empty_input_gives_header_only_tables():
    empty = make_statement_themes().iloc[0:0]
    result = build_tables(empty, make_statements().iloc[0:0], themes=THEMES, params=TablesParams())
    assert result.speaker_themes.empty and result.speaker_counts.empty and result.quote_bank.empty
    assert "financing" in result.role_counts.columns
    assert result.metrics["statements"] == 0 and result.metrics["outlier_share"] == 0.0


@settings(max_examples=40, deadline=None)
@given(
    hst.lists(
        hst.tuples(
            hst.sampled_from(["r1", "r2"]),
            hst.sampled_from(["", "Ana", "Bo", "Cy"]),
            hst.sampled_from(["moderator", "keynote", "panelist", "audience"]),
            hst.sampled_from(list(THEMES.columns)),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_arithmetic_holds_for_any_statement_table(rows):
    full = [
        (f"s{i:03d}", rid, i, spk, role, "key_points", theme, 0.5, 0) for i, (rid, spk, role, theme) in enumerate(rows)
    ]
    st = make_statement_themes(full)
    long = speaker_themes_long(st, themes=THEMES)
    assert long["n_statements"].sum() == len(st)
    substantive = long[~long["theme"].isin(THEMES.procedural)]
    assert np.allclose(substantive.groupby(["report_id", "speaker"])["share"].sum(), 1.0)
    counts = theme_counts(st, by=("report_id", "speaker"), themes=THEMES)
    assert counts["total"].sum() == len(st)
    shares = theme_shares(counts, themes=THEMES)
    based = shares[shares["n_substantive"] > 0]
    assert np.allclose(based[list(THEMES.share_columns)].sum(axis=1), 1.0)


# --- quote bank --------------------------------------------------------------


def test_quote_bank_keeps_top_k_by_score_with_provenance(tables):
    qb = validate(tables.quote_bank, QUOTE_BANK, "quote_bank")
    ana_fin = qb[(qb["speaker"] == "Ana Ruiz") & (qb["theme"] == "financing")]
    assert ana_fin["statement_id"].tolist() == ["r1-003"]  # 0.80 beats 0.70
    assert ana_fin[["line_start", "line_end"]].values.tolist() == [[30, 31]]
    assert "procedural" not in set(qb["theme"])
    assert UNATTRIBUTED in set(qb["speaker"])


def test_quote_bank_breaks_score_ties_by_position_and_can_include_procedural():
    qb = quote_bank(make_statement_themes(), make_statements(), themes=THEMES, k=2, include_procedural=True)
    cy = qb[qb["speaker"] == "Cy Dow"]
    assert cy[["statement_id", "rank"]].values.tolist() == [["r2-002", 1], ["r2-003", 2]]
    assert "procedural" in set(qb["theme"])
    with pytest.raises(InputError, match="quote_bank_k must be at least 1"):
        quote_bank(make_statement_themes(), make_statements(), themes=THEMES, k=0)


def test_statements_missing_from_either_table_are_refused():
    st = make_statement_themes()
    with pytest.raises(ContractError, match="lacks 1 statement"):
        build_tables(st.iloc[1:], make_statements(), themes=THEMES, params=TablesParams())
    with pytest.raises(ContractError, match="1 statement.*not in statements"):
        build_tables(st, make_statements().iloc[1:], themes=THEMES, params=TablesParams())


# --- plots and metrics -------------------------------------------------------


def test_plot_files_hold_substantive_shares_with_labels(tables):
    by_role = tables.plot_by_role
    assert "procedural" not in set(by_role["theme"])
    assert np.allclose(by_role.groupby("role")["share"].sum(), 1.0)
    assert "keynote / financing" in set(by_role["label"])
    by_speaker = tables.plot_by_speaker
    assert by_speaker["label"].is_unique
    assert "r2 / Cy Dow / legislation" in set(by_speaker["label"])  # two reports: label names the report


def test_metrics(tables):
    assert tables.metrics == {
        "statements": 10,
        "reports": 2,
        "speakers": 4,
        "unattributed_statements": 1,
        "themes_in_codebook": 3,
        "themes_covered": 3,
        "outlier_share": 0.2,
        "other_share": 0.1,
        "procedural_share": 0.3,
    }


# --- the CLI -----------------------------------------------------------------

CODEBOOK = """
name: test
themes:
  - id: financing
    name: Financing
    description: Credit and loans.
    seeds: [credit, loans, banks]
  - id: legislation
    name: Legislation
    description: Laws.
    seeds: [law, regulation, legal reform]
  - id: inequality
    name: Inequality
    description: Equity.
    seeds: [inequality, equity, justice]
  - id: procedural
    name: Procedural
    description: Greetings and thanks.
    seeds: [thank you, welcome, good morning]
    procedural: true
"""

OUTPUTS = {
    "--speaker-themes": "speaker_themes.csv",
    "--speaker-counts": "speaker_theme_counts.csv",
    "--speaker-shares": "speaker_theme_shares.csv",
    "--role-counts": "role_theme_counts.csv",
    "--role-shares": "role_theme_shares.csv",
    "--session-counts": "session_theme_counts.csv",
    "--session-shares": "session_theme_shares.csv",
    "--quote-bank": "quote_bank.csv",
    "--plot-by-role": "plots/theme_share_by_role.csv",
    "--plot-by-speaker": "plots/theme_share_by_speaker.csv",
    "--metrics": "metrics/tables.json",
}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("tables")(tables_cli.command)
    app.command("noop")(lambda: None)  # two commands: typer keeps `tables` as a subcommand
    return app


def _inputs(folder, statement_themes=None):
    folder.mkdir(parents=True, exist_ok=True)
    themed = make_statement_themes() if statement_themes is None else statement_themes
    write_table(themed, folder / "st.csv", STATEMENT_THEMES)
    write_table(make_statements(), folder / "statements.csv", STATEMENTS)
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (folder / "params.yaml").write_text("tables:\n  quote_bank_k: 2\n", encoding="utf-8")


def _run(inputs, out):
    args = [
        "tables",
        "--statement-themes", str(inputs / "st.csv"),
        "--statements", str(inputs / "statements.csv"),
        "--codebook", str(inputs / "codebook.yaml"),
        "--params", str(inputs / "params.yaml"),
    ]
    for option, name in OUTPUTS.items():
        args += [option, str(out / name)]
    return CliRunner().invoke(_app(), args)


def test_cli_writes_every_output_byte_identical_on_rerun(tmp_path):
    _inputs(tmp_path / "in")
    first, second = _run(tmp_path / "in", tmp_path / "a"), _run(tmp_path / "in", tmp_path / "b")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    for name in OUTPUTS.values():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    header = (tmp_path / "a" / "speaker_theme_counts.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "report_id,speaker,role,financing,legislation,inequality,other,procedural,substantive,total"
    shares = (tmp_path / "a" / "speaker_theme_shares.csv").read_text(encoding="utf-8").splitlines()
    assert "r1,Ana Ruiz,keynote,0.666667,0.333333,0.000000,0.000000,1.000000,3,1" in shares
    assert "r2,Ana Ruiz,moderator,,,,,,0,1" in shares
    long = read_table(tmp_path / "a" / "speaker_themes.csv", SPEAKER_THEMES)
    assert long["n_statements"].sum() == len(ROWS)
    metrics = json.loads((tmp_path / "a" / "metrics" / "tables.json").read_text(encoding="utf-8"))
    assert metrics["statements"] == len(ROWS)
    quotes = read_table(tmp_path / "a" / "quote_bank.csv", QUOTE_BANK)
    assert quotes["rank"].max() == 2


def test_cli_shuffled_input_gives_the_same_bytes(tmp_path):
    _inputs(tmp_path / "in")
    _inputs(tmp_path / "in2", make_statement_themes().sample(frac=1, random_state=7))
    assert _run(tmp_path / "in", tmp_path / "a").exit_code == 0
    assert _run(tmp_path / "in2", tmp_path / "b").exit_code == 0
    for name in OUTPUTS.values():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_cli_bad_input_is_one_line_naming_the_file(tmp_path):
    st = make_statement_themes()
    st.loc[0, "theme"] = "tourism"
    _inputs(tmp_path / "in", st)
    result = _run(tmp_path / "in", tmp_path / "out")
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith("error: ") and "st.csv" in message and "tourism" in message
    assert "Traceback" not in message and len(message.splitlines()) == 1
    (tmp_path / "in" / "st.csv").unlink()
    result = _run(tmp_path / "in", tmp_path / "out")
    assert result.exit_code == 1 and "st.csv: file not found" in result.output
