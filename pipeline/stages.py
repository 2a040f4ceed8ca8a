"""The pipeline's one definition, as dvc.yaml writes it: stages, their commands, inputs and outputs.

`dvc repro` runs dvc.yaml; `analyze` runs the same stage commands from the
same file (see pipeline/analyze.py), so there is no second wiring to drift.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import InputError


@dataclass(frozen=True)
class Stage:
    """One stage of dvc.yaml: its command and the paths it reads and writes."""

    name: str
    cmd: str
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    params: tuple[str, ...]

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.cmd)

    def option(self, flag: str) -> str | None:
        """The value of `flag` in the command (`--raw data/raw` -> "data/raw"), None when absent."""
        argv = self.argv
        for i, word in enumerate(argv[:-1]):
            if word == flag:
                return argv[i + 1]
        return None


def _paths(entries: list[Any] | None) -> tuple[str, ...]:
    """dvc.yaml lists a path as a string or as a one-key mapping {path: options}."""
    out = []
    for entry in entries or []:
        out.extend([entry] if isinstance(entry, str) else list(entry))
    return tuple(out)


def read_stages(dvc_yaml: str | Path) -> list[Stage]:
    """The stages of `dvc_yaml` in an order that runs each after the stages whose outputs it reads."""
    dvc_yaml = Path(dvc_yaml)
    try:
        data = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(dvc_yaml, "pipeline definition not found (run from the project folder)") from None
    stages = []
    for name, raw in (data.get("stages") or {}).items():
        if "foreach" in raw or "matrix" in raw or "${" in str(raw.get("cmd", "")):
            raise InputError(dvc_yaml, f"stage {name}: templated stages are not supported outside dvc")
        stages.append(Stage(name=name, cmd=" ".join(str(raw["cmd"]).split()), deps=_paths(raw.get("deps")),
                            outs=_paths(raw.get("outs")) + _paths(raw.get("metrics")) + _paths(raw.get("plots")),
                            params=tuple(str(p) for p in _paths(raw.get("params")))))
    return _in_dependency_order(stages, dvc_yaml)


def _in_dependency_order(stages: list[Stage], source: Path) -> list[Stage]:
    producer = {out: s.name for s in stages for out in s.outs}
    needs = {s.name: {producer[d] for d in s.deps if d in producer and producer[d] != s.name} for s in stages}
    ordered: list[Stage] = []
    done: set[str] = set()
    while len(ordered) < len(stages):
        ready = [s for s in stages if s.name not in done and needs[s.name] <= done]
        if not ready:
            raise InputError(source, "the stages depend on each other in a cycle")
        ordered.append(ready[0])
        done.add(ready[0].name)
    return ordered


def source_paths(stages: list[Stage]) -> list[str]:
    """Paths the stages read that no stage writes: the project's inputs (reports, codebook, labels, code)."""
    written = {out for s in stages for out in s.outs}
    return sorted({d for s in stages for d in s.deps if d not in written})
