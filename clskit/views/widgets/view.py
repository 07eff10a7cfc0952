"""The one display protocol of the kit's widgets: :class:`WidgetView`.

A widget builds its controls and one root box, ``self.widget``; Jupyter shows the object through
``_repr_mimebundle_``, which returns the root box's bundle. A widget is thus shown by
``display(w)`` or as the last expression of a cell, like any ``ipywidgets`` widget. The bundle is
:func:`clskit.views.widgets._display.widget_bundle`: the live widget view plus a static HTML copy of what
the widget shows, for pages and front ends without a kernel (the course website, GitHub, Colab's
older widget support). It is built here, not by ipywidgets, so that ipywidgets 7 and 8 send the same.
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
        from clskit.views.widgets._display import widget_bundle

        return widget_bundle(self.widget)
