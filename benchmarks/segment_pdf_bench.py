"""PDF paragraph breaks: pypdf's plain extraction against its layout mode, through the segmenter.

    .venv/bin/python -m benchmarks.segment_pdf_bench [--limit N]

The committee meetings of ../shared/corpora/qmsum_committee are written as a
hearing record whose turns hold several paragraphs (three sentences each,
wrapped at 78 columns, a blank line between them: vertical space once printed)
and printed to PDF by tests/docgen.py. Printed: per extraction mode, how many
paragraphs come out as exactly one statement. A text layer has no blank line;
layout mode turns the vertical gap back into one, the plain mode leaves only
the reflow rule of `pipeline.segment.paragraphs` to find the break.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import textwrap
from pathlib import Path

from benchmarks.segment_bench import DEFAULT_CORPUS, REPO, gold_utterances

_SENTENCE_RE = re.compile(r"(?<=[.?!])\s+(?=[A-Z])")
_SENTENCES_PER_PARAGRAPH = 3


def _record(meeting: dict) -> tuple[list[str], list[str]]:
    lines, paragraphs = ["Committee meeting", ""], []
    for u in gold_utterances(meeting):
        sentences = _SENTENCE_RE.split(u.text)
        lines.append(f"{u.label}:")
        for i in range(0, len(sentences), _SENTENCES_PER_PARAGRAPH):
            paragraph = " ".join(sentences[i : i + _SENTENCES_PER_PARAGRAPH])
            lines += [*textwrap.wrap(paragraph, 78), ""]
            paragraphs.append(paragraph)
    return lines, paragraphs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    import spacy

    import pipeline.segment.readers.pdf as pdf_reader
    from pipeline.params import load_section
    from pipeline.segment.readers import read_report
    from pipeline.segment.segmenter import SegmentParams, segment_report

    sys.path.insert(0, str(REPO / "tests"))
    from docgen import make_pdf

    params = load_section(REPO / "params.yaml", "segment", SegmentParams)
    nlp = spacy.load(params.spacy_model)
    modes = {"plain": lambda page: page.extract_text() or "", "layout": pdf_reader._page_text}
    with tempfile.TemporaryDirectory() as tmp:
        docs = []
        for path in sorted(args.corpus.glob("*.json"))[: args.limit]:
            lines, paragraphs = _record(json.loads(path.read_text(encoding="utf-8")))
            docs.append((make_pdf(lines, Path(tmp) / f"{path.stem}.pdf", footer="Committee record", lines_per_page=40), paragraphs))
        print("| pypdf mode | Paragraphs | Statements | Paragraphs that are exactly one statement |")
        print("|---|---|---|---|")
        original = pdf_reader._page_text
        try:
            for name, extract in modes.items():
                pdf_reader._page_text = extract
                total = statements = exact = 0
                for pdf, paragraphs in docs:
                    result = segment_report(pdf.stem, read_report(pdf), nlp=nlp, params=params)
                    texts = {" ".join(t.split()) for t in result.statements["text"]}
                    total += len(paragraphs)
                    statements += len(result.statements)
                    exact += sum(" ".join(p.split()) in texts for p in paragraphs)
                print(f"| {name} | {total} | {statements} | {exact} ({exact / total:.1%}) |")
        finally:
            pdf_reader._page_text = original


if __name__ == "__main__":
    main()
