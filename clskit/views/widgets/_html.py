"""The one way a widget puts text it did not write into HTML.

ipywidgets renders an ``HTML`` widget's value with ``innerHTML``, so a class name, a file name or a
message built from them (class names come from folder names, and folder names from downloaded
archives) would otherwise run as markup: a class folder named ``<img src=x onerror=...>`` would run
script in the notebook, which can drive the kernel. Every widget passes such text through
:func:`esc` before it reaches an HTML value, or an attribute inside one (``title=``, ``alt=``).

Widget traits that ipywidgets shows as plain text (``description``, ``tooltip``, option labels of a
``Dropdown``, with ``description_allow_html`` left False) are set as they are: escaping them would
show ``&lt;`` to the learner.
"""
from __future__ import annotations

import html


def esc(text) -> str:
    """``text`` (any object, as ``str``) safe inside an HTML value or a quoted attribute.

    Example:
        >>> esc("<img src=x onerror=alert(1)>")
        '&lt;img src=x onerror=alert(1)&gt;'
        >>> esc("St John's wort")
        'St John&#x27;s wort'
    """
    return html.escape(str(text), quote=True)
