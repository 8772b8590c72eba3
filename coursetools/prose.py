"""Every number in a chapter's text is printed by a cell of its section, or by the source it cites.

The check is static: it reads the stored notebooks and executes nothing.

A *number* here is a percentage (``85 %``, ``2.5%``, ``70 percent``), a
decimal (``0.848``, ``15.942``) or an integer (``330``, ``10,000``) in a
markdown cell before the chapter's exercises section. Integers inside
``$...$`` mathematics (an exponent, the 2 of a square) are part of a formula,
not a claim, and are not read; decimals there are.

Sections
--------
A markdown heading (``#`` to ``######``, outside fenced blocks) starts a
section, which runs to the next heading of any level. A number in a section
is read against the outputs of the code cells of *that* section that stand
before the sentence, never against outputs elsewhere in the chapter: a value
that happens to be printed three sections away binds nothing.

What binds a number
-------------------
A number is

- *bound* when a stored output of an earlier code cell of its section (a
  printed line, a table, a repr) prints it: the same value, or one with more
  decimals that rounds to it (the text's ``0.32`` is bound by a printed
  ``0.322``, ``about 710`` by ``709.78``);
- a percentage binds only to a printed percentage or to a printed fraction
  equal to it: ``14%`` to ``14.2%`` or ``0.142``, ``0.7%`` to ``0.7 %`` or
  ``0.007``, never to a printed ``0.7`` or ``0.706``; a number without a
  percent sign binds only to printed numbers without one;
- *cited* when it quotes another section or another chapter and names its
  source: a MyST ``{ref}`` or ``{numref}`` in the same paragraph (a table row
  and a list item are paragraphs of their own; a displayed ``$$`` formula
  belongs to the paragraph around it) points to a label, and the labelled
  source prints the number;
- a *constant* when its value stands in the source of one of the chapter's
  code cells: a setting the chapter chooses (a learning rate, a momentum, a
  delta, a number of seeds), which the text may quote because the code it
  describes sets it (``100_000`` in code is the constant 100,000). A year (an
  integer from 1800 to 2099) is a constant too, and so are the two training
  settings that every chapter shares and no experiment chooses, where the text
  names them by their setting word: ``momentum 0.9``, ``batches of 32``,
  ``batch size 32``. A learning rate or a number of epochs is not exempt: the
  chapters choose those, so the text quotes them from a cell or from the code.

Labels
------
A markdown line ``(some-label)=`` labels what follows it:

- if it is the last line of a markdown cell and a code cell follows, the
  label names that code cell's outputs;
- if it precedes a heading (in the same cell, or as the last line of a cell
  whose next cell opens with the heading), it names that heading's section:
  the outputs of every code cell from the heading to the next heading of the
  same or a higher level (its subsections included).

A figure's name in a code cell's metadata (``mystnb.figure.name``, the target
of ``{numref}``) labels that cell's outputs too. A label placed anywhere else
(before a paragraph or a table, or a directive's ``:name:``) is a valid
cross-reference target but names no outputs, and so cannot bind a number.
Labels are unique across the book (a label defined twice is reported), and
a ``{ref}`` may point into another chapter of the same ``chapters/`` folder.
Write the reference with an explicit title when the label is not on a
heading: ``{ref}`the cell below <kl-grid>```.

Skipped, as neither a result nor a setting: a version, a section, a chapter,
a part or a figure number (``version 1.2``, ``section 4.1``, ``chapter 7``,
``chapters 6 to 9``), and a page of a cited book (``p. 82``, ``pp. 131-132``).

Any other number is *unbound*: the text claims something that no earlier
cell of its section shows, and cites no source that does. ``make check``
names the chapter, the cell, the sentence and the number, and, for a cited
number, the label: either the label cannot be found, names no outputs, or
its source does not print the number. When a cell changes what it prints,
the text that quotes the old value becomes unbound. A number the text needs
that is neither (a figure from a paper, a mathematical fact, the size of a
data set that the library chooses) belongs in a cell that prints it, so that
the reader can see it checked. A statement in words ("three times", "a factor
of two") is not read: the chapters either print the ratio they state or do
not state one.

The markdown pages of ``chapters/`` (the introduction, the glossary, the
instructors' guide) have no code cells: every number on them that quotes a
result cites it with a ``{ref}`` to a label whose source prints it. Their
constants are the values set by any chapter's code (a setting the chapters
share, such as a momentum) and by the course's tools in ``coursetools/`` (the
grader's limits, which the instructors' guide documents).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from coursetools.course import exercises_heading, read

__all__ = [
    "NUMBER",
    "Numbers",
    "chapter_numbers",
    "prose_problems",
    "page_problems",
    "output_text",
    "book_labels",
    "label_places",
]

#: A percentage, a decimal or an integer standing as a token of its own (not part of a name, a version or a
#: longer number); an integer may group its thousands with commas (``10,000``). The percentage comes first, so
#: that ``0.7%`` is read as a percentage and not as the decimal 0.7.
NUMBER = re.compile(
    r"(?<![\w.^_{\\,-])"
    r"(\d+(?:\.\d+)?(?:[ \u00a0\u202f]?%|[ \u00a0]per[ \u00a0]?cent\b)(?!\w)"  # a percentage may end a sentence
    r"|(?:\d+\.\d+|\d{1,3}(?:,\d{3})+|\d+)(?![\w%]|\.\w|\d|,\d))"  # so may a number: "is 0.409."
)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)|\{(?:doc|ref|numref|cite:[pt]|eq)\}`[^`]*`")
_DIRECTIVE_OPTION = re.compile(r"^:[\w-]+:.*$", re.MULTILINE)
_PAGES = re.compile(r"\bpp?\.\s*\d+(?:\s*[-\u2013]\s*\d+)?")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL)
_REF = re.compile(r"\{(?:ref|numref)\}`([^`]*)`")
_REF_TARGET = re.compile(r"<([^<>]+)>\s*$")

_HEADING_LINE = re.compile(r"^(#{1,6})\s+\S")
_LABEL_LINE = re.compile(r"^\(([^()\s]+)\)=\s*$")
_NAME_OPTION = re.compile(r"^:name:\s*(\S+)\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})")
#: Where a paragraph ends inside a block of lines: a table row and a list item stand on their own.
_OWN_PARAGRAPH = re.compile(r"^\s*(\||[-*+]\s|\d+[.)]\s)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[{$\"'])")

#: A number printed in an output: a decimal or an integer, possibly followed by a percent sign.
_PRINTED = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?![\d.])|\d+\.\d+|\d+)(?:(\s?%)(?!\w)|(?![\w%]|\.\w|\d))")
_NOT_A_RESULT = re.compile(
    r"\b(version|versions|section|sections|python|chapter|chapters|part|figure)\s*$"
    r"|\b(sections|chapters|parts)\s+\d+\s*(?:to|and|-|\u2013)\s*$",  # the end of a range, "chapters 6 to 9"
    re.IGNORECASE,
)
_YEARS = range(1800, 2100)
#: The training settings every chapter shares and no experiment chooses, named by their setting word
#: ("momentum 0.9", "batches of 32", "batch size 32"): a setting, not a result, wherever the text names it.
_FIXED_SETTING = re.compile(r"\b(momentum|batch size|batches of)\s*(?:of|=|is)?\s*\$?\s*$", re.IGNORECASE)


def _normal(token: str) -> str:
    """The token's digits: a percentage as ``85%`` (``85 %``, ``85 percent``), no commas."""
    token = re.sub(r"[ \u00a0]?per[ \u00a0]?cent$", "%", token)
    return token.replace(" ", "").replace("\u202f", "").replace("\u00a0", "").replace(",", "")


