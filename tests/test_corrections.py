"""Analyst corrections on few-line tables: each rule kind, stale rules, contradictions, reruns."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.corrections import apply_speaker_corrections, parse_corrections, statement_hash
from pipeline.corrections.themes import apply_theme_corrections
from pipeline.corrections.keys import StatementRef, locate, normalise_text
from pipeline.errors import InputError

R = "r1"
TEXTS = [
    "Welcome everyone, thank you for joining.",
    "Cooperatives cannot get loans without collateral.",
    "The new law on cooperatives must pass this year.",
    "Thank you.",
    "Our credit union lends to farmers.",
    "Thank you.",
]
THEMES = ("financing", "legislation", "procedural")


def statements(texts: list[str] = TEXTS, first_line: int = 10) -> pd.DataFrame:
    speakers = ["Ana Ruiz", "Ana Ruiz", "Bo Lee", "Bo Lee", "Carla", "Ana Ruiz"]
    roles = ["moderator", "moderator", "panelist", "panelist", "audience", "moderator"]
    rows = []
    for i, text in enumerate(texts):
        rows.append({
            "report_id": R, "statement_id": f"{R}:{i + 1:04d}", "seq": i + 1, "section": "key_points",
            "speaker": speakers[i % len(speakers)], "role": roles[i % len(roles)], "speaker_label": speakers[i % len(speakers)].upper(),
            "text": text, "line_start": first_line + 2 * i, "line_end": first_line + 2 * i, "page": pd.NA,
            "source_lines": str(first_line + 2 * i),
        })
    return pd.DataFrame(rows)


def speakers_table() -> pd.DataFrame:
    return pd.DataFrame([
        {"report_id": R, "speaker": "Ana Ruiz", "role": "moderator", "affiliation": "OECD", "aliases": "ANA RUIZ", "n_statements": 3},
        {"report_id": R, "speaker": "Bo Lee", "role": "panelist", "affiliation": "ILO", "aliases": "BO LEE", "n_statements": 2},
        {"report_id": R, "speaker": "Carla", "role": "audience", "affiliation": "", "aliases": "CARLA", "n_statements": 1},
        {"report_id": R, "speaker": "Dan Silent", "role": "panelist", "affiliation": "UN", "aliases": "", "n_statements": 0},
    ])


def themed(st: pd.DataFrame) -> pd.DataFrame:
    primary = ["procedural", "financing", "legislation", "procedural", "financing", "procedural"]
    out = st[["statement_id", "report_id", "speaker", "role", "section", "text"]].copy()
    n = len(st)
    cycle = lambda values: [values[i % len(values)] for i in range(n)]  # noqa: E731
    out["topic"] = cycle([0, 1, 2, 0, 1, 0])
    out["topic_label"] = out["topic"].map({0: "thanks", 1: "credit, loans", 2: "law"})
    out["theme"] = cycle(primary)
    out["theme_score"] = 0.5
    out["themes"] = cycle(["procedural", "financing; legislation", "legislation", "procedural", "financing", "procedural"])
    return out


def topics_table() -> pd.DataFrame:
    return pd.DataFrame({"topic": [0, 1, 2], "label": ["thanks", "credit, loans", "law"],
                         "top_words": ["thank; welcome", "credit; loans; union", "law; cooperatives"], "size": [3, 2, 1],
                         "representative_statements": ["", "", ""], "theme": ["procedural", "financing", "legislation"],
                         "theme_share": [1.0, 1.0, 1.0]})


def ref(i: int, texts: list[str] = TEXTS, line: int | None = None) -> dict[str, object]:
    out: dict[str, object] = {"report": R, "hash": statement_hash(texts[i]), "text": texts[i]}
    if line is not None:
        out["line"] = line
    return out


def by_id(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("statement_id")


def labels_doc() -> dict[str, object]:
    return {"topics": {"0": {"label": "thanks", "theme": "procedural"}, "1": {"label": "credit, loans", "theme": "financing"},
                       "2": {"label": "law", "theme": "legislation"}}}


def apply_themes(rules: dict[str, object], st: pd.DataFrame | None = None):
    st = statements() if st is None else st
    mapping = lambda topics, primary: {int(t): p for t, p in zip(topics, primary)}  # noqa: E731 (last statement wins)
    return apply_theme_corrections(themed(st), topics_table(), labels_doc(), parse_corrections(rules, "c.yaml"), THEMES,
                                   line_start=st.set_index("statement_id")["line_start"], topic_mapping=mapping)


# --- identity ---------------------------------------------------------------------------------


def test_hash_ignores_case_punctuation_bullets_and_wrapping() -> None:
    assert statement_hash("- Cooperatives  cannot get\nloans, without collateral!") == statement_hash(TEXTS[1])
    assert statement_hash("Cooperatives can get loans without collateral.") != statement_hash(TEXTS[1])
    assert normalise_text("«Économie» SOCIALE") == "économie sociale"


def test_identical_texts_are_told_apart_by_the_line_hint() -> None:
    st = statements()
    assert locate(StatementRef(R, statement_hash("Thank you."), 21), st).statement_ids == ("r1:0006",)
    assert locate(StatementRef(R, statement_hash("Thank you."), 15), st).statement_ids == ("r1:0004",)
    assert locate(StatementRef(R, statement_hash("Thank you.")), st).statement_ids == ("r1:0004", "r1:0006")


# --- speaker rules ---------------------------------------------------------------------------


def test_statement_rule_sets_speaker_and_role_and_marks_the_row() -> None:
    rules = parse_corrections({"speakers": [{"statement": ref(2), "speaker": "Carla", "role": "audience"}]}, "c.yaml")
    fixed = apply_speaker_corrections(statements(), speakers_table(), rules)
    row = by_id(fixed.statements).loc["r1:0003"]
    assert (row["speaker"], row["role"], row["corrected_by"]) == ("Carla", "audience", "analyst")
    assert (fixed.statements["corrected_by"] == "analyst").sum() == 1
    counts = fixed.speakers.set_index("speaker")["n_statements"]
    assert counts["Carla"] == 2 and counts["Bo Lee"] == 1
    assert [o.status for o in fixed.outcomes] == ["applied"]


def test_label_rule_moves_every_statement_under_the_label_to_a_new_person() -> None:
    rules = parse_corrections({"speakers": [{"label": "carla", "report": R, "speaker": "Carla Gómez", "role": "panelist"}]}, "c.yaml")
    fixed = apply_speaker_corrections(statements(), speakers_table(), rules)
    row = by_id(fixed.statements).loc["r1:0005"]
    assert (row["speaker"], row["role"]) == ("Carla Gómez", "panelist")
    people = fixed.speakers.set_index("speaker")
    assert "Carla" not in people.index  # a body person whose every statement moved is dropped
    assert people.loc["Carla Gómez", "n_statements"] == 1 and people.loc["Carla Gómez", "aliases"] == "CARLA"
    assert "Dan Silent" in people.index  # a listed person who never speaks stays


def test_merge_rule_folds_a_person_into_another_with_aliases_and_role() -> None:
    rules = parse_corrections({"speakers": [{"merge": "Carla", "into": "Ana Ruiz"}]}, "c.yaml")
    fixed = apply_speaker_corrections(statements(), speakers_table(), rules)
    row = by_id(fixed.statements).loc["r1:0005"]
    assert (row["speaker"], row["role"], row["corrected_by"]) == ("Ana Ruiz", "moderator", "analyst")
    people = fixed.speakers.set_index("speaker")
    assert "Carla" not in people.index
    assert people.loc["Ana Ruiz", "n_statements"] == 4 and people.loc["Ana Ruiz", "aliases"] == "ANA RUIZ; CARLA"
    assert fixed.outcomes[0].statement_ids == ("r1:0005",)


def test_no_rules_change_nothing_but_add_the_identity_columns() -> None:
    fixed = apply_speaker_corrections(statements(), speakers_table(), parse_corrections(None))
    pd.testing.assert_frame_equal(fixed.statements.drop(columns=["text_hash", "corrected_by"]), statements())
    assert set(fixed.statements["corrected_by"]) == {""}
    pd.testing.assert_frame_equal(fixed.speakers, speakers_table())


# --- theme and topic rules ---------------------------------------------------------------------


def test_theme_rule_moves_the_statement_and_keeps_the_machine_answer() -> None:
    fixed = apply_themes({"themes": [{"statement": ref(1), "theme": "legislation"}]})
    row = by_id(fixed.statement_themes).loc["r1:0002"]
    assert (row["theme"], row["themes"], row["theme_score"]) == ("legislation", "legislation", 1.0)
    assert (row["machine_theme"], row["machine_themes"], row["corrected_by"]) == ("financing", "financing; legislation", "analyst")
    assert (fixed.statement_themes["corrected_by"] == "analyst").sum() == 1


def test_also_and_never_add_and_remove_themes() -> None:
    fixed = apply_themes({"themes": [{"statement": ref(4), "also": ["legislation"]},
                                     {"statement": ref(1), "never": "financing"}]})
    st = by_id(fixed.statement_themes)
    assert (st.loc["r1:0005", "theme"], st.loc["r1:0005", "themes"]) == ("financing", "financing; legislation")
    assert (st.loc["r1:0002", "theme"], st.loc["r1:0002", "themes"]) == ("legislation", "legislation")
    only = apply_themes({"themes": [{"statement": ref(2), "never": ["legislation"]}]})
    assert by_id(only.statement_themes).loc["r1:0003", ["theme", "themes"]].tolist() == ["other", "other"]


def test_topic_rules_name_and_merge_topics_in_every_table() -> None:
    fixed = apply_themes({"topics": [{"topic": 1, "name": "Cooperative credit", "words": ["credit"]},
                                     {"merge": [2, 1], "into": 1}]})
    st, tp = by_id(fixed.statement_themes), fixed.topics.set_index("topic")
    assert st.loc["r1:0003", "topic"] == 1 and st.loc["r1:0003", "topic_label"] == "Cooperative credit"
    assert list(tp.index) == [0, 1] and tp.loc[1, "size"] == 3 and tp.loc[1, "label"] == "Cooperative credit"
    assert fixed.labels["topics"]["1"]["label"] == "Cooperative credit" and "2" not in fixed.labels["topics"]
    assert [o.status for o in fixed.outcomes] == ["applied", "applied"]


def test_a_topic_whose_words_changed_is_stale_not_renamed() -> None:
    fixed = apply_themes({"topics": [{"topic": 1, "name": "Legal reform", "words": ["parliament", "bill"]}]})
    assert fixed.topics.set_index("topic").loc[1, "label"] == "credit, loans"
    assert fixed.outcomes[0].status == "stale"


def test_a_renumbered_topic_is_found_by_its_words() -> None:
    """The rule was written when the law topic was number 1; this run numbers it 2."""
    fixed = apply_themes({"topics": [{"topic": 1, "name": "Law reform", "words": ["law", "parliament"]}]})
    tp = fixed.topics.set_index("topic")
    assert tp.loc[2, "label"] == "Law reform" and tp.loc[1, "label"] == "credit, loans"
    assert fixed.outcomes[0].status == "applied_by_text" and fixed.outcomes[0].statement_ids == ("r1:0003",)


def test_merge_applies_after_label_and_statement_rules() -> None:
    rules = parse_corrections({"speakers": [{"merge": "Carla G.", "into": "Bo Lee"},
                                            {"label": "CARLA", "speaker": "Carla G."}]}, "c.yaml")
    fixed = apply_speaker_corrections(statements(), speakers_table(), rules)
    row = by_id(fixed.statements).loc["r1:0005"]
    assert (row["speaker"], row["role"]) == ("Bo Lee", "panelist")
    assert set(fixed.speakers["speaker"]) == {"Ana Ruiz", "Bo Lee", "Dan Silent"}
    assert [o.statement_ids for o in fixed.outcomes] == [("r1:0005",), ("r1:0005",)]


def test_unknown_theme_is_an_error_naming_the_rule() -> None:
    with pytest.raises(InputError, match=r"c.yaml: themes\[1\]: theme 'finance' is not in the codebook"):
        apply_themes({"themes": [{"statement": ref(1), "theme": "finance"}]})


# --- stale rules and contradictions ------------------------------------------------------------


def test_a_rule_that_matches_nothing_is_reported_stale() -> None:
    gone = {"report": R, "hash": statement_hash("Something nobody said."), "line": 3, "text": "Something nobody said."}
    rules = parse_corrections({"speakers": [{"statement": gone, "speaker": "Bo Lee"}, {"label": "ZED", "speaker": "Zed"}]}, "c.yaml")
    fixed = apply_speaker_corrections(statements(), speakers_table(), rules)
    assert [(o.rule, o.status, len(o.statement_ids)) for o in fixed.outcomes] == [("speakers[1]", "stale", 0), ("speakers[2]", "stale", 0)]
    themes = apply_themes({"themes": [{"statement": gone, "theme": "financing"}], "topics": [{"topic": 9, "name": "x"}]})
    assert [o.status for o in themes.outcomes] == ["stale", "stale"]


def test_contradictory_statement_rules_name_both() -> None:
    rules = parse_corrections({"speakers": [{"statement": ref(2), "speaker": "Carla"}, {"statement": ref(2, line=14), "speaker": "Ana Ruiz"}]}, "c.yaml")
    with pytest.raises(InputError, match=r"speakers\[1\] contradicts speakers\[2\]: statement r1:0003"):
        apply_speaker_corrections(statements(), speakers_table(), rules)
    with pytest.raises(InputError, match=r"themes\[1\] contradicts themes\[2\]"):
        apply_themes({"themes": [{"statement": ref(1), "theme": "legislation"}, {"statement": ref(1), "never": ["legislation"]}]})


@pytest.mark.parametrize(("rules", "message"), [
    ({"speakers": [{"label": "CARLA", "speaker": "A"}, {"label": "carla", "speaker": "B"}]}, r"speakers\[1\] contradicts speakers\[2\]: label"),
    ({"speakers": [{"merge": "A", "into": "B"}, {"merge": "B", "into": "A"}]}, r"speakers\[1\] contradicts speakers\[2\]"),
    ({"topics": [{"topic": 1, "name": "x"}, {"topic": 1, "name": "y"}]}, r"topics\[1\] contradicts topics\[2\]"),
    ({"themes": [{"statement": {"report": R, "hash": "0" * 12}, "theme": "a", "never": ["a"]}]}, r"themes\[1\] contradicts itself"),
])
def test_static_contradictions_are_errors_naming_both(rules: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_corrections(rules, "c.yaml")


@pytest.mark.parametrize(("rules", "message"), [
    ([1], r"corrections must be a mapping"),
    ({"speaker": []}, r"unknown section\(s\) speaker"),
    ({"speakers": [{"statement": {"report": R, "hash": "xyz"}, "speaker": "A"}]}, r"'hash' must be 12 hex digits"),
    ({"speakers": [{"label": "A", "merge": "B", "speaker": "C"}]}, r"exactly one of"),
    ({"speakers": [{"statement": {"report": R, "hash": "0" * 12}, "role": "chair"}]}, r"role 'chair' is not one of"),
    ({"themes": [{"statement": {"report": R, "hash": "0" * 12}}]}, r"needs 'theme', 'also' or 'never'"),
    ({"themes": [{"statement": {"report": R, "hash": 1234567}, "theme": "x"}]}, r"'hash' 1234567 was read as a number: write it in quotes"),
    ({"topics": [{"merge": [1, 2], "into": 3}]}, r"'into' must be one of the merged topics"),
])
def test_bad_rules_are_one_line_errors(rules: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_corrections(rules, "c.yaml")


# --- reruns -----------------------------------------------------------------------------------


def test_a_rerun_after_resegmentation_keeps_the_fix() -> None:
    """New statements before it, other ids and lines, a changed wrap and a merge with its neighbour."""
    rules = {"speakers": [{"statement": ref(2, line=14), "speaker": "Carla", "role": "audience"}],
             "themes": [{"statement": ref(4, line=18), "theme": "legislation"}]}
    texts = ["Opening words.", "Agenda of the day."] + TEXTS[:2] + ["The  new law on\ncooperatives must pass this year!"] + TEXTS[3:]
    texts[-2] = TEXTS[4] + " It charges fair interest."  # resegmented: the statement absorbed the next line
    st = statements(texts, first_line=3)
    fixed = apply_speaker_corrections(st, speakers_table(), parse_corrections(rules, "c.yaml"))
    moved = fixed.statements[fixed.statements["corrected_by"] == "analyst"]
    assert moved["statement_id"].tolist() == ["r1:0005"] and moved["speaker"].tolist() == ["Carla"]
    assert fixed.outcomes[0].status == "applied"
    themes = apply_themes(rules, st)
    row = by_id(themes.statement_themes).loc["r1:0007"]
    assert row["theme"] == "legislation" and themes.outcomes[0].status == "applied_by_text"


# --- the contract and the stage hooks ----------------------------------------------------------


def test_tables_written_before_corrections_existed_read_with_defaults() -> None:
    from pipeline.contract import STATEMENT_THEMES, STATEMENTS, validate

    assert set(validate(statements(), STATEMENTS, "old.csv")["corrected_by"]) == {""}
    old = validate(themed(statements()), STATEMENT_THEMES, "old.csv")
    assert old["machine_theme"].tolist() == old["theme"].tolist() and old["machine_themes"].tolist() == old["themes"].tolist()


def test_the_topics_hook_writes_one_report_for_every_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from pipeline.contract import CORRECTIONS_REPORT
    from pipeline.corrections.hooks import apply_speaker_rules
    from pipeline.corrections.theme_hooks import apply_theme_rules
    from pipeline.tableio import read_table

    corrections = tmp_path / "corrections.yaml"
    corrections.write_text(
        "speakers:\n  - {label: CARLA, speaker: Carla Gómez}\n"
        f"themes:\n  - statement: {{report: r1, hash: {statement_hash(TEXTS[1])}, line: 12}}\n    theme: legislation\n"
        "  - statement: {report: r1, hash: \"000000000000\"}\n    never: [financing]\n", encoding="utf-8")
    frames = {tmp_path / "st.csv": statements(), tmp_path / "sp.csv": speakers_table()}
    apply_speaker_rules(frames, tmp_path / "st.csv", tmp_path / "sp.csv", corrections, tmp_path / "seg.csv")
    st = frames[tmp_path / "st.csv"]
    result = SimpleNamespace(statement_themes=themed(st), topics=topics_table(), labels=labels_doc())
    apply_theme_rules(result, st, THEMES, 0.4, corrections, tmp_path / "seg.csv", tmp_path / "report.csv")
    report = read_table(tmp_path / "report.csv", CORRECTIONS_REPORT)
    assert report[["rule", "matched", "status"]].values.tolist() == [
        ["speakers[1]", 1, "applied"], ["themes[1]", 1, "applied"], ["themes[2]", 0, "stale"]]
    out = result.statement_themes.set_index("statement_id")
    assert out.loc["r1:0005", "corrected_by"] == "analyst" and out.loc["r1:0005", "speaker"] == "Carla Gómez"  # from segment
    assert out.loc["r1:0002", ["theme", "machine_theme", "corrected_by"]].tolist() == ["legislation", "financing", "analyst"]
    assert result.topics.set_index("topic").loc[1, "theme"] == "financing"  # mapped again from the corrected statements


def test_text_hashes_keep_the_segment_stages_and_fill_the_rest() -> None:
    """Hashes written by the segment stage are reused (a rerun does not hash 100,000 texts again);
    a missing or empty cell is computed from the text."""
    from pipeline.corrections.keys import text_hashes

    texts = ["Credit unions lend.", "Thank you.", "The law passed."]
    given = pd.DataFrame({"text": texts, "text_hash": ["kept00000000", None, ""]})
    assert text_hashes(given).tolist() == ["kept00000000", statement_hash(texts[1]), statement_hash(texts[2])]
    assert text_hashes(given.drop(columns="text_hash")).tolist() == [statement_hash(t) for t in texts]
    assert text_hashes(given.iloc[0:0]).tolist() == []


def test_segment_tables_carry_each_statements_hash(nlp) -> None:  # type: ignore[no-untyped-def]
    """The segment stage hashes each statement once, as it is segmented (kept with the report in its cache)."""
    from pipeline.contract import STATEMENTS
    from pipeline.segment.lines import SourceLine
    from pipeline.segment.segmenter import SegmentParams, segment_report

    text = "Ana Ruiz: Credit unions lend to members.\n\nBea Key: The law passed.\n\nAna Ruiz: Thank you."
    result = segment_report("r1", [SourceLine(i + 1, line) for i, line in enumerate(text.split("\n"))],
                            nlp=nlp, params=SegmentParams())
    assert list(result.statements.columns) == list(STATEMENTS.column_names)
    assert result.statements["text_hash"].tolist() == [statement_hash(t) for t in result.statements["text"]]
