"""An interactive confusion matrix: click a cell to see its images, most confident mistakes first.

The matrix is a grid of ``ipywidgets.Button`` s coloured by value (a click selects a cell), which
works in JupyterLab and classic Notebook without ipympl and can be driven from Python:
``w.select(true, pred)`` does what a click does; ``w.selected``, ``w.shown_indices`` and
``w.info.value`` say what the widget shows.

Example:
    >>> w = ConfusionMatrixWidget(images, targets, probs, classes)   # doctest: +SKIP
    >>> w.select(3, 8); w.shown_indices[:3]                          # doctest: +SKIP
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from clskit.checks import check_class_names
from clskit.metrics import check_single_label, confusion_matrix
from clskit.views.png import gallery_png
from clskit.views.widgets.view import WidgetView
from clskit.views.widgets._html import esc

_NORMALIZE = {"counts": None, "recall (rows)": "true", "precision (columns)": "pred"}


def cell_indices(targets, probs, true: int, pred: int) -> np.ndarray:
    """Indices of the samples of class ``true`` predicted as ``pred``, most confident first.

    The confidence is the probability given to the predicted class; for mistakes the most
    confident ones come first, because they are the likeliest label errors or real blind spots.

    Example:
        >>> cell_indices([0, 0, 1], [[0.3, 0.7], [0.1, 0.9], [0.2, 0.8]], true=0, pred=1).tolist()
        [1, 0]
    """
    y, p = check_single_label(targets, probs)
    idx = np.flatnonzero((y == true) & (p.argmax(1) == pred))
    return idx[np.argsort(-p[idx, pred], kind="stable")]


def _images(n: int) -> str:
    return f"{n} image" if n == 1 else f"{n} images"


class ConfusionMatrixWidget(WidgetView):
    """A clickable confusion matrix with an image gallery of the selected cell.

    Args:
        images: ``(N, C, H, W)`` uint8 or float images, aligned with ``targets`` and ``probs``.
        targets: ``(N,)`` class indices.
        probs: ``(N, K)`` probabilities.
        classes: class names.
        max_images: images shown for a cell.
        max_classes: with more classes than this, the class filter starts with the classes
            involved in the most mistakes.

    Attributes:
        selected: ``(true, pred)`` of the selected cell, or ``None``.
        shown_indices: sample indices in the gallery, most confident first.
        matrix: the matrix as shown (counts or normalized), restricted to the filtered classes.
        info: an HTML widget describing the selection.
        widget: the whole view (displayed by ``display(w)`` or as the last expression of a cell).
    """

    def __init__(self, images, targets, probs, classes: Sequence[str] | None = None, max_images: int = 12,
                 max_classes: int = 12):
        import ipywidgets as W

        self.targets, self.probs = check_single_label(targets, probs)
        k = self.probs.shape[1]
        self.images = images if isinstance(images, torch.Tensor) else torch.as_tensor(np.asarray(images))
        if len(self.images) != len(self.targets):
            raise ValueError(f"got {len(self.images)} images for {len(self.targets)} targets; pass the images the "
                             "predictions were made on, in the same order")
        self.classes = check_class_names(classes, k) if classes is not None else [str(i) for i in range(k)]
        self.max_images = max_images
        self.counts = confusion_matrix(self.targets, self.probs)
        self.selected: tuple[int, int] | None = None
        self.shown_indices = np.array([], dtype=np.int64)
        self.buttons: dict[tuple[int, int], object] = {}

        self.normalize = W.ToggleButtons(options=list(_NORMALIZE), value="counts", description="show",
                                         style={"button_width": "130px"})
        self.class_filter = W.SelectMultiple(options=[(c, i) for i, c in enumerate(self.classes)],
                                             value=tuple(self._default_classes(max_classes)),
                                             description="classes", rows=min(8, k))
        self.grid = W.GridBox(layout=W.Layout(grid_gap="1px"))
        self.info = W.HTML("Click a cell to see its images.")
        self.gallery = W.Image(format="png", layout=W.Layout(max_width="760px"))
        self.normalize.observe(lambda _: self._refresh_grid(), names="value")
        self.class_filter.observe(lambda _: self._build_grid(), names="value")
        controls = W.HBox([self.normalize] + ([self.class_filter] if k > 2 else []))
        # the grid keeps its full width (flex 0 0 auto) and the text wraps below it when the output area is
        # narrow; without this the HBox shrinks the grid and clips its last column (10 classes and more)
        self.info.layout = W.Layout(flex="1 1 200px", min_width="200px")
        body = W.HBox([self.grid, self.info], layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.widget = W.VBox([controls, body, self.gallery])
        self._build_grid()

    @classmethod
    def from_learner(cls, learn, dl=None, **kwargs) -> "ConfusionMatrixWidget":
        """Predict with ``learn`` on ``dl`` (default: validation) and show the raw images of that loader.

        Example:
            >>> ConfusionMatrixWidget.from_learner(learn)          # doctest: +SKIP
        """
        dl = learn.dls.valid if dl is None else dl
        probs, targets = learn.get_preds(dl)
        ds = getattr(dl, "dataset", None)
        unshuffled = not getattr(dl, "shuffle", False) and getattr(dl, "sampler", None) is None
        if ds is not None and hasattr(ds, "images") and len(ds.images) == len(targets) and unshuffled:
            images = ds.images  # the raw images, before any normalizing eval transform
        else:
            images = torch.cat([xb.cpu() for xb, _ in dl])
        return cls(images, targets, probs, getattr(learn.dls, "classes", None), **kwargs)

    # -- state -------------------------------------------------------------------------------
    @property
    def visible_classes(self) -> list[int]:
        return sorted(self.class_filter.value) or list(range(len(self.classes)))

    @property
    def matrix(self) -> np.ndarray:
        """The matrix shown: counts or normalized over all classes (:func:`clskit.metrics.confusion_matrix`),
        then restricted to the visible ones."""
        cm = confusion_matrix(self.targets, self.probs, normalize=_NORMALIZE[self.normalize.value]).astype(float)
        v = self.visible_classes
        return cm[np.ix_(v, v)]

    def _default_classes(self, max_classes: int) -> list[int]:
        k = len(self.classes)
        if k <= max_classes:
            return list(range(k))
        off = self.counts - np.diag(np.diag(self.counts))
        involvement = off.sum(0) + off.sum(1)  # mistakes a class takes part in, either way
        return sorted(np.argsort(-involvement, kind="stable")[:max_classes].tolist())

    # -- view --------------------------------------------------------------------------------
    def _build_grid(self) -> None:
        import ipywidgets as W

        v = self.visible_classes
        n = len(v)
        cell_px = 46 if n <= 10 else 34
        cell = f"{cell_px}px"
        # Every widget is a model the browser must create and keep in sync, and JupyterLab loses cell
        # replies when one output holds a few hundred of them. So the cells share their layouts (two: plain
        # and selected) and their styles (one per colour level, see _refresh_grid), the headers share one
        # layout per column width and one style: 151 models for 10 classes instead of 383.
        # Only the buttons are per cell, because only they must say which cell was clicked.
        old = list(self.grid.children)  # after a class-filter change: the cells, headers and what they shared
        if self.buttons:
            old += [*self._cell_layouts.values(), *self._cell_styles.values(), *self._head_shared]
        self._cell_layouts = {False: W.Layout(width=cell, height="30px", padding="0px"),
                              True: W.Layout(width=cell, height="30px", padding="0px", border="2px solid crimson")}
        self._cell_styles = {}
        html_style = W.HTML.class_traits()["style"].klass()
        name_layout, side_layout = W.Layout(width=cell), W.Layout(width="70px")
        # a long class name ("cassette player") is cut to the cell's width; the full name is its tooltip
        head = lambda text: W.HTML(f"<div title='{esc(text)}' style='font-size:11px;text-align:center;"
                                   f"overflow:hidden;text-overflow:ellipsis;white-space:nowrap'>{esc(text)}</div>",
                                   layout=name_layout, style=html_style)
        children = [W.HTML("<small>true ↓ pred →</small>", layout=side_layout, style=html_style)]
        children += [head(self.classes[j]) for j in v]
        self.buttons = {}
        for i in v:
            children.append(W.HTML(f"<div style='font-size:11px;line-height:1.1'>{esc(self.classes[i])}</div>",
                                   layout=side_layout, style=html_style))
            for j in v:
                b = W.Button(layout=self._cell_layouts[False], style=self._cell_style(0.0))
                b.on_click(lambda _, i=i, j=j: self.select(i, j))
                self.buttons[(i, j)] = b
                children.append(b)
        self.grid.layout.grid_template_columns = f"70px repeat({n}, {cell})"
        self.grid.layout.flex = "0 0 auto"
        self.grid.layout.width = f"{70 + n * (cell_px + 1)}px"    # columns + 1 px gaps: never squeezed
        self.grid.children = children
        self._refresh_grid()
        self._head_shared = [html_style, name_layout, side_layout]
        for w in old:       # the replaced cells and headers are not shown any more: free their models
            w.close()

    _LEVELS = 16   # colour levels of the cells: enough to read the matrix, few enough to share their styles

    def _cell_style(self, level: float):
        """The shared ButtonStyle of a cell whose value is ``level`` (0 to 1) of the largest, in _LEVELS steps."""
        import ipywidgets as W
        from matplotlib import colormaps
        from matplotlib.colors import to_hex

        step = round(level * (self._LEVELS - 1))
        if step not in self._cell_styles:
            frac = step / (self._LEVELS - 1)
            text = {"text_color": "white" if frac > 0.5 else "black"}   # ipywidgets 7 has no text colour
            self._cell_styles[step] = W.ButtonStyle(button_color=to_hex(colormaps["Blues"](0.1 + 0.8 * frac)),
                                                    **(text if "text_color" in W.ButtonStyle.class_traits() else {}))
        return self._cell_styles[step]

    def _refresh_grid(self) -> None:
        cm, v = self.matrix, self.visible_classes
        top = cm.max() if cm.max() > 0 else 1
        normalized = _NORMALIZE[self.normalize.value] is not None
        for a, i in enumerate(v):
            for b, j in enumerate(v):
                val = cm[a, b]
                btn = self.buttons[(i, j)]
                btn.description = f"{val:.2f}" if normalized else str(int(val))
                btn.style = self._cell_style(val / top)
                btn.tooltip = f"true {self.classes[i]}, predicted {self.classes[j]}: {_images(int(self.counts[i, j]))}"
                btn.layout = self._cell_layouts[self.selected == (i, j)]

    def select(self, true: int, pred: int) -> "ConfusionMatrixWidget":
        """Select cell ``(true, pred)`` (what a click does): show its images, most confident first."""
        k = len(self.classes)
        if not (0 <= true < k and 0 <= pred < k):
            raise ValueError(f"cell ({true}, {pred}) is outside the {k}x{k} matrix")
        self.selected = (int(true), int(pred))
        idx = cell_indices(self.targets, self.probs, true, pred)
        self.shown_indices = idx[: self.max_images]
        t, p = esc(self.classes[true]), esc(self.classes[pred])
        kind = "correct" if true == pred else "mistakes"
        self.info.value = (f"<b>true {t} → predicted {p}</b> ({kind}): {_images(len(idx))}"
                           + (f"; showing the {len(self.shown_indices)} most confident" if len(idx) else ""))
        if len(self.shown_indices):
            conf = self.probs[self.shown_indices, pred]
            titles = [f"#{i} p={c:.2f}" for i, c in zip(self.shown_indices, conf)]
            self.gallery.value = gallery_png([(None, self.images[torch.as_tensor(self.shown_indices)], titles)])
            self.gallery.layout.display = ""
        else:
            self.gallery.layout.display = "none"
        if (true, pred) in self.buttons:
            self._refresh_grid()
        return self
