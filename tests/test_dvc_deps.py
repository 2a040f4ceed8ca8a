"""dvc.yaml lists, for every stage, each project module its command can run (DVC cannot see imports).

Edit a module a stage runs and `dvc repro` must rerun that stage; a module
missing from its deps would leave stale tables marked "up to date". The
modules a stage can reach are derived from the imports (at any depth, inside
functions too) of the module that defines its command, plus the packages'
`__init__.py` that importing them runs. A folder listed in deps covers its files.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path, PurePosixPath

import pytest

from pipeline.cli import app
from pipeline.stages import read_stages

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "pipeline"


def module_file(name: str) -> Path | None:
    """The source file of project module `name`, None when it is not one."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    parts = name.split(".")
    base = REPO.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module an import statement anywhere in `path` names (including `from a import b` as a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def reachable_files(start: Path) -> set[Path]:
    """Project files that importing `start` can run, with the parent packages' __init__.py."""
    seen: set[Path] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_names(path):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__, a/b/c
                found = module_file(".".join(parts[:i]))
                if found is not None and found not in seen:
                    todo.append(found)
    return seen


def command_modules() -> dict[str, Path]:
    """Stage name -> the file defining the command that `python -m pipeline <name>` runs."""
    out = {}
    for info in app.registered_commands:
        name = info.name or info.callback.__name__
        spec = importlib.util.find_spec(info.callback.__module__)
        out[name] = Path(spec.origin)
    return out


def covered(path: Path, deps: tuple[str, ...]) -> bool:
    rel = PurePosixPath(path.relative_to(REPO).as_posix())
    return any(rel == PurePosixPath(d) or rel.is_relative_to(PurePosixPath(d)) for d in deps)


STAGES = read_stages(REPO / "dvc.yaml")


@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_every_module_a_stage_runs_is_in_its_deps(stage):
    argv = stage.argv
    assert argv[:3] == ["python", "-m", PACKAGE], f"stage {stage.name} does not run `python -m {PACKAGE}`"
    words = argv[3:]
    while words[0].startswith("--"):  # the options every command takes (`--table-cache DIR`) come first
        words = words[2:]
    start = command_modules()[words[0]]
    missing = sorted(str(p.relative_to(REPO)) for p in reachable_files(start) if not covered(p, stage.deps))
    assert not missing, f"dvc.yaml stage {stage.name} runs but does not list: {', '.join(missing)}"


def test_the_reachability_sees_imports_inside_functions(tmp_path):
    # the topics command imports the codebook inside its function body, not at the top
    files = reachable_files(command_modules()["topics"])
    assert REPO / "pipeline" / "codebook.py" in files
    assert REPO / "pipeline" / "tableio.py" in files
    assert REPO / "pipeline" / "__init__.py" in files


def test_a_listed_folder_covers_its_files():
    assert covered(REPO / "pipeline" / "embed" / "store.py", ("pipeline/embed",))
    assert not covered(REPO / "pipeline" / "embed" / "store.py", ("pipeline/embedding",))
