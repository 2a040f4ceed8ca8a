"""Segment benchmark: speaker turns of real committee meetings in layouts the sample never had.

    .venv/bin/python -m benchmarks.segment_bench [--limit N] [--layouts paragraphs,hearing,vtt]

The 36 meetings of ../shared/corpora/qmsum_committee (QMSum: Canadian House of
Commons COVID-19 committee, Welsh Assembly education committee) carry a gold
speaker label for every utterance. Each meeting is rendered as a user would
receive it, in layouts of our own:

* `paragraphs` (.txt): one paragraph per utterance, "Label: text", blank lines between;
* `hearing` (.txt): a hearing record: the label on its own line ("Mr. X (Riding, Party):",
  "The Chair (Hon. Y (Riding, Lib.)):", "Lynne Neagle AM:"), then the utterance wrapped at
  78 columns;
* `hearing_pdf` (.pdf): the hearing layout printed to PDF by tests/docgen.py (40 lines a page,
  a running footer; blank lines become vertical space, as in a typeset record);
* `vtt` (.vtt): a call transcript: every utterance cut into short cues of 12 words,
  each cue "Label: words" (as Zoom writes them), one after the other;

written to a temporary folder and segmented by the real stage (readers, then
`segment_folder`, params.yaml `segment`). Printed per layout:

* right person: share of utterances all of whose statements (the statements holding any of
  its lines) name the gold person. The gold person is the label without its
  title, post-nominal and parenthesised riding/party; a bare "The Chair" is the
  person the first "The Chair (...)" label of the meeting names; "The Acting
  Chair (Mrs. X)" is X. This reading of the gold is written here, apart from
  the segmenter's own rules;
* statements per utterance;
* text lost: words of utterances that no statement holds (word multiset difference).

Empty utterances (a few in QMSum) are left out of the rendering.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import textwrap
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the repository (a fresh clone); a git worktree sits one level deeper.
VARIANTS = REPO / "tests" / "fixtures" / "segment_variants"
DEFAULT_CORPUS = next(
    (p / "shared" / "corpora" / "qmsum_committee" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()),
    REPO.parent / "shared" / "corpora" / "qmsum_committee",
)
LAYOUTS = ("paragraphs", "hearing", "vtt", "hearing_pdf")
CUE_WORDS = 12

log = logging.getLogger("benchmarks.segment_bench")

_GOLD_TITLES = {"hon", "right", "the", "honourable", "mr", "mrs", "ms", "dr", "professor", "prof"}
_GOLD_POSTNOMINALS = {"am", "ms", "mp", "mla", "msp"}


@dataclass(frozen=True)
class Utterance:
    label: str
    person: str
    text: str


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _strip_parens(label: str) -> tuple[str, str]:
    """'The Chair (Hon. A (B, Lib.))' -> ('The Chair', 'Hon. A (B, Lib.)')."""
    start = label.find("(")
    if start < 0:
        return label.strip(), ""
    depth, inner = 0, ""
    for i in range(start, len(label)):
        depth += {"(": 1, ")": -1}.get(label[i], 0)
        if depth == 0:
            inner = label[start + 1 : i]
            break
    return label[:start].strip(), inner.strip()


def _bare_person(name: str) -> str:
    words = [w for w in name.replace(".", ". ").split()]
    while words and _fold(words[0]).strip(".") in _GOLD_TITLES:
        words = words[1:]
    while len(words) > 1 and _fold(words[-1]).strip(".") in _GOLD_POSTNOMINALS:
        words = words[:-1]
    return " ".join(words)


def gold_utterances(meeting: dict) -> list[Utterance]:
    """Utterances with the gold person (see the module docstring)."""
    chairs: dict[str, str] = {}
    out: list[Utterance] = []
    for item in meeting["meeting_transcripts"]:
        label, text = " ".join(item["speaker"].split()), " ".join(item["content"].split())
        if not text:
            continue
        head, inner = _strip_parens(label)
        if "chair" in _fold(head).split():
            role = _fold(head)
            if inner:
                chairs.setdefault(role, _bare_person(_strip_parens(inner)[0]))
            person = chairs.get(role, "")
        else:
            person = _bare_person(head)
        out.append(Utterance(label, person, text))
    return out


def render(utterances: list[Utterance], layout: str, title: str) -> tuple[str, list[tuple[int, int]]]:
    """The document text and, per utterance, its (first, last) line number (1-based)."""
    lines: list[str] = []
    spans: list[tuple[int, int]] = []
    if layout == "vtt":
        lines += ["WEBVTT", ""]
        cue = 0
        for u in utterances:
            words = u.text.split()
            first = len(lines) + 3
            for i in range(0, len(words), CUE_WORDS):
                cue += 1
                start, end = (cue - 1) * 3.0, cue * 3.0
                lines += [str(cue), f"{_ts(start)} --> {_ts(end)}", f"{u.label}: {' '.join(words[i:i + CUE_WORDS])}", ""]
            spans.append((first, len(lines) - 1))
        return "\n".join(lines) + "\n", spans
    lines += [title, ""]
    for u in utterances:
        if layout == "paragraphs":
            lines.append(f"{u.label}: {u.text}")
            spans.append((len(lines), len(lines)))
        else:
            lines.append(f"{u.label}:")
            first = len(lines) + 1
            lines += textwrap.wrap(u.text, 78, break_long_words=False, break_on_hyphens=False)
            spans.append((first, len(lines)))
        lines.append("")
    return "\n".join(lines) + "\n", spans


def _ts(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


@dataclass
class Score:
    utterances: int = 0
    right: int = 0
    statements: int = 0
    words: int = 0
    lost_words: int = 0
    seconds: float = 0.0

    def add(self, other: Score) -> None:
        for name in ("utterances", "right", "statements", "words", "lost_words"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def score(utterances: list[Utterance], spans: list[tuple[int, int]], statements, errors: list[str] | None = None) -> Score:
    by_line: dict[int, list[int]] = {}
    rows = list(statements.itertuples())
    for index, row in enumerate(rows):
        for n in str(row.source_lines).split():
            by_line.setdefault(int(n), []).append(index)
    result = Score(utterances=len(utterances), statements=len(rows))
    for u, (first, last) in zip(utterances, spans):
        held = sorted({i for n in range(first, last + 1) for i in by_line.get(n, [])})
        if held and all(_fold(rows[i].speaker) == _fold(u.person) for i in held):
            result.right += 1
        elif errors is not None:
            got = "; ".join(sorted({str(rows[i].speaker) for i in held}))
            errors.append(f"{u.label!r} -> gold {u.person!r}, got {got!r}: {u.text[:80]!r}")
        words = Counter(u.text.split())
        kept = Counter(w for i in held for w in str(rows[i].text).split())
        result.words += sum(words.values())
        result.lost_words += sum((words - kept).values())
    return result


def score_variants(folder: Path, nlp, params) -> list[tuple[str, int, int, int, int]]:
    """(file, gold statements, right, statements found, fused) for each fixture with a `.gold.json` beside it.

    The gold lists (speaker, the opening words of the statement) in order; a gold statement
    is right when the first statement, after the previous match, holding those words names
    that speaker; it is fused when that statement also holds the gold statement before it.
    Each text fixture is also printed to PDF twice (a line per paragraph; wrapped at 90 characters).
    """
    with tempfile.TemporaryDirectory(prefix="segment_variants_") as tmp_dir:
        return _score_variants_in(folder, Path(tmp_dir), nlp, params)


def _score_variants_in(folder: Path, tmp: Path, nlp, params) -> list[tuple[str, int, int, int, int]]:
    from pipeline.segment.readers import read_report
    from pipeline.segment.segmenter import segment_report

    out = []
    for gold_path in sorted(folder.glob("*.gold.json")):
        stem = gold_path.name[: -len(".gold.json")]
        paths = sorted(p for p in folder.iterdir() if p.stem == stem and not p.name.endswith(".json"))
        paths += [_as_pdf(p, tmp, wrap) for p in paths if p.suffix == ".txt" for wrap in (0, 90)]
        for path in paths:
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
            result = segment_report(stem, read_report(path), nlp=nlp, params=params)
            rows = list(result.statements.itertuples())
            right, start, fused = 0, 0, 0
            matched: set[int] = set()
            for speaker, snippet in gold:
                for i in range(start, len(rows)):
                    if _fold(snippet) in _fold(str(rows[i].text)):
                        right += _fold(str(rows[i].speaker)) == _fold(speaker)
                        fused += i in matched
                        matched.add(i)
                        start = i
                        break
            out.append((path.name, len(gold), right, len(rows), fused))
    return out


_PDF_LINES_PER_PAGE = 40


def _pdf_spans(text: str, spans: list[tuple[int, int]], path: Path) -> list[tuple[int, int]]:
    """Print `text` to PDF and map each utterance's lines to the lines the PDF reader gives back.

    The reader's lines are matched to the text's non-blank lines in order (footers and page
    numbers in between are skipped), so the scoring sees the utterance where the reader put it.
    """
    import sys

    sys.path.insert(0, str(REPO / "tests"))
    from docgen import make_pdf

    from pipeline.segment.readers import read_report

    lines = text.split("\n")
    make_pdf(lines, path, footer="House of Commons committee - unofficial record", lines_per_page=_PDF_LINES_PER_PAGE)
    read = [line for line in read_report(path) if line.text.strip()]
    where: dict[int, int] = {}
    cursor = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        while cursor < len(read) and " ".join(read[cursor].text.split()) != " ".join(line.split()):
            cursor += 1
        if cursor < len(read):
            where[number] = read[cursor].line_no
            cursor += 1
    return [(where.get(first, -1), where.get(last, -1)) for first, last in spans]


def _as_pdf(path: Path, folder: Path, wrap: int) -> Path:
    """The text report printed to PDF by tests/docgen.py (blank lines become space, as in real PDFs),
    its lines first wrapped at `wrap` characters as a typeset page would (0: a line per paragraph)."""
    import sys

    sys.path.insert(0, str(REPO / "tests"))
    from docgen import make_pdf

    lines = path.read_text(encoding="utf-8").split("\n")
    if wrap:
        lines = [part for line in lines for part in (textwrap.wrap(line, wrap) or [""])]
    name = f"{path.stem}.wrapped{wrap}.pdf" if wrap else f"{path.stem}.pdf"
    return make_pdf(lines, folder / name, footer="Global Social Economy Forum - report", lines_per_page=20)


def run(corpus: Path, layouts: tuple[str, ...], limit: int | None, show_errors: int = 0) -> dict[str, Score]:
    import spacy

    from pipeline.params import load_section
    from pipeline.segment.cli import segment_folder
    from pipeline.segment.segmenter import SegmentParams

    params = load_section(REPO / "params.yaml", "segment", SegmentParams)
    nlp = spacy.load(params.spacy_model)
    paths = sorted(corpus.glob("*.json"))[:limit]
    if not paths:
        raise SystemExit(f"error: {corpus}: no meeting (*.json) found")
    scores = {layout: Score() for layout in layouts}
    for layout in layouts:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            rendered = {}
            for path in paths:
                utterances = gold_utterances(json.loads(path.read_text(encoding="utf-8")))
                title = f"Committee meeting {path.stem.replace('_', ' ')}"
                text, spans = render(utterances, "hearing" if layout == "hearing_pdf" else layout, title)
                if layout == "hearing_pdf":
                    spans = _pdf_spans(text, spans, Path(tmp) / f"{path.stem}.pdf")
                else:
                    suffix = ".vtt" if layout == "vtt" else ".txt"
                    (Path(tmp) / f"{path.stem}{suffix}").write_text(text, encoding="utf-8")
                rendered[path.stem] = (utterances, spans)
            results, errors = segment_folder(Path(tmp), params, nlp)
            for problem in errors.itertuples():
                log.warning("%s: %s", problem.file, problem.problem)
            for result in results:
                report_id = str(result.statements["report_id"].iloc[0]) if len(result.statements) else ""
                utterances, spans = rendered[report_id]
                errors: list[str] = []
                scores[layout].add(score(utterances, spans, result.statements, errors))
                for error in errors[:show_errors]:
                    log.warning("%s %s: %s", layout, report_id, error)
        scores[layout].seconds = time.perf_counter() - started
    return scores


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--limit", type=int, default=None, help="first N meetings only")
    parser.add_argument("--variants", action="store_true", help="score the report variants in tests/fixtures instead")
    parser.add_argument("--show-errors", type=int, default=0, help="log up to N wrong utterances per meeting")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    layouts = tuple(x for x in args.layouts.split(",") if x)
    unknown = set(layouts) - set(LAYOUTS)
    if unknown:
        raise SystemExit(f"error: --layouts: unknown {sorted(unknown)}; known: {', '.join(LAYOUTS)}")
    if args.variants:
        import spacy

        from pipeline.params import load_section
        from pipeline.segment.segmenter import SegmentParams

        params = load_section(REPO / "params.yaml", "segment", SegmentParams)
        print("| Report variant | Gold statements | Right person | Statements found | Fused with the one before |")
        print("|---|---|---|---|---|")
        for name, n, right, found, fused in score_variants(VARIANTS, spacy.load(params.spacy_model), params):
            print(f"| {name} | {n} | {right / n:.1%} | {found} | {fused} |")
        return
    scores = run(args.corpus, layouts, args.limit, args.show_errors)
    print(f"| Layout | Utterances | Right person | Statements per utterance | Words lost | Seconds |")
    print("|---|---|---|---|---|---|")
    for layout, s in scores.items():
        right = s.right / s.utterances if s.utterances else 0.0
        per = s.statements / s.utterances if s.utterances else 0.0
        print(f"| {layout} | {s.utterances} | {right:.1%} | {per:.3f} | {s.lost_words} of {s.words} | {s.seconds:.0f} |")


if __name__ == "__main__":
    main()