def _decimals(digits: str) -> int:
    return len(digits.split(".")[1]) if "." in digits else 0


def _printed(text: str) -> tuple[set[tuple[Decimal, int]], set[tuple[Decimal, int]]]:
    """The numbers an output prints, with their decimals: (plain numbers, percentages)."""
    plain, percent = set(), set()
    for match in _PRINTED.finditer(text):
        digits = match.group(1).replace(",", "")
        (percent if match.group(2) else plain).add((Decimal(digits), _decimals(digits)))
    return plain, percent


def _rounds_to(value: Decimal, decimals: int, target: Decimal, places: int) -> bool:
    return decimals >= places and value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) == target


def _is_printed(token: str, plain, percent) -> bool:
    """Whether the printed numbers bind ``token``: a percentage by a percentage or an equal fraction, any other
    number by a number printed without a percent sign."""
    digits = token.rstrip("%")
    target, places = Decimal(digits), _decimals(digits)
    if token.endswith("%"):
        return any(_rounds_to(v, d, target, places) for v, d in percent) or any(
            _rounds_to(v * 100, max(d - 2, 0), target, places) for v, d in plain if v <= 1
        )
    return any(_rounds_to(v, d, target, places) for v, d in plain)


#: A Python number literal that groups its digits with underscores (``100_000``).
_UNDERSCORED = re.compile(r"(?<![\w.])\d{1,3}(?:_\d{3})+(?![\w.])")


