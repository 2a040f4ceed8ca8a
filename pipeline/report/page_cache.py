"""Session pages kept across runs: a page is drawn again only when what it shows changed.

A session's page (and its heatmap) is drawn from the rows of the run's tables
that belong to its report, the codebook's theme names, the tables' columns
(the themes), the `report` params and the report's code and templates; it
reads no row of a table without a `report_id` column (topics, roles: they
change with every statement added, and only the corpus page shows them;
tested: a session page is the same bytes with those tables emptied).
`page_keys` hashes, for each report, its rows of every table that has a
`report_id` column, with every table's column names and types and the theme
names; `page_cache` names the namespace by the params, the code (templates
included) and the libraries that draw. So a rerun after a report is added
draws the new report's page and those whose rows changed (a refit, a corrected
speaker), and reads the others back: the same bytes as drawing them all
(tested).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.explore import Processed
from pipeline.result_cache import ResultCache, params_settings, source_fingerprint


def _row_hashes(table: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(table, index=False).to_numpy()


def page_keys(p: Processed, report_ids: Sequence[str]) -> dict[str, str]:
    """report_id -> a key that changes whenever anything its page shows may have changed."""
    shared = hashlib.sha256(json.dumps(p.theme_names, sort_keys=True).encode("utf-8"))
    per_report: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    for field in dataclasses.fields(p):
        table = getattr(p, field.name)
        if not isinstance(table, pd.DataFrame):
            continue
        shared.update(json.dumps([field.name, [str(c) for c in table.columns], [str(t) for t in table.dtypes]])
                      .encode("utf-8"))
        if "report_id" in table.columns:
            groups = table.groupby(table["report_id"].astype(str), sort=False).indices
            per_report.append((_row_hashes(table), groups))
    base = shared.hexdigest()
    keys = {}
    for report_id in report_ids:
        digest = hashlib.sha256(base.encode("ascii") + b"\0" + str(report_id).encode("utf-8"))
        for rows, groups in per_report:
            idx = groups.get(str(report_id), np.zeros(0, dtype=np.intp))
            digest.update(len(idx).to_bytes(8, "little") + rows[idx].tobytes())
        keys[report_id] = digest.hexdigest()
    return keys


def page_cache(root: str | Path, params: object) -> ResultCache:
    """Where session pages are kept: a namespace per `report` params (but `workers`), code and libraries."""
    import jinja2
    import matplotlib
    import PIL

    import pipeline.explore
    import pipeline.figures
    import pipeline.heatmap_image
    import pipeline.report
    import pipeline.tables

    settings = params_settings(params)
    settings["libraries"] = {"pandas": pd.__version__, "jinja2": jinja2.__version__,
                             "matplotlib": matplotlib.__version__, "pillow": PIL.__version__}
    code = source_fingerprint([pipeline.report, pipeline.explore, pipeline.figures, pipeline.heatmap_image,
                               pipeline.tables])
    return ResultCache(root, code, settings, what="report page cache")
