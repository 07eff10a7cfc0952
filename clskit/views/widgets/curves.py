"""Live training curves: a thin view over a history (list of dicts), redrawn in place.

:class:`LiveCurvesWidget` is built once (an HTML status line above an ``ipywidgets.Image``) and
updated through its properties: ``set_text`` changes the label, ``update(history)`` re-renders the
figure with matplotlib's Agg backend into a PNG and sets ``image.value``. :meth:`close` closes the
widget and displays the final figure as a plain image, so a saved notebook keeps it.
:class:`StaticCurves` is the fallback without a widget front end (a script, a terminal): it prints
the history table at the end. :func:`curves_view` picks one. :func:`plot_history` is the static plot of
the same history (a pure view over ``Learner.history``).
"""
from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np

from clskit.views.png import array_to_png


# -- the static plot: a pure view over Learner.history (a list of plain dicts) ----------------------------------------
# keys of a history row that are not metrics
_NOT_METRICS = {"epoch", "train_loss", "valid_loss", "time", "lr"}


def history_metrics(history: Sequence[dict]) -> list[str]:
    """Names of the validation metrics in a history (keys other than losses, epoch, time, ``train_*``).

    Example:
        >>> history_metrics([{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.1, "accuracy": 0.5,
        ...                   "train_accuracy": 0.6, "time": 0.1}])
        ['accuracy']
    """
    names: list[str] = []
    for row in history:
        for k in row:
            if k not in _NOT_METRICS and not k.startswith("train_") and k not in names:
                names.append(k)
    return names


def _series(history: Sequence[dict], key: str) -> tuple[list[float], list[float]]:
    xs = [r.get("epoch", i + 1) for i, r in enumerate(history) if key in r]
    return xs, [r[key] for r in history if key in r]


def plot_history(history: Sequence[dict], ax=None, metrics: Sequence[str] | None = None):
    """Draw training and validation loss (left) and metrics (right) per epoch.

    Args:
        history: rows as in ``Learner.history``: ``epoch``, ``train_loss``, ``valid_loss``,
            metric values by name (validation) and ``train_<name>`` (training).
        ax: ``None`` (a new figure), one Axes (losses only) or a pair of Axes (losses, metrics).
        metrics: metric names to draw (default: every metric in the history).

    Returns:
        The list of Axes drawn on.

    Example:
        >>> h = [{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.2, "accuracy": 0.6},
        ...      {"epoch": 2, "train_loss": 0.5, "valid_loss": 0.9, "accuracy": 0.7}]
        >>> axes = plot_history(h)          # doctest: +SKIP
    """
    metrics = history_metrics(history) if metrics is None else list(metrics)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(1, 2 if metrics else 1, figsize=(9 if metrics else 4.5, 3.2), squeeze=False)
        ax = list(ax[0])
    axes = list(ax) if isinstance(ax, (list, tuple)) or hasattr(ax, "__len__") else [ax]
    loss_ax = axes[0]
    for key, style in (("train_loss", "-"), ("valid_loss", "--")):
        xs, ys = _series(history, key)
        if ys:
            loss_ax.plot(xs, ys, style, marker="o", ms=3, label=key.replace("_", " "), gid=key)
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    _tidy(loss_ax, "upper right")
    if len(axes) > 1:
        m_ax = axes[1]
        for i, name in enumerate(metrics):
            colour = f"C{i + 2}"
            for key, style, label in ((f"train_{name}", "-", f"train {name}"), (name, "--", f"valid {name}")):
                xs, ys = _series(history, key)
                if ys:
                    m_ax.plot(xs, ys, style, color=colour, marker="o", ms=3, label=label, gid=key)
        m_ax.set(xlabel="epoch", title=", ".join(metrics) or "metrics")
        _tidy(m_ax, "lower right")
    return axes


def _tidy(ax, legend_loc: str) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc=legend_loc)  # a fixed place: loc="best" costs a search per redraw



