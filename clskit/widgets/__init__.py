"""ipywidgets views (the only package that draws interactive widgets).

Each widget is a thin view over data computed elsewhere, built once and updated through its
properties, and can be driven from plain Python in tests. ipywidgets is imported when a widget
is built, so importing this package stays light.
"""
from __future__ import annotations

from .curves import LiveCurvesWidget, StaticCurves, curves_view, has_widget_frontend

__all__ = ["LiveCurvesWidget", "StaticCurves", "curves_view", "has_widget_frontend"]
