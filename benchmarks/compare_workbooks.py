"""Compare two .xlsx workbooks as an analyst sees them, through openpyxl.

    python -m benchmarks.compare_workbooks old.xlsx new.xlsx

Checks the sheets and their order, and per sheet: the used range, frozen panes,
filter, column widths, and every cell's value, data type, number format, font,
fill and alignment. Prints the differences (at most `--show` of them) and exits
1 if there is any, 0 if the workbooks read the same. Used to check that a new
writer of the `export` stage gives the workbook the old one gave (tests/test_export_equivalence.py
runs it on a small fixture; on 100,000 statements it takes minutes and a few GB).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet


def _font(cell: object) -> tuple:
    f = cell.font
    return (f.name, f.sz, f.b, f.i, f.u, f.strike, f.color.rgb if f.color is not None else None)


def _fill(cell: object) -> tuple:
    f = cell.fill
    return (f.fill_type, f.fgColor.rgb if f.fgColor is not None else None,
            f.bgColor.rgb if f.bgColor is not None else None)


def _alignment(cell: object) -> tuple:
    a = cell.alignment
    return (a.horizontal, a.vertical, bool(a.wrap_text), a.indent, a.text_rotation, bool(a.shrink_to_fit))


def _layout(ws: Worksheet) -> dict[str, object]:
    widths = {key: (dim.width, dim.customWidth) for key, dim in sorted(ws.column_dimensions.items())}
    return {"dimensions": ws.dimensions, "freeze_panes": ws.freeze_panes, "auto_filter": ws.auto_filter.ref,
            "column widths": widths}


def sheet_differences(a: Worksheet, b: Worksheet) -> Iterator[str]:
    """Every way sheet `b` reads differently from sheet `a`."""
    la, lb = _layout(a), _layout(b)
    for key in la:
        if la[key] != lb[key]:
            yield f"{a.title}: {key} {la[key]!r} != {lb[key]!r}"
    rows = max(a.max_row, b.max_row)
    cols = max(a.max_column, b.max_column)
    for ra, rb in zip(a.iter_rows(min_row=1, max_row=rows, max_col=cols),
                      b.iter_rows(min_row=1, max_row=rows, max_col=cols), strict=True):
        for ca, cb in zip(ra, rb, strict=True):
            for what, get in (("value", lambda c: c.value), ("type", lambda c: type(c.value).__name__),
                              ("data type", lambda c: c.data_type), ("number format", lambda c: c.number_format),
                              ("font", _font), ("fill", _fill), ("alignment", _alignment)):
                va, vb = get(ca), get(cb)
                if va != vb:
                    yield f"{a.title}!{ca.coordinate}: {what} {va!r} != {vb!r}"


def workbook_differences(old: Path | object, new: Path | object) -> Iterator[str]:
    """Every way workbook `new` (a path or file object) reads differently from workbook `old`."""
    a = openpyxl.load_workbook(old)
    b = openpyxl.load_workbook(new)
    if a.sheetnames != b.sheetnames:
        yield f"sheets {a.sheetnames!r} != {b.sheetnames!r}"
    for title in a.sheetnames:
        if title in b.sheetnames:
            yield from sheet_differences(a[title], b[title])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--show", type=int, default=20, help="differences printed at most")
    args = parser.parse_args(argv)
    n = 0
    for n, difference in enumerate(workbook_differences(args.old, args.new), start=1):
        if n <= args.show:
            print(difference)
    print(f"{n} difference(s) between {args.old} and {args.new}")
    return 1 if n else 0


if __name__ == "__main__":
    sys.exit(main())