def _values(text: str) -> set[Decimal]:
    """The numbers in a text; in code, ``100_000`` is 100,000."""
    found = {Decimal(m.group(1).replace(",", "")) for m in _PRINTED.finditer(text)}
    return found | {Decimal(m.group(0).replace("_", "")) for m in _UNDERSCORED.finditer(text)}


def output_text(cell) -> str:
    """The text a code cell prints: streams, plain-text and markdown results, error values (no HTML markup)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            text = output.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        for key, value in output.get("data", {}).items():
            if isinstance(value, list):
                value = "".join(value)
            if key.startswith("text/") and key != "text/html" and isinstance(value, str):
                parts.append(value)
        if output.get("output_type") == "error":
            parts.append(str(output.get("evalue", "")))
    return "\n".join(parts)


def _blank(match: re.Match) -> str:
    """Spaces in place of a match, its line breaks kept: positions in the text stay positions in the source."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _prose(source: str) -> str:
    """A markdown text without code spans, links, cross-reference targets, directive options and pages, each
    replaced by as many spaces, so that a position in the result is the same position in ``source``."""
    text = _CODE_SPAN.sub(_blank, source)
    text = _LINK_TARGET.sub(_blank, text)
    text = _DIRECTIVE_OPTION.sub(_blank, text)
    return _PAGES.sub(_blank, text)


def _math_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _MATH.finditer(text)]


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


# ---------------------------------------------------------------------------
# The structure of a markdown text: its lines, headings, labels and paragraphs
# ---------------------------------------------------------------------------


@dataclass
class _Line:
    start: int
    text: str
    fenced: bool  # inside a fenced block (code, a directive's body): no heading, no label


def _lines(source: str) -> list[_Line]:
    lines, offset, fence = [], 0, None
    for text in source.split("\n"):
        opening = _FENCE.match(text)
        if fence is None:
            lines.append(_Line(offset, text, False))
            if opening:
                fence = opening.group(1)
        else:
            lines.append(_Line(offset, text, True))
            if (
                opening
                and opening.group(1)[0] == fence[0]
                and len(opening.group(1)) >= len(fence)
                and not text.strip()[len(opening.group(1)) :].strip()
            ):
                fence = None
        offset += len(text) + 1
    return lines


def _heading(line: _Line) -> int | None:
    if line.fenced:
        return None
    match = _HEADING_LINE.match(line.text)
    return len(match.group(1)) if match else None


def _label(line: _Line) -> str | None:
    if line.fenced:
        return None
    match = _LABEL_LINE.match(line.text.strip())
    return match.group(1) if match else None


