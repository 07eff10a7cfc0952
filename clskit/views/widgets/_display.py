"""How every clskit widget is displayed: the live widget, and beside it a static copy of what it shows.

A widget's output holds two views: the widget (``application/vnd.jupyter.widget-view+json``), which a
front end with a kernel and widget support renders and the controls move, and ``text/html``: the images,
tables and text the widget shows at the moment it is displayed (its default setting), with each control's
setting written out. A page without a kernel (the course website, GitHub, nbviewer) or a front end without
widget support shows the static copy, so the lesson reads completely without the widget.

Every widget class is a :class:`~clskit.views.widgets.view.WidgetView`, whose ``_repr_mimebundle_`` returns
:func:`widget_bundle`. The bundle is built here rather than by ipywidgets, whose ``_repr_mimebundle_`` exists only in ipywidgets 8
(7, Colab's, displays through ``_ipython_display_``); both versions read the same widget-view message.
"""
from __future__ import annotations

import base64
import html

from clskit.views.png import lighter_image

STATIC_NOTE = ("<p style='font-size:12px;color:#666;margin:0 0 4px'>A static view of this widget at its default setting; "
               "run the notebook to move its controls.</p>")


def widget_bundle(widget) -> dict:
    """The display data of an ipywidgets ``widget``: plain text, its static view and the widget view.

    Example:
        >>> import ipywidgets as W
        >>> bundle = widget_bundle(W.VBox([W.HTML("<b>hi</b>"), W.IntSlider(3, description="n")]))
        >>> sorted(bundle)
        ['application/vnd.jupyter.widget-view+json', 'text/html', 'text/plain']
        >>> "<b>hi</b>" in bundle["text/html"] and "n: 3" in bundle["text/html"]
        True
    """
    plain = repr(widget)
    return {"text/plain": plain if len(plain) <= 110 else plain[:110] + "…",
            "text/html": f"<div class='clskit-static-widget'>{STATIC_NOTE}{static_html(widget)}</div>",
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                         "model_id": widget.model_id}}


def tooltip(text: str) -> dict:
    """Keyword argument for the hover text of a slider or dropdown: ``tooltip`` in ipywidgets 8,
    ``description_tooltip`` in 7 (8 still accepts it, with a deprecation warning).

    Example:
        >>> sorted(tooltip("max rotation"))[0] in ("description_tooltip", "tooltip")
        True
    """
    import ipywidgets

    return {"description_tooltip" if ipywidgets.__version__.startswith("7.") else "tooltip": text}


def static_html(widget) -> str:
    """HTML of what ``widget`` shows now: boxes as flex or grid rows, images inline, HTML as it is, and each
    control as ``description: value``. Hidden parts (``layout.display = "none"``) are left out."""
    import ipywidgets as W

    layout = getattr(widget, "layout", None)
    if layout is not None and (layout.display == "none" or layout.visibility == "hidden"):
        return ""
    if isinstance(widget, W.GridBox):
        columns = widget.layout.grid_template_columns or "repeat(auto-fill, minmax(40px, auto))"
        inner = "".join(static_html(c) for c in widget.children)
        return f"<div style='display:grid;grid-template-columns:{columns};gap:1px'>{inner}</div>"
    if isinstance(widget, W.Box):
        direction = "column" if isinstance(widget, W.VBox) else "row"
        inner = "".join(static_html(c) for c in widget.children)
        return (f"<div style='display:flex;flex-direction:{direction};flex-wrap:wrap;gap:4px 12px;"
                f"align-items:flex-start'>{inner}</div>")
    if isinstance(widget, W.Image):
        if not widget.value:
            return ""
        fmt, raw = lighter_image(widget.format, bytes(widget.value))
        data = base64.b64encode(raw).decode("ascii")
        width = f"width:{layout.width};" if layout.width else ""  # never wider than the page's column
        return f"<img alt='' src='data:image/{fmt};base64,{data}' style='{width}max-width:100%;height:auto'>"
    if isinstance(widget, (W.HTML, W.HTMLMath)):
        return f"<div>{widget.value}</div>"
    if isinstance(widget, W.Label):
        return f"<div>{html.escape(widget.value)}</div>"
    if isinstance(widget, W.Button):
        colour = widget.style.button_color or "#eee"
        return (f"<div title='{html.escape(widget.tooltip or '', quote=True)}' style='background:{colour};"
                f"width:{layout.width or 'auto'};padding:4px 6px;text-align:center;font-size:12px'>"
                f"{html.escape(widget.description)}</div>")
    if isinstance(widget, W.FileUpload):
        return f"<div><b>{html.escape(widget.description)}</b>: (upload files in a running notebook)</div>"
    if isinstance(widget, W.Output):
        return "".join(_output_html(o) for o in widget.outputs)
    if isinstance(widget, W.ValueWidget):
        value = getattr(widget, "label", None) if hasattr(widget, "options") else widget.value
        if isinstance(value, (tuple, list)):
            value = ", ".join(map(str, value))
        if isinstance(widget, (W.IntProgress, W.FloatProgress)):
            value = f"{widget.value}/{widget.max}"
        name = getattr(widget, "description", "") or ""
        shown = html.escape(f"{name}: {value}" if name else str(value))
        return f"<div style='font-size:13px;color:#333'>{shown}</div>"
    return ""


def _output_html(output: dict) -> str:
    """One output of an ``ipywidgets.Output`` as HTML (rich data first, then text)."""
    data = output.get("data", {})
    if "text/html" in data:
        return data["text/html"]
    if "image/png" in data:
        return f"<img alt='' src='data:image/png;base64,{data['image/png']}' style='max-width:100%'>"
    text = output.get("text") or data.get("text/plain", "")
    return f"<pre>{html.escape(text)}</pre>" if text else ""
