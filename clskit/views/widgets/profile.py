"""A sortable, filterable table of measured trade-offs (accuracy, size, latency, ...).

The rows are plain dicts (as returned by :func:`clskit.lessons.efficiency.profile_models`); sorting and
filtering is the pure function :func:`sort_filter_rows`, and the widget only redraws an HTML table.

Example:
    >>> t = ProfileTable(rows)                        # doctest: +SKIP
    >>> t.sort_by.value = "latency_b1_ms"; t.query.value = "int8"   # doctest: +SKIP
    >>> [r["model"] for r in t.shown_rows]            # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Sequence

from clskit.views.widgets.view import WidgetView
from clskit.views.widgets._html import esc


def sort_filter_rows(rows: Sequence[dict], sort_by: str | None = None, ascending: bool = True,
                     query: str = "") -> list[dict]:
    """Rows whose text columns contain ``query`` (case-insensitive), sorted by ``sort_by``.

    Missing and NaN values sort last in either direction.

    Example:
        >>> rows = [{"model": "a", "ms": 2.0}, {"model": "b int8", "ms": 1.0}, {"model": "c", "ms": float("nan")}]
        >>> [r["model"] for r in sort_filter_rows(rows, "ms")]
        ['b int8', 'a', 'c']
        >>> [r["model"] for r in sort_filter_rows(rows, query="INT8")]
        ['b int8']
    """
    q = query.strip().lower()
    out = [r for r in rows if not q or any(q in str(v).lower() for v in r.values() if isinstance(v, str))]
    if sort_by:
        known = [r for r in out if _sortable(r.get(sort_by))]
        unknown = [r for r in out if not _sortable(r.get(sort_by))]
        out = sorted(known, key=lambda r: r[sort_by], reverse=not ascending) + unknown
    return out


def _sortable(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def _fmt(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.3g}"
    if isinstance(v, int):
        return f"{v:,}"
    return esc(str(v))


def rows_to_html(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """An HTML table of ``rows`` (numbers right-aligned and rounded)."""
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{esc(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cells = "".join(f"<td style='text-align:{'right' if isinstance(r.get(c), (int, float)) else 'left'};"
                        f"padding:2px 8px'>{_fmt(r.get(c, ''))}</td>" for c in columns)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class ProfileTable(WidgetView):
    """Sort by any column, flip the order, filter by text; the table redraws in place.

    Args:
        rows: one dict per model (the same keys in each).
        sort_by: the initial sort column (default: none, the given order).
        ascending: initial order.

    Attributes:
        sort_by, order, query: the controls (set ``.value`` from Python to drive the table).
        shown_rows: the rows as shown; ``table``: the HTML widget; ``widget``: the whole view.
    """

    def __init__(self, rows: Sequence[dict], sort_by: str | None = None, ascending: bool = True):
        import ipywidgets as W

        if not rows:
            raise ValueError("ProfileTable needs at least one row; pass the list from profile_models(...)")
        self.rows = [dict(r) for r in rows]
        self.columns = list(dict.fromkeys(k for r in self.rows for k in r))
        if sort_by is not None and sort_by not in self.columns:
            raise ValueError(f"cannot sort by {sort_by!r}; columns: {self.columns}")
        self.sort_by = W.Dropdown(options=[("(as given)", "")] + [(c, c) for c in self.columns],
                                  value=sort_by or "", description="sort by")
        self.order = W.ToggleButtons(options=["ascending", "descending"],
                                     value="ascending" if ascending else "descending")
        self.query = W.Text(value="", placeholder="filter, e.g. int8", description="filter")
        self.table = W.HTML()
        for control in (self.sort_by, self.order, self.query):
            control.observe(self._update, names="value")
        self.widget = W.VBox([W.HBox([self.sort_by, self.order, self.query]), self.table])
        self.shown_rows: list[dict] = []
        self._update()

    def _update(self, change=None) -> None:
        self.shown_rows = sort_filter_rows(self.rows, self.sort_by.value or None, self.order.value == "ascending",
                                           self.query.value)
        self.table.value = rows_to_html(self.shown_rows, self.columns)