def _paragraphs(source: str) -> list[tuple[int, int]]:
    """The (start, end) of every paragraph: lines between blank lines; a heading and a table row are paragraphs
    of one line, a list item one of its own. A displayed formula (``$$ ... $$``) belongs to the sentence around
    it: the blank lines that set it off do not end the paragraph."""
    spans, start, end = [], None, None
    lines = _lines(source)
    texts = [line.text.strip() for line in lines]

    def beside_display(k: int) -> bool:
        before = next((t for t in reversed(texts[:k]) if t), "")
        after = next((t for t in texts[k + 1 :] if t), "")
        return before.endswith("$$") or after.startswith("$$")

    for k, line in enumerate(lines):
        blank = not line.text.strip()
        if blank and start is not None and beside_display(k):
            continue
        table_row = not line.fenced and line.text.lstrip().startswith("|")
        opens = blank or (not line.fenced and (_OWN_PARAGRAPH.match(line.text) or _heading(line)))
        if opens and start is not None:
            spans.append((start, end))
            start = None
        if blank:
            continue
        if start is None:
            start = line.start
        end = line.start + len(line.text)
        if table_row or _heading(line):
            spans.append((start, end))
            start = None
    if start is not None:
        spans.append((start, end))
    return spans


def _sentence(source: str, span: tuple[int, int], position: int) -> str:
    """The sentence of ``source[span]`` that holds ``position``, on one line."""
    start, end = span
    for match in _SENTENCE_END.finditer(source, start, end):
        if match.start() < position:
            start = match.end()
        else:
            end = match.start()
            break
    sentence = " ".join(source[start:end].split())
    return sentence if len(sentence) <= 240 else sentence[:237] + "..."


def _ref_label(target: str) -> str:
    match = _REF_TARGET.search(target)
    return (match.group(1) if match else target).strip()


# ---------------------------------------------------------------------------
# A chapter's sections and labels
# ---------------------------------------------------------------------------


@dataclass
class _Target:
    """What a label names: the outputs of some code cells of one document, or nothing a number can rest on."""

    document: str
    what: str  # "cell 12", "section 'Title'", or why it names no outputs
    cells: list[int] | None  # None: names no outputs


@dataclass
class _Chapter:
    """The sections, printed numbers and labels of one notebook."""

    name: str
    cells: list
    printed: dict[int, tuple[set, set]]  # code cell index: what it prints
    section_of_cell: dict[int, int]  # cell index: its section (a markdown cell's: the one it ends in)
    labels: dict[str, _Target]
    doubled: list[str]  # labels defined twice in the document
    constants: set[Decimal]  # the numbers its code sets


