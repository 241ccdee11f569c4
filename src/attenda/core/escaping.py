"""Escaping for the HTML Attenda writes in Python rather than in templates: the inbox rows and the
plain form widgets, a thousand values a page."""

import html


def escape(value: object) -> str:
    """As Django's ``conditional_escape``: text already marked safe is kept, anything else is
    escaped by the standard library's ``html.escape``, which Django's own escaping calls. Django's
    wrapper around it (for lazy text) cost as much again as the escaping itself."""
    as_html = getattr(value, "__html__", None)
    if as_html is not None:
        return as_html()
    return html.escape(str(value))
