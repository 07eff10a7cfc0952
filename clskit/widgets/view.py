"""The one display protocol of the kit's widgets: :class:`WidgetView`.

A widget builds its controls and one root box, ``self.widget``; Jupyter shows the object through
``_repr_mimebundle_``, which returns the root box's bundle. A widget is thus shown by
``display(w)`` or as the last expression of a cell, like any ``ipywidgets`` widget, and a richer
bundle (a static fallback for pages without a widget manager) is added here once for all widgets.
"""
from __future__ import annotations


class WidgetView:
    """Base class of every clskit widget: displayed as its root box ``self.widget``.

    Example:
        >>> import ipywidgets as W
        >>> class Hello(WidgetView):
        ...     def __init__(self):
        ...         self.widget = W.VBox([W.HTML("hello")])
        >>> "application/vnd.jupyter.widget-view+json" in Hello()._repr_mimebundle_()
        True
    """

    widget: object   # the root ipywidgets box, built in the subclass's __init__

    def _repr_mimebundle_(self, **kwargs) -> dict:
        return self.widget._repr_mimebundle_(**kwargs)
