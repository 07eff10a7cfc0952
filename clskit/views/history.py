"""Plots of training history: pure views over ``Learner.history`` (a list of plain dicts).

matplotlib is imported inside the functions, so importing this module stays light.
"""
from __future__ import annotations

from typing import Sequence

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