def has_widget_frontend() -> bool:
    """Whether code runs in a Jupyter kernel (JupyterLab, Notebook, VS Code, nbclient) with ipywidgets.

    ``CLSKIT_LIVE=static`` forces the text fallback, ``CLSKIT_LIVE=widget`` forces the widget.
    """
    force = os.environ.get("CLSKIT_LIVE", "").lower()
    if force in ("static", "widget"):
        return force == "widget"
    try:
        from IPython import get_ipython
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class _Renderer:
    """A matplotlib Figure (not pyplot, so nothing auto-displays) rendered to PNG bytes.

    Redraws are cheap because the axes limits change rarely: x runs to the planned number of
    epochs and y only grows. While the limits stay, the axes, ticks and legends are restored from a
    cached background and only the lines are drawn on it (matplotlib's blitting); a full draw
    (text layout is most of its cost) happens only when a limit changes.
    """

    def __init__(self, figsize: tuple[float, float] = (9.0, 3.0), dpi: int = 72):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self._key = None
        self.full_draws = 0

    def render(self, history: Sequence[dict], n_epoch: int | None = None) -> bytes:
        """PNG of the curves of ``history``; ``n_epoch`` fixes the x range (the planned epochs)."""
        metrics = history_metrics(history)
        limits = _limits(history, metrics, n_epoch)
        key = (tuple(metrics), limits, tuple(sorted({k for r in history for k in r})))
        if key != self._key:
            self._full_draw(history, metrics, limits)
            self._key = key
        else:
            self.figure.canvas.restore_region(self._background)
        for ax in self.axes:
            for line in ax.get_lines():
                line.set_data(*_series(history, line.get_gid()))
                ax.draw_artist(line)
        return self._png()

    def _full_draw(self, history, metrics, limits) -> None:
        fig = self.figure
        fig.clear()
        n = 2 if metrics else 1
        self.axes = list(fig.subplots(1, n, squeeze=False)[0])
        # fixed margins: tight_layout would cost another full draw
        fig.subplots_adjust(left=0.07 if n == 2 else 0.14, right=0.98, bottom=0.16, top=0.89, wspace=0.18)
        plot_history(history, ax=self.axes, metrics=metrics)
        for ax, (lo, hi) in zip(self.axes, limits[1:]):
            ax.set_xlim(0.5, limits[0] + 0.5)
            ax.set_ylim(lo, hi)
        lines = [line for ax in self.axes for line in ax.get_lines()]
        for line in lines:  # the background holds everything but the lines
            line.set_visible(False)
        fig.canvas.draw()
        self._background = fig.canvas.copy_from_bbox(fig.bbox)
        for line in lines:
            line.set_visible(True)
        self.full_draws += 1

    def _png(self) -> bytes:
        # the canvas as drawn (a savefig would redraw everything); compress_level=1: several times
        # faster than the default, and the PNG is still ~30 kB
        return array_to_png(np.asarray(self.figure.canvas.buffer_rgba()), compress_level=1)


