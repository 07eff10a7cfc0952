"""Model picker: choose architectures from the model cards; see them in a table and on an accuracy plot.

Example:
    >>> p = ModelPicker()                                      # doctest: +SKIP
    >>> p.models.value = ("ResNet-50", "ViT-B/16"); p.x_axis.value = "params_m"   # doctest: +SKIP
    >>> p.selected, p.rows                                     # doctest: +SKIP
"""
from __future__ import annotations

from clskit.models.cards import COLUMNS, load_model_cards, plot_cards
from clskit.views.png import figure_to_png
from clskit.views.widgets.view import WidgetView
from clskit.views.widgets._html import esc

DEFAULT = ("AlexNet", "VGG-16", "ResNet-50", "MobileNet-V3-L", "EfficientNet-B0", "ViT-B/16", "DeiT-S", "Swin-T")
AXES = ("latency_b1_ms", "latency_b32_ms", "params_m", "gflops")


class ModelPicker(WidgetView):
    """A multi-select of models, an x-axis dropdown, a table and a plot of top-1 accuracy.

    Args:
        cards: the cards (default: :func:`~clskit.models.cards.load_model_cards`).
        selected: models selected at first.

    Attributes:
        models, x_axis: the controls (set ``.value`` from Python to drive the picker).
        selected: names shown; ``rows``: their cards; ``table`` (HTML) and ``plot`` (Image): the views;
        ``widget``: the whole view.
    """

    def __init__(self, cards: dict | None = None, selected=DEFAULT):
        import ipywidgets as W

        self.cards = cards if cards is not None else load_model_cards()
        names = [c["name"] for c in self.cards["models"]]
        selected = tuple(n for n in selected if n in names) or tuple(names)
        self.models = W.SelectMultiple(options=names, value=selected, rows=min(10, len(names)), description="models")
        self.x_axis = W.Dropdown(options=[(COLUMNS[a], a) for a in AXES], value=AXES[0], description="x axis")
        self.table = W.HTML()
        self.plot = W.Image(format="png")
        self.models.observe(self._update, names="value")
        self.x_axis.observe(self._update, names="value")
        self.widget = W.VBox([W.HBox([self.models, self.x_axis]), W.HBox([self.plot, self.table])])
        self._update()

    @property
    def selected(self) -> list[str]:
        return list(self.models.value)

    @property
    def rows(self) -> list[dict]:
        return [c for c in self.cards["models"] if c["name"] in set(self.models.value)]

    def _update(self, change=None) -> None:
        from matplotlib.figure import Figure   # not pyplot: nothing is shown or kept open behind the widget

        cols = ["params_m", "gflops", "latency_b1_ms", "latency_b32_ms", "top1"]
        head = "".join(f"<th>{esc(c)}</th>" for c in ["model"] + cols)
        body = "".join("<tr><td>{}</td>{}</tr>".format(esc(r["name"]), "".join(f"<td>{r[c]:.1f}</td>" for c in cols))
                       for r in sorted(self.rows, key=lambda r: r[self.x_axis.value]))
        self.table.value = f"<table style='font-size:90%'><tr>{head}</tr>{body}</table>"
        fig = Figure(figsize=(5.5, 3.8))
        plot_cards(self.cards, x=self.x_axis.value, names=self.selected, ax=fig.add_subplot())
        self.plot.value = figure_to_png(fig, dpi=80)
