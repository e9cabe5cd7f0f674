"""The text of an HTML fragment (a feed entry's summary): tags dropped, entities decoded, whitespace collapsed.

Read with the standard library's HTML parser (a tokenizer that copes with broken markup), not regular
expressions: `<` inside attributes, comments and CDATA would fool a pattern.
"""

from __future__ import annotations

from html.parser import HTMLParser

# elements whose edges separate words: "<p>Tin</p><p>bài</p>" reads "Tin bài", not "Tinbài"
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img", "li", "main", "nav", "ol", "p", "pre", "section",
    "table", "td", "th", "tr", "ul",
})
HIDDEN = frozenset({"script", "style", "template", "noscript"})  # their content is not text a reader sees


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """The words of `fragment` separated by single spaces."""
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())
