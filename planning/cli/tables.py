"""The command line's plain-text tables: columns aligned under a rule."""

from __future__ import annotations

from collections.abc import Sequence


def two_column_table(header: tuple[str, str], rows: Sequence[tuple[str, str]]) -> str:
    """Two columns, the first left-aligned and the second right-aligned, under a rule."""
    left = max([len(header[0]), *(len(r[0]) for r in rows)])
    right = max([len(header[1]), *(len(r[1]) for r in rows)])
    lines = [f"{header[0]:<{left}}  {header[1]:>{right}}", f"{'-' * left}  {'-' * right}"]
    lines += [f"{p:<{left}}  {v:>{right}}" for p, v in rows]
    return "\n".join(lines)


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Columns under a rule; the columns numbered in `right` are right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            f"{c:>{w}}" if i in right else f"{c:<{w}}"
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])