def _nice_ceil(v: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 5, 7 x 10^k at or above ``v`` (so limits change rarely)."""
    if not math.isfinite(v) or v <= 0:
        return 1.0
    e = math.floor(math.log10(v))
    for m in (1, 1.5, 2, 3, 5, 7, 10):
        if m * 10**e >= v:
            return m * 10**e
    return 10 ** (e + 1)


def _limits(history, metrics, n_epoch):
    def finite(keys):
        return [r[k] for r in history for k in keys if k in r and isinstance(r[k], (int, float)) and math.isfinite(r[k])]

    xmax = max(n_epoch or 0, len(history), 1)
    losses = finite(("train_loss", "valid_loss"))
    out = [xmax, (0.0, _nice_ceil(1.05 * max(losses, default=1.0)))]
    if metrics:
        vals = finite(metrics + [f"train_{m}" for m in metrics])
        lo, hi = min(vals, default=0.0), max(vals, default=1.0)
        if 0.0 <= lo and hi <= 1.0:  # a fraction (accuracy, F1, ...): tenths, up to 1
            out.append((math.floor(lo * 10) / 10 - 0.02, 1.02))
        else:
            out.append((min(0.0, -_nice_ceil(-lo * 1.05)) if lo < 0 else 0.0, _nice_ceil(1.05 * hi)))
    return tuple(out)


class LiveCurvesWidget:
    """An ipywidgets view of training curves: ``box`` = VBox(HTML ``label``, Image ``image``).

    Args:
        figsize: figure size in inches.
        dpi: resolution of the rendered PNG.

    Example:
        >>> w = LiveCurvesWidget()                                  # doctest: +SKIP
        >>> w.show(); w.set_text("epoch 1/3")                        # doctest: +SKIP
        >>> w.update([{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.1}])  # doctest: +SKIP
        >>> w.close()   # closes the widget, displays the final figure  # doctest: +SKIP
    """

    def __init__(self, figsize: tuple[float, float] = (9.0, 3.0), dpi: int = 72):
        import ipywidgets as widgets

        self.label = widgets.HTML(value="")
        self.image = widgets.Image(format="png")
        self.box = widgets.VBox([self.label, self.image])
        self._renderer = _Renderer(figsize, dpi)
        self.history: list[dict] = []
        self.png = b""
        self.n_draws = 0
        self.closed = False

    def show(self) -> "LiveCurvesWidget":
        from IPython.display import display

        display(self.box)
        return self

    def set_text(self, text: str) -> None:
        self.label.value = text

    def update(self, history: Sequence[dict], n_epoch: int | None = None) -> None:
        """Redraw the figure from ``history`` (copied, so the view shows what it was given);
        ``n_epoch`` is the planned number of epochs (the x range)."""
        self.history = [dict(r) for r in history]
        if self.history:
            self.png = self._renderer.render(self.history, n_epoch)
            self.image.value = self.png
            self.n_draws += 1

    def close(self, final: bool = True) -> None:
        """Close the widget; with ``final``, display the last figure as a plain PNG image."""
        if self.closed:
            return
        self.closed = True
        for w in (self.label, self.image, self.box):
            w.close()
        if final and self.png:
            from IPython.display import Image, display

            display(Image(data=self.png, format="png"))


class StaticCurves:
    """The fallback view without a widget front end: prints the history table when closed.

    Example:
        >>> v = StaticCurves(); v.update([{"epoch": 1, "train_loss": 0.5, "valid_loss": 0.6}])
        >>> v.close()
         epoch  train_loss  valid_loss
             1      0.5000      0.6000
    """

    def __init__(self, **_):
        self.history: list[dict] = []
        self.text = ""
        self.n_draws = 0
        self.closed = False

    def show(self) -> "StaticCurves":
        return self

    def set_text(self, text: str) -> None:
        self.text = text

    def update(self, history: Sequence[dict], n_epoch: int | None = None) -> None:
        self.history = [dict(r) for r in history]
        self.n_draws += 1

    def close(self, final: bool = True) -> None:
        if self.closed:
            return
        self.closed = True
        if final and self.history:
            print(format_history(self.history))


def format_history(history: Sequence[dict]) -> str:
    """The history as a fixed-width text table (``time`` left out).

    Example:
        >>> print(format_history([{"epoch": 1, "train_loss": 0.5, "accuracy": 0.75}]))
         epoch  train_loss  accuracy
             1      0.5000    0.7500
    """
    keys = [k for k in dict.fromkeys(k for r in history for k in r) if k != "time"]
    widths = [max(len(k), 6) for k in keys]
    lines = ["  ".join(k.rjust(w) for k, w in zip(keys, widths))]
    for r in history:
        cells = []
        for k, w in zip(keys, widths):
            v = r.get(k, "")
            cells.append((f"{v:.4f}" if isinstance(v, float) else str(v)).rjust(w))
        lines.append("  ".join(cells))
    return "\n".join(lines)


def curves_view(widget: bool | None = None, **kw):
    """A :class:`LiveCurvesWidget` in a Jupyter kernel, else a :class:`StaticCurves` (``widget`` forces one)."""
    if widget is None:
        widget = has_widget_frontend()
    return LiveCurvesWidget(**kw) if widget else StaticCurves(**kw)
