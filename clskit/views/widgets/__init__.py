"""ipywidgets views (the only package that draws interactive widgets).

Each widget is a thin view over data computed elsewhere, built once and updated through its
properties, and can be driven from plain Python in tests. ipywidgets is imported when a widget
is built, so importing this package stays light.
"""
from __future__ import annotations

import importlib

from clskit.views.widgets.curves import LiveCurvesWidget, StaticCurves, curves_view, has_widget_frontend

# every widget of the kit, by module (loaded on first use)
_WIDGETS = {
    "ConfusionMatrixWidget": "confusion", "ThresholdWidget": "threshold",
    "MultiLabelThresholdWidget": "threshold", "ReportWidget": "report", "AugmentPlayground": "augment",
    "CAMViewer": "cam", "FeatureMapViewer": "features", "ModelPicker": "model_picker", "ProfileTable": "profile",
    "PhotoClassifier": "upload",
}

__all__ = ["LiveCurvesWidget", "StaticCurves", "curves_view", "has_widget_frontend", *_WIDGETS]


def __getattr__(name: str):
    if name in _WIDGETS:
        return getattr(importlib.import_module(f".{_WIDGETS[name]}", __name__), name)
    raise AttributeError(f"module 'clskit.views.widgets' has no attribute {name!r}")