class _Reading:
    """What :func:`_model` gathers as it reads a notebook's cells in order."""

    def __init__(self, name: str):
        self.name = name
        self.printed: dict[int, tuple[set, set]] = {}
        self.section_of_cell: dict[int, int] = {}
        self.labels: dict = {}  # label: a _Target, or ("section", id) until every heading is known
        self.doubled: list[str] = []
        self.headings: list[tuple[int, int, str, int]] = []  # (section id, level, title, cell index)
        self.pending: list[str] = []  # labels at the end of the previous markdown cell, waiting for what follows
        self.section = 0

    def settle(self, label: str, target) -> None:
        """Record what ``label`` names; a label defined before is noted as doubled."""
        if label in self.labels:
            self.doubled.append(label)
        self.labels[label] = target

    def code_cell(self, index: int, cell) -> None:
        """What the cell prints and its section; its figure's name and the labels waiting name its outputs."""
        self.section_of_cell[index] = self.section
        self.printed[index] = _printed(output_text(cell))
        figure = (cell.get("metadata", {}).get("mystnb", {}) or {}).get("figure", {}) or {}
        if isinstance(figure, dict) and figure.get("name"):
            self.settle(figure["name"], _Target(self.name, f"cell {index}", [index]))
        for label in self.pending:
            self.settle(label, _Target(self.name, f"cell {index}", [index]))
        self.pending = []

    def markdown_cell(self, index: int, cell) -> None:
        """The cell's headings, labels and paragraphs, line by line; the cell's section is the one it ends in."""
        lines = _lines(_source(cell))
        waiting = self.pending  # labels whose target is the next non-blank line
        self.pending = []
        for line in lines:
            waiting = self.markdown_line(index, line, waiting)
        self.pending = waiting
        self.section_of_cell.setdefault(index, self.section)

    def markdown_line(self, index: int, line, waiting: list[str]) -> list[str]:
        """Read one markdown line of cell ``index``; return the labels still waiting for their target."""
        level = _heading(line)
        if level:
            self.section += 1
            self.headings.append((self.section, level, line.text.lstrip("#").strip(), index))
            for label in waiting:
                self.settle(label, ("section", self.section))  # resolved by resolve_sections()
            return []
        label = _label(line)
        if label:
            waiting.append(label)
            return waiting
        name_option = _NAME_OPTION.match(line.text.strip())
        if name_option:
            self.settle(name_option.group(1), _Target(self.name, "a figure or a directive", None))
        if not line.text.strip():
            return waiting
        for label in waiting:
            self.settle(label, _Target(self.name, "a paragraph, not a heading or a code cell", None))
        return []

    def end_document(self) -> None:
        """The labels still waiting at the end name nothing."""
        for label in self.pending:
            self.settle(label, _Target(self.name, "the end of the document", None))

    def resolve_sections(self) -> None:
        """Each label on a heading names the outputs of that section's code cells, its subsections included."""
        for label, target in list(self.labels.items()):
            if isinstance(target, tuple):
                self.labels[label] = self.section_target(target[1])

    def section_target(self, first: int) -> _Target:
        """The code cells with outputs from heading ``first`` to the next heading of the same or a higher level."""
        level = next(lv for s, lv, _, _ in self.headings if s == first)
        title = next(t for s, _, t, _ in self.headings if s == first)
        last = next((s - 1 for s, lv, _, _ in self.headings if s > first and lv <= level), self.section)
        members = [i for i, s in self.section_of_cell.items() if first <= s <= last and i in self.printed]
        return _Target(self.name, f"section {title!r}", members)


def _model(nb, name: str) -> _Chapter:
    """Read one notebook (``nbformat`` or plain JSON): what each code cell prints, the section of every cell
    (a counter that each heading advances), and what each label names (see the module's docstring)."""
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    reading = _Reading(name)
    for index, cell in enumerate(cells):
        kind = cell.get("cell_type") if isinstance(cell, dict) else cell.cell_type
        if kind == "code":
            reading.code_cell(index, cell)
        elif kind == "markdown":
            reading.markdown_cell(index, cell)
    reading.end_document()
    reading.resolve_sections()
    constants = _values("\n".join(_source(c) for c in cells if c.get("cell_type") == "code"))
    return _Chapter(name, cells, reading.printed, reading.section_of_cell, reading.labels, reading.doubled, constants)


