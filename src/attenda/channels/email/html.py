"""HTML of incoming mail: sanitised for showing to an agent (nh3), and read as plain text for
search, language detection and mails that only have HTML."""

import re
from collections.abc import Iterator
from html import escape, unescape

import nh3

_TAGS = nh3.ALLOWED_TAGS | {"font", "tfoot"}
_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "*": {"style", "dir", "lang", "title", "align", "valign", "width", "height"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "bgcolor", "align", "summary"},
    "td": nh3.ALLOWED_ATTRIBUTES["td"] | {"bgcolor", "nowrap"},
    "th": nh3.ALLOWED_ATTRIBUTES["th"] | {"bgcolor", "nowrap"},
    "tr": nh3.ALLOWED_ATTRIBUTES["tr"] | {"bgcolor"},
}
# Properties that can only style; anything able to load a URL (background, list-style-image,
# border-image, content, cursor...) is left out so a style attribute cannot fetch a tracker.
_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "font-variant",
    "line-height",
    "letter-spacing",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "white-space",
    "word-spacing",
    "vertical-align",
    "direction",
    "margin",
    "margin-top",
    "margin-right",
    "margin-bottom",
    "margin-left",
    "padding",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
    "border",
    "border-top",
    "border-right",
    "border-bottom",
    "border-left",
    "border-color",
    "border-style",
    "border-width",
    "border-collapse",
    "border-spacing",
    "width",
    "height",
    "max-width",
    "min-width",
    "display",
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
_REMOTE_IMAGE_SRC = re.compile(r'(<img\b[^>]*?\s)src="(https?:[^"]*)"', re.IGNORECASE)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # data: URLs are kept for inline images only: a data: link could carry a whole page.
    if value[:5].lower() == "data:" and not (tag == "img" and attribute == "src"):
        return None
    return value


def sanitise_html(html: str) -> str:
    """``html`` without scripts, styles sheets, event handlers or anything that loads from the
    network: a remote image keeps its address in ``data-remote-src`` (so the agent can choose to
    load it) and no ``src``; ``cid:`` references stay for the caller to map to attachments."""
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style", "title"},
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=_URL_SCHEMES,
        url_relative="deny",
        filter_style_properties=_STYLE_PROPERTIES,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return _REMOTE_IMAGE_SRC.sub(r'\1data-remote-src="\2"', cleaned).strip()


def text_to_html(text: str) -> str:
    """Plain text as HTML that keeps its line breaks, for mails that mix text and HTML parts."""
    return f'<div style="white-space: pre-wrap">{escape(text)}</div>'


# Tags kept while reading the text out of HTML: the ones that start a new line or a cell.
_TEXT_BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "nav",
    "ol",
    "p",
    "section",
    "table",
    "tr",
    "ul",
}
_TEXT_TAGS = _TEXT_BLOCKS | {"br", "pre", "td", "th"}
_PREFORMATTED = re.compile(r"(<pre>.*?</pre>)", re.DOTALL)
_WHITE_SPACE = re.compile(r"[ \t\r\n\f]+")
_BREAK = re.compile(r"<br>")
_BLOCK_TAG = re.compile("</?(?:" + "|".join(sorted(_TEXT_BLOCKS | {"pre"})) + ")>")
_BLOCK_RUN = re.compile(r"[ \t\r\n]*\x01[ \t\r\n\x01]*")
_CELL_TAG = re.compile(r"</?t[dh]>")
_ANY_TAG = re.compile(r"<[^>]*>")
_SPACES_AROUND_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_MANY_BREAKS = re.compile(r"\n{3,}")


def _visible(markup: str, preformatted: bool) -> str:
    if not preformatted:
        markup = _WHITE_SPACE.sub(" ", markup)
    markup = _BREAK.sub("\n", markup)
    # A run of block boundaries is one line break: <li> and </li> do not make an empty line.
    markup = _BLOCK_RUN.sub("\n", _BLOCK_TAG.sub("\x01", markup))
    markup = _CELL_TAG.sub(" ", markup)
    text = unescape(_ANY_TAG.sub("", markup)).replace("\xa0", " ")
    return text if preformatted else _SPACES_AROUND_BREAK.sub("\n", text)


# re.sub keeps every piece of its result in a list until the end, so long HTML is read in
# slices of this size (cut after a ">", never inside a tag) to keep memory bounded.
_SLICE = 1 << 18


def _slices(markup: str) -> Iterator[str]:
    start = 0
    while start < len(markup):
        end = markup.find(">", start + _SLICE)
        end = len(markup) if end < 0 else end + 1
        yield markup[start:end]
        start = end


def html_to_text(html: str) -> str:
    """The text a reader sees in ``html``: blocks on their own lines, at most one empty line in a
    row, non-breaking spaces as spaces. nh3 first reduces the HTML to the few tags that shape
    lines (in Rust, so a 25 MB newsletter takes seconds, not minutes); regular expressions do
    the rest on its normalised output."""
    simplified = nh3.clean(
        html,
        tags=_TEXT_TAGS,
        clean_content_tags={"script", "style", "title", "template"},
        attributes={},
        link_rel=None,
    )
    out: list[str] = []
    trailing_breaks = 0
    for index, piece in enumerate(_PREFORMATTED.split(simplified)):
        for markup in _slices(piece):
            text = _MANY_BREAKS.sub("\n\n", _visible(markup, preformatted=index % 2 == 1))
            # Slices are read apart, so the breaks where two meet are counted together.
            leading = len(text) - len(text.lstrip("\n"))
            text = text[max(0, leading - max(0, 2 - trailing_breaks)) :] if leading else text
            if text:
                out.append(text)
                stripped = text.rstrip("\n")
                trailing_breaks = (
                    len(text) - len(stripped) if stripped else trailing_breaks + len(text)
                )
    return "".join(out).strip()


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
# Elements that never nest: void ones, and those whose end tag may be left out (the next one closes
# them), which old hand-written HTML often does a few thousand times in a long list.
_NOT_NESTING = frozenset(
    {
        *("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"),
        *("source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option"),
        *("optgroup", "thead", "tbody", "tfoot", "colgroup", "rt", "rp"),
    }
)


def nesting_depth(html: str, *, stop_at: int) -> int:
    """How deep elements nest in ``html`` (counted up to ``stop_at``). The sanitiser's time grows
    with the square of the depth: 20,000 nested ``<div>`` take 9 s, 100,000 minutes."""
    if html.count("<") <= stop_at:
        return min(html.count("<"), stop_at)  # not enough tags to nest deeper: nothing to scan
    depth = deepest = 0
    for found in _TAG.finditer(html):
        closing, name, rest = found.groups()
        if closing:
            if depth:
                depth -= 1
        elif not rest.endswith("/") and name.lower() not in _NOT_NESTING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest >= stop_at:
                    break
    return deepest
