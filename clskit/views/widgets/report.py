"""A per-class report table you can sort: find the worst classes first.

The table is :func:`clskit.metrics.classification_report_df` (a pandas DataFrame); the widget adds a
sort dropdown and an ascending/descending toggle. From Python set ``w.sort_by.value`` and read ``w.df``.

Example:
    >>> w = ReportWidget(targets, probs, classes)            # doctest: +SKIP
    >>> w.sort_by.value = "recall"; w.df.index[0]            # doctest: +SKIP
"""
from __future__ import annotations

from typing import Sequence

from clskit.metrics import classification_report_df
from clskit.views.widgets.view import WidgetView
from clskit.views.widgets._html import esc

__all__ = ["ReportWidget", "classification_report_df"]


class ReportWidget(WidgetView):
    """A sortable per-class table of precision, recall, F1, AUC, support and predicted count.

    Args:
        targets, probs, classes, threshold: as for :func:`classification_report_df`.
        sort_by: starting sort column; ``ascending`` puts the worst classes first for scores.

    Attributes:
        df: the table as currently sorted; ``table.value`` is its HTML; ``notes`` lists undefined values.
    """

    def __init__(self, targets, probs, classes: Sequence[str] | None = None, threshold=None,
                 sort_by: str = "f1", ascending: bool = True):
        import ipywidgets as W

        self.full = classification_report_df(targets, probs, classes, threshold)
        columns = ["class"] + list(self.full.columns)
        if sort_by not in columns:
            raise ValueError(f"cannot sort by {sort_by!r}; columns are {', '.join(columns)}")
        self.sort_by = W.Dropdown(options=columns, value=sort_by, description="sort by")
        self.ascending = W.ToggleButton(value=ascending, description="ascending" if ascending else "descending",
                                        icon="sort-amount-asc")
        self.table = W.HTML()
        summary = " · ".join(f"{k} {v:.3f}" for k, v in self.full.attrs["summary"].items())
        self.notes = list(self.full.attrs["notes"])
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
        self.footer = W.HTML(f"<div style='font-size:12px'>{summary}" + (f"<ul>{notes}</ul>" if notes else "") + "</div>")
        self.sort_by.observe(lambda _: self.update(), names="value")
        self.ascending.observe(lambda _: self.update(), names="value")
        self.widget = W.VBox([W.HBox([self.sort_by, self.ascending]), self.table, self.footer])
        self.update()

    @classmethod
    def from_learner(cls, learn, dl=None, **kwargs) -> "ReportWidget":
        """Predict with ``learn`` on ``dl`` (default: validation) and build the report."""
        probs, targets = learn.get_preds(dl)
        return cls(targets, probs, getattr(learn.dls, "classes", None), **kwargs)

    def update(self) -> None:
        """Sort by the dropdown's column and re-render the table (called when a control changes)."""
        self.ascending.description = "ascending" if self.ascending.value else "descending"
        col, asc = self.sort_by.value, self.ascending.value
        if col == "class":
            self.df = self.full.sort_index(ascending=asc)
        else:
            self.df = self.full.sort_values(col, ascending=asc, kind="stable", na_position="last")
        self.table.value = self.df.round(3).to_html(border=0, na_rep="n/a", escape=True)   # class names are user text
