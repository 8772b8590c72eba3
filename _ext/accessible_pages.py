"""Two corrections to the HTML that the theme and docutils write, for screen readers.

- docutils marks the bibliography as ``role="list"`` holding entries with the
  deprecated ``role="doc-biblioentry"``, and sphinxcontrib-bibtex puts anchors
  among them, which a list may not contain (axe-core: aria-required-children,
  aria-deprecated-role). The entries are plain blocks with their own ids, so
  both roles go.
- The theme's primary sidebar holds the course title and the search button
  outside any landmark (axe-core: region). It becomes a named region, so every
  part of the page belongs to a landmark.

Both run when the build finishes, on every page written.
"""

from __future__ import annotations

from pathlib import Path

_REPLACEMENTS = (
    ('<div role="list" class="citation-list">', '<div class="citation-list">'),
    (' role="doc-biblioentry"', ""),
    (
        '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">',
        '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar" role="region" aria-label="Course">',
    ),
)


def _rewrite(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        changed = text
        for old, new in _REPLACEMENTS:
            changed = changed.replace(old, new)
        if changed != text:
            page.write_text(changed, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _rewrite)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
