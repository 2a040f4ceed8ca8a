"""Theme and topic rules, applied by the topics stage to statement_themes.csv and topics.csv.

Topic rules first (merge, then name), then theme rules, then each topic's
theme is mapped again from the corrected statements, so topics.csv agrees.
statement_themes.csv keeps the machine's answer beside the corrected one
(`machine_theme`, `machine_themes`) so the evaluate stage can score both.

A theme rule's `theme: T` makes T the statement's theme (its only one, with
`also`); `also` adds themes; `never` removes them (the next remaining theme,
or `other`, becomes primary). A theme the analyst sets scores 1.0; a theme
the machine chose keeps its score.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.codebook import OTHER
from pipeline.corrections.keys import locate, text_hashes
from pipeline.corrections.outcome import APPLIED, APPLIED_BY_TEXT, STALE, RuleOutcome
from pipeline.corrections.rules import Corrections, ThemeRule, TopicRule, contradiction
from pipeline.errors import InputError

ANALYST = "analyst"
SEP = "; "


@dataclass
class ThemeCorrection:
    statement_themes: pd.DataFrame
    topics: pd.DataFrame
    labels: dict[str, Any]
    outcomes: list[RuleOutcome]


def check_theme_ids(corrections: Corrections, theme_ids: tuple[str, ...]) -> None:
    """Every theme a rule names is in the codebook (or `other`)."""
    known = set(theme_ids) | {OTHER}
    for rule in corrections.themes:
        unknown = [t for t in rule.theme_ids() if t not in known]
        if unknown:
            raise InputError(corrections.source, f"{rule.rule}: theme '{unknown[0]}' is not in the codebook "
                                                 f"(known: {', '.join(theme_ids)}, {OTHER})")


def apply_theme_corrections(
    statement_themes: pd.DataFrame,
    topics: pd.DataFrame,
    labels: dict[str, Any],
    corrections: Corrections,
    theme_ids: tuple[str, ...],
    *,
    line_start: pd.Series | None = None,
    corrected_speakers: pd.Series | None = None,
    known_hashes: pd.Series | None = None,
    topic_mapping: Any = None,
) -> ThemeCorrection:
    """Apply topic and theme rules; returns the corrected tables, the model's labels and one outcome per rule.

    `line_start` (by statement_id) gives the line hints something to match;
    `corrected_speakers` (by statement_id) carries the segment stage's
    `corrected_by`; `known_hashes` (by statement_id) the statements' `text_hash`,
    computed here where absent; `topic_mapping(topics, primary) -> {topic: theme}` maps
    topics to themes again after the corrections (None keeps the mapping).
    """
    check_theme_ids(corrections, theme_ids)
    st = statement_themes.copy().reset_index(drop=True)
    st["machine_theme"] = st["theme"].astype(str)
    st["machine_themes"] = st["themes"].astype(str)
    by_id = st["statement_id"].astype(str)
    if known_hashes is not None:
        st["text_hash"] = by_id.map(known_hashes).to_numpy()
    st["text_hash"] = text_hashes(st)
    if corrected_speakers is not None:
        st["corrected_by"] = by_id.map(corrected_speakers).fillna("").astype(str).to_numpy()
    elif "corrected_by" not in st.columns:
        st["corrected_by"] = ""
    tp = topics.copy().reset_index(drop=True)
    labels = copy.deepcopy(labels)
    outcomes = [_apply_topic_rule(r, st, tp, labels) for r in corrections.topics if r.kind == "merge"]
    outcomes += [_apply_topic_rule(r, st, tp, labels) for r in corrections.topics if r.kind == "name"]
    tp = tp[tp["topic"].isin(set(st["topic"].astype(int))) | (tp["size"] == 0)].reset_index(drop=True)
    lookup = st[["report_id", "statement_id", "text"]].copy()
    lookup["line_start"] = by_id.map(line_start).to_numpy() if line_start is not None else pd.NA
    resolved: dict[str, list[ThemeRule]] = {}
    for rule in corrections.themes:
        match = locate(rule.ref, lookup)
        for sid in match.statement_ids:
            for other in resolved.setdefault(sid, []):
                _check_pair(corrections.source, other, rule, sid)
            resolved[sid].append(rule)
        for sid in match.statement_ids:
            i = int(st.index[by_id == sid][0])
            _apply_theme_rule(st, i, rule)
        status = STALE if not match.statement_ids else (APPLIED_BY_TEXT if match.how == "text" else APPLIED)
        change = ", ".join(x for x in (f"theme {rule.theme}" if rule.theme else "",
                                       f"also {' '.join(rule.also)}" if rule.also else "",
                                       f"never {' '.join(rule.never)}" if rule.never else "") if x)
        outcomes.append(RuleOutcome(rule.rule, "theme", f"statement {rule.ref.describe()}", change, match.statement_ids, status))
    if topic_mapping is not None and len(tp):
        _remap_topics(st, tp, labels, topic_mapping)
    return ThemeCorrection(st, tp, labels, outcomes)


def _check_pair(source: str, a: ThemeRule, b: ThemeRule, sid: str) -> None:
    if a.theme and b.theme and a.theme != b.theme:
        raise contradiction(source, a.rule, b.rule, f"statement {sid} has theme '{a.theme}' and '{b.theme}'")
    for x, y in ((a, b), (b, a)):
        clash = sorted(set((x.theme, *x.also)) & set(y.never))
        if clash:
            raise contradiction(source, a.rule, b.rule, f"statement {sid}: theme '{clash[0]}' is given and 'never'")


def _apply_theme_rule(st: pd.DataFrame, i: int, rule: ThemeRule) -> None:
    current = [t for t in str(st.at[i, "themes"]).split(SEP) if t and t != OTHER]
    if rule.theme:
        themes = [rule.theme, *rule.also]
    else:
        themes = current + [t for t in rule.also if t not in current]
    themes = [t for t in dict.fromkeys(themes) if t not in rule.never]
    if len(themes) > 1:
        themes = [t for t in themes if t != OTHER]
    primary = themes[0] if themes else OTHER
    if primary != st.at[i, "theme"]:
        st.at[i, "theme_score"] = 1.0
    st.at[i, "theme"] = primary
    st.at[i, "themes"] = SEP.join(themes) if themes else OTHER
    st.at[i, "corrected_by"] = ANALYST


def _words(tp: pd.DataFrame, topic: int) -> set[str]:
    rows = tp[tp["topic"] == topic]
    if not len(rows):
        return set()
    return {w.strip().casefold() for w in str(rows["top_words"].iloc[0]).split(";") for w in (w, *w.split()) if w.strip()}


def _topic_by_words(tp: pd.DataFrame, words: tuple[str, ...], taken: set[int]) -> int | None:
    """The topic whose top words share most of `words` (ties: the lowest number); None when none shares any."""
    best, best_n = None, 0
    for topic in sorted(int(t) for t in tp["topic"] if int(t) >= 0 and int(t) not in taken):
        n = len(set(words) & _words(tp, topic))
        if n > best_n:
            best, best_n = topic, n
    return best


def _apply_topic_rule(rule: TopicRule, st: pd.DataFrame, tp: pd.DataFrame, labels: dict[str, Any]) -> RuleOutcome:
    present = [t for t in rule.topics if (tp["topic"] == t).any()]
    words_ok = not rule.words or any(set(rule.words) & _words(tp, t) for t in present)
    status = APPLIED
    if rule.kind == "name":
        topic = rule.topics[0]
        if rule.words and not words_ok:  # topics are renumbered by a rerun: follow the words
            found = _topic_by_words(tp, rule.words, set())
            if found is not None:
                topic, present, words_ok, status = found, [found], True, APPLIED_BY_TEXT
        target, change, kind = f"topic {rule.topics[0]}", f"named '{rule.name}'", "topic_name"
        if topic != rule.topics[0]:
            target += f" (now topic {topic}, by its words)"
        ok = bool(present) and words_ok
        mask = st["topic"].astype(int) == topic
        if ok:
            st.loc[mask, "topic_label"] = rule.name
            tp.loc[tp["topic"] == topic, "label"] = rule.name
            labels.setdefault("topics", {}).get(str(topic), {})["label"] = rule.name
    else:
        into = int(rule.into) if rule.into is not None else rule.topics[0]
        target, change, kind = f"topics {' '.join(map(str, rule.topics))}", f"merged into {into}", "topic_merge"
        ok = len(present) >= 2 and into in present and words_ok
        mask = st["topic"].astype(int).isin(rule.topics)
        if ok:
            name = rule.name or str(tp.loc[tp["topic"] == into, "label"].iloc[0])
            st.loc[mask, "topic"] = into
            st.loc[mask, "topic_label"] = name
            st.loc[mask, "corrected_by"] = ANALYST
            size = int(tp.loc[tp["topic"].isin(rule.topics), "size"].sum())
            tp.drop(tp.index[tp["topic"].isin([t for t in rule.topics if t != into])], inplace=True)
            tp.loc[tp["topic"] == into, ["label", "size"]] = [name, size]
            tp.reset_index(drop=True, inplace=True)
            topics_doc = labels.setdefault("topics", {})
            for t in rule.topics:
                if t != into:
                    topics_doc.pop(str(t), None)
            topics_doc.get(str(into), {})["label"] = name
    ids = tuple(st.loc[mask, "statement_id"].astype(str)) if ok else ()
    return RuleOutcome(rule.rule, kind, target, change, ids, status if ok else STALE)


def _remap_topics(st: pd.DataFrame, tp: pd.DataFrame, labels: dict[str, Any], topic_mapping: Any) -> None:
    mapping = topic_mapping(st["topic"].astype(int).to_numpy(), st["theme"].astype(str).tolist())
    for j in tp.index:
        topic = int(tp.at[j, "topic"])
        if topic not in mapping:
            continue
        theme = mapping[topic]
        members = st[st["topic"].astype(int) == topic]
        tp.at[j, "theme"] = theme
        if "theme_share" in tp.columns:
            tp.at[j, "theme_share"] = round(float((members["theme"] == theme).mean()), 6) if len(members) else 0.0
        doc = labels.get("topics", {}).get(str(topic))
        if isinstance(doc, dict):
            doc["theme"] = theme
