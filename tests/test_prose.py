"""coursetools.prose: every number in a chapter's text is printed by one of its cells."""

import re
from pathlib import Path

import nbformat
import pytest

from coursetools import course, prose

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "03_entropy_cross_entropy_kl.ipynb"


def _chapter(markdown, output, code="x = 1"):
    nb = nbformat.v4.new_notebook()
    printed = nbformat.v4.new_output("stream", name="stdout", text=output)
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), nbformat.v4.new_code_cell(code, outputs=[printed])]
    return nb


@pytest.mark.parametrize("path", course.chapter_notebooks(ROOT), ids=lambda p: p.stem)
def test_every_number_in_the_text_is_printed_or_set_by_the_chapter(path):
    assert prose.prose_problems(path) == []


@pytest.mark.parametrize(
    ("text", "printed", "kind"),
    [
        ("costs 0.32 bits", "0.322 bits", "bound"),           # rounded as the text rounds it
        ("costs 0.32 bits", "0.3 bits", "unbound"),           # printed with fewer decimals: not the same claim
        ("costs 0.3 bits", "0.35 bits", "unbound"),           # rounds to 0.4
        ("a gap of 14%", "share 0.142", "bound"),             # a fraction binds a percentage
        ("a gap of 14 %", "14.4%", "bound"),
        ("MSE 0.75", "MSE 0.75000", "bound"),
        ("the ratio is 2.7", "ratio 27.0", "unbound"),
        ("since version 1.2 it clips", "", "skipped"),
        ("in section 4.1 of the book", "", "skipped"),
        ("with momentum 0.9", "", "constant"),                # the code below sets it
        ("we trained 330 networks", "11 x 30 = 330 networks", "bound"),
        ("we trained 330 networks", "11 x 30 networks", "unbound"),
        ("above about 710 it overflows", "overflows above 709.78", "bound"),  # rounded as the text rounds it
        ("a factor of 10,000", "ratio 10,000", "bound"),
        ("a factor of 10,000", "ratio 10000.4", "bound"),
        ("over 20,000", "MSE 20,381", "unbound"),
        ("Shannon wrote in 1948", "", "constant"),          # a year
        ("as the book says (p. 82)", "", "skipped"),
        ("as the book says (pp. 131-132)", "", "skipped"),
        ("the loss $x^2 + 3 x$", "", "skipped"),             # an integer in a formula
        ("as chapter 7 shows", "", "skipped"),
        ("as chapters 6 to 9 show", "", "skipped"),
        ("after 9 epochs", "", "unbound"),
    ],
)
def test_what_binds_a_number(text, printed, kind):
    found = prose.chapter_numbers(_chapter(text, printed, code="momentum = 0.9"))
    sorted_as = {"bound": found.bound, "constant": found.constants, "unbound": found.unbound}
    if kind == "skipped":
        assert sorted_as == {"bound": [], "constant": [], "unbound": []}
    else:
        assert [name for name, cells in sorted_as.items() if cells] == [kind]


def test_code_spans_links_and_the_exercises_are_not_read():
    nb = _chapter("`lr=0.123` and [a link](https://example.org/v2.5) and {numref}`fig-02-1.5`", "")
    nb.cells.append(nbformat.v4.new_markdown_cell("## Exercises\n\nA statement with 0.777."))
    assert prose.chapter_numbers(nb) == prose.Numbers()


def _bound_number(nb):
    """A number of the chapter's text that exactly one output line prints, with the indices of both cells."""
    for index, token in prose.chapter_numbers(nb).bound:
        printing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                    and re.search(rf"(?<![\d.]){re.escape(token)}(?![\d])", prose.output_text(c))]
        if len(printing) == 1 and "." in token and len(token.split(".")[1]) >= 3:
            return index, printing[0], token
    raise AssertionError("the chapter has no number printed by exactly one cell")


def test_a_changed_output_leaves_the_text_unbound_and_the_check_names_it(tmp_path):
    nb = course.read(CHAPTER)
    text_cell, code_cell, token = _bound_number(nb)
    other = f"{float(token) + 0.5:.{len(token.split('.')[1])}f}"
    for output in nb.cells[code_cell].outputs:
        if "text" in output:
            output["text"] = output["text"].replace(token, other)
        for key, value in output.get("data", {}).items():
            if isinstance(value, str):
                output["data"][key] = value.replace(token, other)
    path = tmp_path / CHAPTER.name
    nbformat.write(nb, path)
    problems = prose.prose_problems(path)
    assert any(CHAPTER.name in p and f"cell {text_cell}:" in p and f"says {token}," in p for p in problems), problems


def test_a_changed_number_in_the_text_is_unbound_and_the_check_names_it(tmp_path):
    nb = course.read(CHAPTER)
    text_cell, _, token = _bound_number(nb)
    wrong = f"{float(token) + 0.5:.{len(token.split('.')[1])}f}"
    nb.cells[text_cell].source = nb.cells[text_cell].source.replace(token, wrong)
    path = tmp_path / CHAPTER.name
    nbformat.write(nb, path)
    problems = prose.prose_problems(path)
    assert any(CHAPTER.name in p and f"cell {text_cell}:" in p and f"says {wrong}," in p for p in problems), problems


def test_the_markdown_pages_quote_only_numbers_a_chapter_prints(tmp_path):
    assert prose.page_problems(ROOT) == []
    (tmp_path / "chapters").mkdir()
    nbformat.write(_chapter("text", "the ratio is 1.443"), tmp_path / "chapters" / "01_a.ipynb")
    (tmp_path / "chapters" / "glossary.md").write_text("1 nat is 1.443 bits, and 2.718 is e.\n", encoding="utf-8")
    problems = prose.page_problems(tmp_path)
    assert len(problems) == 1 and "glossary.md" in problems[0] and "says 2.718," in problems[0], problems


def test_a_changed_count_leaves_the_text_unbound_and_the_check_names_it(tmp_path):
    chapter = ROOT / "chapters" / "10_comparing_losses.ipynb"
    nb = course.read(chapter)
    printing = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "= 330 networks" in prose.output_text(c)]
    quoting = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "330" in c.source]
    assert len(printing) == 1 and quoting, (printing, quoting)
    for output in nb.cells[printing[0]].outputs:
        if "text" in output:
            output["text"] = output["text"].replace("= 330 networks", "= 331 networks")
    path = tmp_path / chapter.name
    nbformat.write(nb, path)
    problems = prose.prose_problems(path)
    assert [p for p in problems if "says 330," in p] and all(f"cell {i}:" in " ".join(problems) for i in quoting)
