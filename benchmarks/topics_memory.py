"""Where the topics stage's memory goes: its RSS at each phase, and the peak within each.

    .venv/bin/python -m benchmarks.topics_memory --project DIR [--out FOLDER]

DIR: a project whose stages up to embed have run (e.g. kept by
`python -m benchmarks.scale_bench --statements N --keep DIR`). Runs the `topics` command
of DIR's dvc.yaml in this process (outputs redirected to FOLDER, a temporary folder by
default, so DIR's own outputs stay as they are), samples this process's RSS every 0.2 s,
and prints one line as each phase starts and ends: time, RSS, and the peak so far with
the phase it was reached in. The lemma workers are separate processes and not counted
(scale_bench's figure is the largest single process too). At the end it prints the
kernel's `ru_maxrss` of this process. At 100,000 statements that read 2.66 GB here while
the stage run as its own process (`python -m pipeline topics`, scale_bench) peaked at
3.16 GB with the same inputs and outputs. The gap was glibc keeping freed memory (the
order of allocations differs between the two runs); since the stage fixes malloc's mmap
threshold and trims the heap before UMAP (`pipeline/memory.py`) it peaks at 2.53 GB on its own.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

OUTPUT_OPTIONS = ("--fit-dir",)


class Trace:
    def __init__(self) -> None:
        self.process, self.start = psutil.Process(), time.time()
        self.phase, self.peak, self.peak_phase = "start", 0, "start"

    def sample(self) -> None:
        while True:
            rss = self.process.memory_info().rss
            if rss > self.peak:
                self.peak, self.peak_phase = rss, self.phase
            time.sleep(0.2)

    def mark(self, phase: str) -> None:
        self.phase = phase
        rss = self.process.memory_info().rss
        print(f"{time.time() - self.start:7.1f} s  {rss / 1e6:6.0f} MB  peak {self.peak / 1e6:6.0f} MB"
              f" ({self.peak_phase})  -> {phase}", flush=True)

    def wrap(self, owner: object, name: str, phase: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def traced(*args, **kwargs):
            self.mark(f"enter {phase}")
            try:
                return original(*args, **kwargs)
            finally:
                self.mark(f"exit {phase}")

        setattr(owner, name, traced)


def topics_argv(project: Path, out: Path) -> list[str]:
    """The topics stage's arguments from the project's dvc.yaml, its outputs moved into `out`."""
    from pipeline.stages import read_stages

    stage = next(s for s in read_stages(project / "dvc.yaml") if s.name == "topic_fit")
    argv = stage.argv[stage.argv.index("topic-fit"):]
    for i, arg in enumerate(argv[:-1]):
        if arg in OUTPUT_OPTIONS:
            argv[i + 1] = str(out / Path(argv[i + 1]).name)
    return argv


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, required=True, help="project folder whose embed stage has run")
    parser.add_argument("--out", type=Path, default=None, help="folder for the stage's outputs (default: temporary)")
    args = parser.parse_args(argv)

    import pipeline.__main__ as entry  # first, as in the stage: it sets numba's cache folder before numba loads

    import bertopic._bertopic as bertopic_module
    import hdbscan
    import umap

    import pipeline.topics.fit_store as fit_store
    import pipeline.topics.core as core
    import pipeline.topics.model as model

    trace = Trace()
    for owner, name, phase in (
        (core, "theme_scores", "theme scores (codebook classifier, keyword lemmas)"),
        (core, "fit_topics", "BERTopic fit"),
        (umap.UMAP, "fit_transform", "UMAP"),
        (hdbscan.HDBSCAN, "fit", "HDBSCAN"),
        (model, "reduce_outliers", "outliers"),
        (bertopic_module.BERTopic, "_extract_topics", "c-TF-IDF and representations"),
        (core, "_topics_table", "topics table"),
        (fit_store, "save_fit", "saving the fit"),
    ):
        trace.wrap(owner, name, phase)
    threading.Thread(target=trace.sample, daemon=True).start()
    project = args.project.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        out = (args.out or Path(tmp)).resolve()
        out.mkdir(parents=True, exist_ok=True)
        stage_args = topics_argv(project, out)
        os.chdir(project)
        sys.argv = ["pipeline", *stage_args]
        try:
            entry.main()
        except SystemExit as exc:
            if exc.code:
                raise
        finally:
            trace.mark("end")
            # what scale_bench reports (the kernel's count: catches spikes between samples)
            print(f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)


if __name__ == "__main__":  # the lemma workers are "spawn" processes: they import this module
    main()
