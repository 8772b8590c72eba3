"""Every number in a chapter's text is printed by one of its cells, or is a constant its code sets.

The check is static: it reads the stored notebook and executes nothing.

A *number* here is a decimal (``0.848``, ``15.942``), a percentage
(``85 %``, ``2.5%``) or an integer (``330``, ``10,000``) in a markdown cell
before the chapter's exercises section. Integers inside ``$...$`` mathematics
(an exponent, the 2 of a square) are part of a formula, not a claim, and are
not read; decimals there are. A number is

- *bound* when a stored output of the chapter (a printed line, a table, a
  repr) prints it: the same value, or one with more decimals that rounds to
  it (the text's ``0.32`` is bound by a printed ``0.322``, ``about 710`` by
  ``709.78``; a percentage is bound by a printed percentage or fraction:
  ``14%`` by ``14.2%`` or ``0.142``), and
- a *constant* when its value stands in the source of one of the chapter's
  code cells: a setting the chapter chooses (a learning rate, a momentum, a
  delta, a number of seeds), which the text may quote because the code it
  describes sets it. A year (an integer from 1800 to 2099) is a constant too.

Skipped, as neither a result nor a setting: a version, a section, a chapter,
a part or a figure number (``version 1.2``, ``section 4.1``, ``chapter 7``,
``chapters 6 to 9``), and a page of a cited book (``p. 82``, ``pp. 131-132``).

Any other number is *unbound*: the text claims something no cell shows. When
a cell changes what it prints, the text that quotes the old value becomes
unbound, and ``make check`` names the chapter, the cell and the number.
A number the text needs that is neither (a figure from a paper, a mathematical
fact, the size of a data set that the library chooses) belongs in a cell that
prints it, so that the reader can see it checked. A statement in words ("three
times", "a factor of two") is not read: the chapters either print the ratio
they state or do not state one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from coursetools.course import exercises_heading, read

__all__ = ["NUMBER", "Numbers", "chapter_numbers", "prose_problems", "page_problems", "output_text"]

#: A decimal, a percentage or an integer standing as a token of its own (not part of a name, a version or a
#: longer number); an integer may group its thousands with commas (``10,000``).
NUMBER = re.compile(r"(?<![\w.^_{\\,-])(\d+\.\d+|\d+(?:\.\d+)?\s?%|\d{1,3}(?:,\d{3})+|\d+)(?![\w.]|\d|,\d)")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)|\{(?:doc|ref|numref|cite:[pt]|eq)\}`[^`]*`")
_DIRECTIVE_OPTION = re.compile(r"^:[\w-]+:.*$", re.MULTILINE)
_PAGES = re.compile(r"\bpp?\.\s*\d+(?:\s*[-\u2013]\s*\d+)?")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL)


#: A number printed in an output: a decimal or an integer, possibly followed by a percent sign.
_PRINTED = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?![\d.])|\d+\.\d+|\d+)(\s?%)?(?![\w.]|\d)")
_NOT_A_RESULT = re.compile(
    r"\b(version|versions|section|sections|python|chapter|chapters|part|figure)\s*$"
    r"|\b(sections|chapters|parts)\s+\d+\s*(?:to|and|-|\u2013)\s*$",  # the end of a range, "chapters 6 to 9"
    re.IGNORECASE)
_YEARS = range(1800, 2100)


def _normal(token: str) -> str:
    """The token's digits: a percentage without its space (``85 %`` and ``85%`` are the same number), no commas."""
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
    digits = token.rstrip("%")
    target, places = Decimal(digits), _decimals(digits)
    if token.endswith("%"):
        return any(_rounds_to(v, d, target, places) for v, d in percent) or any(
            _rounds_to(v * 100, max(d - 2, 0), target, places) for v, d in plain if v <= 1
        )
    return any(_rounds_to(v, d, target, places) for v, d in plain | percent)


def _values(text: str) -> set[Decimal]:
    return {Decimal(m.group(1).replace(",", "")) for m in _PRINTED.finditer(text)}


def output_text(cell) -> str:
    """The text a code cell prints: streams, plain-text and markdown results, error values (no HTML markup)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        for key, value in output.get("data", {}).items():
            if key.startswith("text/") and key != "text/html" and isinstance(value, str):
                parts.append(value)
        if output.get("output_type") == "error":
            parts.append(str(output.get("evalue", "")))
    return "\n".join(parts)


def _prose(source: str) -> str:
    """A markdown cell's text without code spans, links, cross-reference targets, directive options and pages."""
    text = _CODE_SPAN.sub(" ", source)
    text = _LINK_TARGET.sub(" ", text)
    text = _DIRECTIVE_OPTION.sub(" ", text)
    return _PAGES.sub(" ", text)


def _math_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _MATH.finditer(text)]


@dataclass
class Numbers:
    """The numbers of one chapter's text, sorted by what holds them."""

    bound: list[tuple[int, str]] = field(default_factory=list)
    constants: list[tuple[int, str]] = field(default_factory=list)
    unbound: list[tuple[int, str]] = field(default_factory=list)


def _evidence(notebooks) -> tuple[set, set, set[Decimal]]:
    """What ``notebooks`` print (plain numbers, percentages) and the numbers their code sets."""
    code = [c for nb in notebooks for c in nb.cells if c.cell_type == "code"]
    plain, percent = _printed("\n".join(output_text(c) for c in code))
    return plain, percent, _values("\n".join(c.source for c in code))


def _sort(found: Numbers, index: int, source: str, evidence) -> None:
    """Sort the numbers of one markdown text into ``found``, read against ``evidence`` (:func:`_evidence`)."""
    plain, percent, constants = evidence
    text = _prose(source)
    math = _math_spans(text)
    for match in NUMBER.finditer(text):
        token = _normal(match.group(1))
        if _NOT_A_RESULT.search(text[: match.start()]):
            continue
        integer = token.isdigit()
        if integer and any(start <= match.start() < end for start, end in math):
            continue
        if _is_printed(token, plain, percent):
            found.bound.append((index, token))
        elif Decimal(token.rstrip("%")) in constants or (integer and int(token) in _YEARS):
            found.constants.append((index, token))
        else:
            found.unbound.append((index, token))


def chapter_numbers(nb) -> Numbers:
    """Sort every number in the text of a chapter (before its exercises) into bound, constant and unbound."""
    end = exercises_heading(nb)
    end = len(nb.cells) if end is None else end
    found, evidence = Numbers(), _evidence([nb])
    for index, cell in enumerate(nb.cells[:end]):
        if cell.cell_type == "markdown":
            _sort(found, index, cell.source, evidence)
    return found


def prose_problems(path: str | os.PathLike) -> list[str]:
    """One line for every unbound number in the chapter at ``path``."""
    path = Path(path)
    return [
        f"{path} cell {index}: the text says {token}, which no cell of the chapter prints "
        "(print it in a cell near the sentence, or reword the sentence)"
        for index, token in chapter_numbers(read(path)).unbound
    ]


def page_problems(root: str | os.PathLike = ".") -> list[str]:
    """One line for every number on a markdown page of ``chapters/`` (the glossary, the introduction) that no chapter prints or sets."""
    from coursetools.course import chapter_notebooks

    root = Path(root)
    evidence = _evidence([read(path) for path in chapter_notebooks(root)])
    problems = []
    for page in sorted((root / "chapters").glob("*.md")):
        found = Numbers()
        _sort(found, 0, page.read_text(encoding="utf-8"), evidence)
        problems += [
            f"{page}: the page says {token}, which no chapter prints (quote a number a chapter prints, or reword)"
            for _, token in found.unbound
        ]
    return problems
