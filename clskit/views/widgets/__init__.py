"""ipywidgets views (the only package that draws interactive widgets).

Each widget is a thin view over data computed elsewhere, built once and updated through its
properties, and can be driven from plain Python in tests. ipywidgets is imported when a widget
is built, so importing this package stays light.
"""
from __future__ import annotations


from clskit import _lazy_submodules
from clskit.views.widgets.curves import LiveCurvesWidget, StaticCurves, curves_view, has_widget_frontend

# every widget of the kit, by module (loaded on first use)
_WIDGETS = {
    "ConfusionMatrixWidget": "confusion", "ThresholdWidget": "threshold",
    "MultiLabelThresholdWidget": "threshold", "ReportWidget": "report", "AugmentPlayground": "augment",
    "CAMViewer": "cam", "FeatureMapViewer": "features", "ModelPicker": "model_picker", "ProfileTable": "profile",
    "PhotoClassifier": "upload",
}

__all__ = ["LiveCurvesWidget", "StaticCurves", "curves_view", "has_widget_frontend", *_WIDGETS]


__getattr__, __dir__ = _lazy_submodules(__name__, __path__, _WIDGETS)  # widgets and modules, on first use