def _read_json(path: Path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


_CACHE: dict[Path, tuple[tuple[int, int], _Chapter]] = {}


def _chapter_model(path: Path) -> _Chapter:
    """The model of the notebook at ``path``, read again only when the file changed."""
    path = path.resolve()
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(path)
    if cached is None or cached[0] != key:
        cached = (key, _model(_read_json(path), path.name))
        _CACHE[path] = cached
    return cached[1]


def book_labels(folder: str | os.PathLike, *, skip: str | None = None) -> dict[str, tuple[_Target, _Chapter]]:
    """Every label of the notebooks and markdown pages in ``folder`` (the book's ``chapters/``), with the chapter
    that defines it; ``skip`` names a notebook to leave out (the one being checked, read from memory)."""
    found: dict[str, tuple[_Target, _Chapter]] = {}
    folder = Path(folder)
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.ipynb")):
        if path.name == skip:
            continue
        chapter = _chapter_model(path)
        for label, target in chapter.labels.items():
            found.setdefault(label, (target, chapter))
    for page in sorted(folder.glob("*.md")):
        chapter = _model({"cells": [{"cell_type": "markdown", "source": page.read_text(encoding="utf-8")}]}, page.name)
        for label in chapter.labels:
            found.setdefault(label, (_Target(page.name, "a page, which prints nothing", None), chapter))
    return found


def label_places(folder: str | os.PathLike) -> dict[str, list[str]]:
    """Every label of the notebooks and markdown pages in ``folder`` (``(label)=`` lines, ``:name:`` options and
    figure names), with the file of each definition: a label defined twice has two entries."""
    places: dict[str, list[str]] = {}
    folder = Path(folder)
    documents = [_chapter_model(path) for path in sorted(folder.glob("*.ipynb"))]
    documents += [
        _model({"cells": [{"cell_type": "markdown", "source": page.read_text(encoding="utf-8")}]}, page.name)
        for page in sorted(folder.glob("*.md"))
    ]
    for chapter in documents:
        for label in [*chapter.labels, *chapter.doubled]:
            places.setdefault(label, []).append(chapter.name)
    return places


# ---------------------------------------------------------------------------
# Sorting the numbers
# ---------------------------------------------------------------------------


@dataclass
class Numbers:
    """The numbers of one chapter's text, sorted by what holds them.

    ``bound``: printed by an earlier cell of the number's section; ``cited``: printed by the source a ``{ref}``
    of its paragraph names (with the label); ``constants``: set by the chapter's code, or a year; ``unbound``:
    none of these, each with the reason in ``reasons`` (same order).
    """

    bound: list[tuple[int, str]] = field(default_factory=list)
    constants: list[tuple[int, str]] = field(default_factory=list)
    unbound: list[tuple[int, str]] = field(default_factory=list)
    cited: list[tuple[int, str, str]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _cite(token: str, labels: list[str], index: dict) -> tuple[str | None, str]:
    """The label among ``labels`` whose source prints ``token``, or None and why none does."""
    why = []
    for label in labels:
        if label not in index:
            why.append(f"label {label!r} cannot be found in the book")
            continue
        target, chapter = index[label]
        if target.cells is None:
            why.append(
                f"label {label!r} ({target.document}) stands before {target.what}, so it names no outputs "
                "(put it on the last line of the markdown cell before the code cell, or before a heading)"
            )
            continue
        plain, percent = set(), set()
        for cell in target.cells:
            plain |= chapter.printed[cell][0]
            percent |= chapter.printed[cell][1]
        if _is_printed(token, plain, percent):
            return label, ""
        why.append(f"label {label!r} names {target.what} of {target.document}, which does not print it")
    return None, "; ".join(why)


def _sort(found: Numbers, index: int, source: str, evidence, labels: dict, heading_reset=None, printers=None) -> None:
    """Sort the numbers of one markdown text into ``found``.

    ``evidence`` is (plain, percent, constants): what the earlier cells of the current section print and what the
    chapter's code sets; ``heading_reset`` is called at each heading of the text and returns the evidence of the
    new section (empty: no cell of it stands before the text). ``labels`` is the book's label index;
    ``printers(token)`` names the cells of the chapter that print a token, for the message.
    """
    plain, percent, constants = evidence
    text = _prose(source)
    math = _math_spans(text)
    paragraphs = _paragraphs(source)
    headings = [line.start for line in _lines(source) if _heading(line)]
    for match in NUMBER.finditer(text):
        token = _normal(match.group(1))
        if _NOT_A_RESULT.search(text[: match.start()]):
            continue
        integer = token.isdigit()
        if integer and any(start <= match.start() < end for start, end in math):
            continue
        if heading_reset is not None and any(h < match.start() for h in headings):
            plain, percent = heading_reset()
        span = next(((s, e) for s, e in paragraphs if s <= match.start() < e), (0, len(source)))
        if _is_printed(token, plain, percent):
            found.bound.append((index, token))
            continue
        if (
            Decimal(token.rstrip("%")) in constants
            or (integer and int(token) in _YEARS)
            or _FIXED_SETTING.search(text[: match.start()])
        ):
            found.constants.append((index, token))
            continue
        refs = [_ref_label(m.group(1)) for m in _REF.finditer(source, span[0], span[1])]
        sentence = _sentence(source, span, match.start())
        if refs:
            label, why = _cite(token, list(dict.fromkeys(refs)), labels)
            if label:
                found.cited.append((index, token, label))
                continue
            reason = f"in \u201c{sentence}\u201d: {why}"
        else:
            where = printers(token) if printers else []
            reason = (
                f"in \u201c{sentence}\u201d: no earlier cell of its section prints it"
                + (f" ({', '.join(where)} does)" if where else "")
                + " and the paragraph cites no source (print it in this section, or label the cell or "
                "section that prints it `(label)=` and cite it with {ref}`...<label>`)"
            )
        found.unbound.append((index, token))
        found.reasons.append(reason)


def chapter_numbers(nb, labels: dict | None = None, name: str = "this chapter") -> Numbers:
    """Sort every number in the text of a chapter (before its exercises) into bound, cited, constant and
    unbound. ``labels`` is the label index of the rest of the book (:func:`book_labels`); the chapter's own
    labels are added to it."""
    chapter = _model(nb, name)
    index = dict(labels or {})
    index.update({label: (target, chapter) for label, target in chapter.labels.items()})
    end = exercises_heading(nb)
    end = len(nb.cells) if end is None else end
    constants = chapter.constants

    def printers(token):
        return [
            f"cell {j}"
            + (
                ", later in the section,"
                if j > current[0] and chapter.section_of_cell[j] == chapter.section_of_cell[current[0]]
                else ""
            )
            for j, (p, q) in chapter.printed.items()
            if _is_printed(token, p, q)
        ][:3]

    current = [0]  # the markdown cell being read
    found = Numbers()
    plain, percent = set(), set()  # what the earlier code cells of the current section print
    for i, cell in enumerate(nb.cells[:end]):
        if cell.cell_type == "code":
            plain = plain | chapter.printed[i][0]
            percent = percent | chapter.printed[i][1]
        elif cell.cell_type == "markdown":
            current[0] = i
            # A number after a heading of the cell stands in a new section, which no code cell precedes yet.
            _sort(
                found, i, cell.source, (plain, percent, constants), index, heading_reset=lambda: (set(), set()), printers=printers
            )
            if any(_heading(line) for line in _lines(cell.source)):
                plain, percent = set(), set()
    return found


def prose_problems(path: str | os.PathLike) -> list[str]:
    """One line for every unbound number in the chapter at ``path``, and for every label it defines twice or
    that another document of its folder defines too."""
    path = Path(path)
    labels = book_labels(path.parent, skip=path.name)
    nb = read(path)
    found = chapter_numbers(nb, labels, path.name)
    problems = [
        f"{path} cell {index}: the text says {token}, {reason}" for (index, token), reason in zip(found.unbound, found.reasons)
    ]
    own = _model(nb, path.name)
    for label in own.doubled:
        problems.append(f"{path}: label {label!r} is defined twice in the chapter (labels are unique in the book)")
    for label in own.labels:
        if label in labels:
            problems.append(
                f"{path}: label {label!r} is also defined in {labels[label][0].document} (labels are unique in the book)"
            )
    return problems


def page_problems(root: str | os.PathLike = ".") -> list[str]:
    """One line for every number on a markdown page of ``chapters/`` (the glossary, the introduction) that no
    ``{ref}`` of its paragraph binds: a page prints nothing, so each number it quotes cites its chapter."""
    folder = Path(root) / "chapters"
    labels = book_labels(folder)
    constants = _values("\n".join(p.read_text(encoding="utf-8") for p in sorted(Path(root).glob("coursetools/*.py"))))
    for path in sorted(folder.glob("*.ipynb")):
        constants |= _chapter_model(path).constants
    problems = []
    for page in sorted(folder.glob("*.md")):
        found = Numbers()
        _sort(found, 0, page.read_text(encoding="utf-8"), (set(), set(), constants), labels)
        problems += [f"{page}: the page says {token}, {reason}" for (_, token), reason in zip(found.unbound, found.reasons)]
    return problems
