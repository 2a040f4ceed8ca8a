"""Write the notebooks of this folder, without outputs: `python notebooks/build_notebooks.py`.

The notebooks are generated so they stay small, reviewable and free of stored
outputs; every cell is a line or two calling `pipeline.explore` and
`pipeline.figures`. Edit the cells here, rerun, and commit the .ipynb files.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """from IPython.display import Image, display
from pipeline import explore, figures

p = explore.open_run()  # data/processed of this repository, after `dvc repro`"""


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip())


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(text.strip())


NOTEBOOKS = {
    "01_explore_corpus.ipynb": [
        md("""
# Explore the corpus

Sessions, speakers and roles, how many statements each gave, the speaker × theme
heatmap and the quote bank for one theme. Run `dvc repro` (or `make run`) first.
"""),
        code(SETUP),
        md("## Sessions"),
        code("explore.corpus_overview(p)"),
        md("## Speakers and roles"),
        code('p.speakers[["report_id", "speaker", "role", "affiliation", "n_statements"]]'),
        md("## Statements per role"),
        code("explore.statements_per_role(p)"),
        md("## Speaker × theme\n\nCounts of statements whose main theme is each codebook theme."),
        code("matrix = explore.speaker_theme_matrix(p)\nmatrix"),
        code('Image(figures.png_bytes(figures.heatmap(matrix, title="Statements per speaker and theme")))'),
        md("## The quote bank for one theme\n\nChange `THEME` to any id of `p.themes`."),
        code('print(p.themes)\nTHEME = "financing" if "financing" in p.themes else p.themes[0]'),
        code("explore.quotes_for_theme(p, THEME, limit=10)"),
    ],
    "02_compare_sessions_roles.ipynb": [
        md("""
# Compare sessions and roles

Theme shares per role and per session, who raises financing, legislation and
inequality, which themes of the keynote the panelists took up, and the agenda of
one session (its segments in order).
"""),
        code(SETUP),
        md("## Theme shares per role\n\nShares of each role's substantive statements (greetings and thanks left out)."),
        code("roles = explore.role_theme_shares(p)\nroles.round(2)"),
        code('Image(figures.png_bytes(figures.stacked_shares(roles, title="Theme shares per role", ylabel="role")))'),
        md("## Theme shares per session"),
        code("explore.session_theme_shares(p).round(2)"),
        md("## Who raises financing, legislation, inequality"),
        code('explore.who_raises(p, "financ")'),
        code('explore.who_raises(p, "legislat|law")'),
        code('explore.who_raises(p, "inequal")'),
        md("## What the keynote raised that panelists took up\n\nA theme recurring among panelists, not proof that they answered the keynote."),
        code("explore.keynote_takeup(p)"),
        md("""
## The agenda of one session

The segments stage cuts each session into contiguous parts where the subject
changes: their order, length, main theme and who spoke. Change `SESSION` to any
report id of `p.sessions`.
"""),
        code('SESSION = p.sessions["report_id"].iloc[0]\nexplore.session_segments(p, SESSION)'),
    ],
    "03_topic_model.ipynb": [
        md("""
# Inspect the topic model

The emergent topics BERTopic found, which speakers they come from, how they map
onto the codebook's themes, and what the codebook may be missing. The
interactive charts (topics per class, topic map) are in `data/processed/report/`.
"""),
        code(SETUP),
        md("## Emergent topics"),
        code('p.topics[["topic", "label", "size", "theme", "top_words"]]'),
        code('print(f"statements in no topic (outliers): {explore.outlier_share(p):.1%}")'),
        md("## Topics per speaker"),
        code("explore.topics_per_speaker(p)"),
        md("## Topics against themes"),
        code("explore.topic_theme_crosstab(p)"),
        md("## What the codebook misses\n\nTopics whose statements mostly fit no codebook theme: candidates for a new theme."),
        code("explore.topics_without_theme(p)"),
    ],
}


def build(folder: Path = HERE) -> list[Path]:
    """Write every notebook into `folder`; returns their paths."""
    paths = []
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{i:02d}"
        nbformat.validate(nb)
        path = folder / name
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in build():
        print(written)
