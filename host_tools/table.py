"""The one plain-text table renderer of the CLI (``tabulate``): a header, a rule, aligned columns."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate


def render_table(rows: Sequence[Sequence[object]], headers: Sequence[str], right: Sequence[int] = ()) -> str:
    """``rows`` under ``headers``; columns whose index is in ``right`` are right-aligned (numbers), the others
    left-aligned. Cells are shown as given (format numbers before passing them)."""
    align = ["right" if i in set(right) else "left" for i in range(len(headers))]
    body = [[str(c) for c in r] for r in rows]
    return tabulate(body, headers=list(headers), tablefmt="simple", colalign=align, disable_numparse=True)
