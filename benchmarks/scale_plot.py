"""The scale benchmark's table, log-log plot and growth exponents, from its JSON results.

    .venv/bin/python -m benchmarks.scale_plot [--results benchmarks/results] [--png benchmarks/scale.png]

Reads every `scale_<N>.json` (cold runs) in `--results`, prints a Markdown
table (per stage wall time and peak RSS, the whole run, the load it ran under)
and each stage's growth exponent b of time ~ a * N^b, fitted by least squares
on log-log over the sizes measured (b = 1: linear; below 1: a fixed start-up
still dominates). Writes the log-log plot as a PNG.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ORDER = ("segment", "embed", "topic_fit", "topics", "segments", "tables", "report", "export", "export_qda", "evaluate")


def load_runs(folder: Path) -> list[dict]:
    """Cold runs, one per size (a run with --incremental holds its cold run too; --reuse files do not).

    Where a size has both, the plain scale_N.json wins: the exponents are fitted on the runs made
    together, and an --incremental run is usually made on another day.
    """
    files = sorted(folder.glob("scale_*.json"), key=lambda p: (not p.stem.endswith("_incr"), p.name))
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    by_size = {r["statements"]: r for r in runs if "cold_stages" not in r}
    return [by_size[n] for n in sorted(by_size)]


def incremental_rows(folder: Path) -> list[dict]:
    """Per size and stage: cold time, rerun time after adding statements, start-up, ratio beyond start-up."""
    rows = []
    for p in sorted(folder.glob("scale_*_incr*.json")):
        r = json.loads(p.read_text(encoding="utf-8"))
        if "cold_stages" in r:
            cold, rerun, startup, added = r["cold_stages"], r["stages"], r["startup_s"], r["added"]
        else:
            cold, rerun = r["stages"], r["incremental"]["stages"]
            startup, added = r["incremental"]["startup_s"], r["incremental"]["added"]
        for name in ORDER:
            if name not in cold:
                continue
            # a stage the rerun did not run (the topic fit kept, `--keep-fit`) costs nothing
            start = startup.get(name, 0.0) if name in rerun else 0.0
            again = rerun[name]["wall_s"] if name in rerun else 0.0
            base = cold[name]["wall_s"] - start
            ratio = (again - start) / base if base > 0 else float("nan")
            rows.append({"statements": r["statements"], "added": added, "stage": name, "cold_s": cold[name]["wall_s"],
                         "rerun_s": again, "startup_s": start, "ratio": ratio})
    return rows


def incremental_table(rows: list[dict]) -> str:
    lines = ["| Statements + added | stage | cold s | rerun s | start-up s | rerun/cold beyond start-up |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['statements']:,} + {r['added']:,} | {r['stage']} | {r['cold_s']:.1f} | {r['rerun_s']:.1f} | "
                     f"{r['startup_s']:.1f} | {r['ratio']:.3f} |")
    return "\n".join(lines)


def exponent(sizes: list[float], values: list[float]) -> float | None:
    """b of value ~ a * size^b (least squares on logs); None with fewer than two sizes."""
    pts = [(s, v) for s, v in zip(sizes, values) if s > 0 and v > 0]
    if len({s for s, _ in pts}) < 2:
        return None
    x, y = np.log([s for s, _ in pts]), np.log([v for _, v in pts])
    return float(np.polyfit(x, y, 1)[0])


def _minsec(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def table(runs: list[dict]) -> str:
    stages = [s for s in ORDER if any(s in r["stages"] for r in runs)]
    head = ["Statements", *[f"{s} s / MB" for s in stages], "end to end", "peak", "calibration s", "load avg"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in runs:
        cells = [f"{r['statements']:,}"]
        for s in stages:
            st = r["stages"].get(s)
            cells.append(f"{st['wall_s']:.0f} / {st['peak_rss_mb']:.0f}" if st else "–")
        after, load_end = r.get("calibration_s_after"), r.get("loadavg_end")  # absent: a run in parts, stopped
        cells += [_minsec(r["total_wall_s"]), f"{r['peak_rss_mb'] / 1024:.2f} GB",
                  f"{r['calibration_s_before']:.1f} → " + (f"{after:.1f}" if after is not None else "–"),
                  f"{r['loadavg_start'][0]:.1f} → " + (f"{load_end[0]:.1f}" if load_end else "–")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def exponents(runs: list[dict]) -> dict[str, float | None]:
    out = {}
    for s in [*ORDER, "total"]:
        have = [r for r in runs if s == "total" or s in r["stages"]]
        sizes = [r["statements"] for r in have]
        values = [r["total_wall_s"] if s == "total" else r["stages"][s]["wall_s"] for r in have]
        out[s] = exponent(sizes, values)
    return out


def projections(runs: list[dict], sizes: tuple[int, ...] = (100_000, 1_000_000)) -> str:
    """Per stage, time from the fitted power law and peak RSS from a straight line (a + b*N), at `sizes`.

    Projections, not measurements: they say where a stage would land if it kept growing as measured.
    """
    head = ["stage", *[f"time at {n:,}" for n in sizes], *[f"peak at {n:,}" for n in sizes]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in ORDER:
        have = [r for r in runs if s in r["stages"]]
        if len({r["statements"] for r in have}) < 2:
            continue
        x = np.array([r["statements"] for r in have], dtype=float)
        t = np.array([r["stages"][s]["wall_s"] for r in have])
        m = np.array([r["stages"][s]["peak_rss_mb"] for r in have])
        b, log_a = np.polyfit(np.log(x), np.log(t), 1)
        slope, icpt = np.polyfit(x, m, 1)
        times = [_minsec(float(np.exp(log_a) * n**b)) for n in sizes]
        peaks = [f"{max(float(icpt + slope * n), float(m.max())) / 1024:.1f} GB" for n in sizes]
        lines.append("| " + " | ".join([s, *times, *peaks]) + " |")
    return "\n".join(lines)


def plot(runs: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    exps = exponents([r for r in runs if "parts" not in r])
    for s in [*ORDER, "total"]:
        # the total only where every stage ran (a run in parts may hold some stages only)
        have = [r for r in runs if (s in r["stages"] if s != "total" else len(r["stages"]) == len(ORDER))]
        if not have:
            continue
        x = [r["statements"] for r in have]
        y = [r["total_wall_s"] if s == "total" else r["stages"][s]["wall_s"] for r in have]
        b = exps[s]
        label = f"{s} (b={b:.2f})" if b is not None else s
        ax.plot(x, y, marker="o", lw=2.5 if s == "total" else 1.2, color="black" if s == "total" else None, label=label)
    ax.axhline(600, ls="--", color="grey", lw=0.8)
    ax.text(x[0], 630, "10 min", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("statements")
    ax.set_ylabel("wall time, s")
    ax.set_title("Stage time vs corpus size (time ~ N^b)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--png", type=Path, default=REPO / "benchmarks" / "scale.png")
    args = parser.parse_args(argv)
    runs = load_runs(args.results)
    if not runs:
        raise SystemExit(f"error: {args.results}: no scale_<N>.json (run python -m benchmarks.scale_bench first)")
    print(table(runs))
    # exponents and projections from runs made in one sitting; a run in parts (--stages/--resume,
    # e.g. the million, under other work) is in the table and the plot, not in the fits
    whole = [r for r in runs if "parts" not in r]
    print()
    print("growth exponents b (time ~ N^b), runs in one sitting: "
          + ", ".join(f"{k} {v:.2f}" for k, v in exponents(whole).items() if v is not None))
    print()
    print(projections(whole))
    incr = incremental_rows(args.results)
    if incr:
        print()
        print(incremental_table(incr))
    plot(runs, args.png)
    print(f"plot -> {args.png}")


if __name__ == "__main__":
    main()
