"""coursetools.prose: every number in a chapter's text is printed by a cell of its section, or cited."""

import re
from pathlib import Path

import nbformat
import pytest

from coursetools import course, prose

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "03_entropy_cross_entropy_kl.ipynb"


def _chapter(markdown, output, code="x = 1"):
    """A chapter whose only code cell prints ``output`` and precedes the text ``markdown``."""
    nb = nbformat.v4.new_notebook()
    printed = nbformat.v4.new_output("stream", name="stdout", text=output)
    nb.cells = [nbformat.v4.new_code_cell(code, outputs=[printed]), nbformat.v4.new_markdown_cell(markdown)]
    return nb


def _notebook(*cells):
    """A notebook from strings: ``"md: ..."`` a markdown cell, anything else a code cell printing that text."""
    nb = nbformat.v4.new_notebook()
    for cell in cells:
        if cell.startswith("md: "):
            nb.cells.append(nbformat.v4.new_markdown_cell(cell[4:]))
        else:
            printed = nbformat.v4.new_output("stream", name="stdout", text=cell)
            nb.cells.append(nbformat.v4.new_code_cell("x = 1", outputs=[printed]))
    return nb


@pytest.mark.parametrize("path", course.chapter_notebooks(ROOT), ids=lambda p: p.stem)
def test_every_number_in_the_text_is_printed_or_set_by_the_chapter(path):
    assert prose.prose_problems(path) == []


@pytest.mark.parametrize(
    ("text", "printed", "kind"),
    [
        ("costs 0.32 bits", "0.322 bits", "bound"),  # rounded as the text rounds it
        ("costs 0.32 bits", "0.3 bits", "unbound"),  # printed with fewer decimals: not the same claim
        ("costs 0.3 bits", "0.35 bits", "unbound"),  # rounds to 0.4
        ("a gap of 14%", "share 0.142", "bound"),  # a fraction binds a percentage
        ("a gap of 14 %", "14.4%", "bound"),
        ("a gap of 14 percent", "14.4%", "bound"),
        ("a gap of 14%.", "share 0.142.", "bound"),  # a percentage may end the sentence
        ("differs on 0.7%", "agreement 99.4 %, accuracy 0.706", "unbound"),  # review E2: 0.7 % is not 0.706
        ("differs on 0.7 %", "accuracy 0.7", "unbound"),  # nor the decimal 0.7
        ("differs on 0.7 %", "differs on 0.7 %", "bound"),
        ("differs on 0.6%", "227 of 40,000 points (0.6%)", "bound"),
        ("differs on 0.7%", "share 0.007", "bound"),  # a fraction equal to it
        ("accuracy 0.7", "agreement 0.7 %", "unbound"),  # a decimal is not a printed percentage
        ("MSE 0.75", "MSE 0.75000", "bound"),
        ("the ratio is 2.7", "ratio 27.0", "unbound"),
        ("since version 1.2 it clips", "", "skipped"),
        ("in section 4.1 of the book", "", "skipped"),
        ("with momentum 0.9", "", "constant"),  # the code below sets it
        ("we trained 330 networks", "11 x 30 = 330 networks", "bound"),
        ("we trained 330 networks", "11 x 30 networks", "unbound"),
        ("above about 710 it overflows", "overflows above 709.78", "bound"),  # rounded as the text rounds it
        ("a factor of 10,000", "ratio 10,000", "bound"),
        ("a factor of 10,000", "ratio 10000.4", "bound"),
        ("over 20,000", "MSE 20,381", "unbound"),
        ("Shannon wrote in 1948", "", "constant"),  # a year
        ("as the book says (p. 82)", "", "skipped"),
        ("as the book says (pp. 131-132)", "", "skipped"),
        ("the loss $x^2 + 3 x$", "", "skipped"),  # an integer in a formula
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
        printing = [
            i
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and re.search(rf"(?<![\d.]){re.escape(token)}(?![\d])", prose.output_text(c))
        ]
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
    nbformat.write(_notebook("md: # Units\n\n(one-nats)=", "the ratio is 1.443"), tmp_path / "chapters" / "01_a.ipynb")
    (tmp_path / "chapters" / "glossary.md").write_text(
        "1 nat is 1.443 bits ({ref}`chapter 1 <one-nats>`), and 2.718 is e.\n\n"
        "A chapter prints 1.443, but this paragraph does not cite it.\n",
        encoding="utf-8",
    )
    problems = prose.page_problems(tmp_path)
    assert len(problems) == 2, problems
    assert "glossary.md" in problems[0] and "says 2.718," in problems[0], problems
    assert "says 1.443," in problems[1] and "does not cite it" in problems[1], problems


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


def _unbound(nb, labels=None):
    return [token for _, token in prose.chapter_numbers(nb, labels).unbound]


def test_the_reviews_e2_case_is_caught_and_its_honest_version_passes():
    """Review E2: ch09 said the KL model "differs on 0.7%" of the grid, where its cell printed 99.4 % agreement
    and, in an earlier section, a test accuracy of 0.706."""
    text = "## Decision boundaries\n\nThe KL model differs on {}% of the grid."
    wrong = _notebook(
        "epoch 3: test accuracy 0.706", f"md: {text.format('0.7')}", "agreement 99.4%, another class on 227 of its 40,000 points"
    )
    honest = _notebook(
        "epoch 3: test accuracy 0.706",
        "md: ## Decision boundaries\n\nTo compare the maps:",
        "agreement 99.4%, another class on 227 of its 40,000 points (0.6%)",
        "md: The KL model differs on 0.6% of the grid.",
    )
    assert _unbound(wrong) == ["0.7%"]
    assert _unbound(honest) == []


def test_a_value_printed_only_in_another_section_is_unbound():
    other = _notebook("md: ## Training", "final test MSE 0.0055", "md: ## Outliers\n\nClean data reach 0.0055.")
    assert _unbound(other) == ["0.0055"]
    problems = prose.chapter_numbers(other).reasons
    assert "Clean data reach 0.0055." in problems[0] and "cell 1" in problems[0], problems
    same = _notebook("md: ## Training", "final test MSE 0.0055", "md: The run reaches 0.0055.")
    assert _unbound(same) == []


def test_a_value_printed_after_the_sentence_or_after_a_heading_in_the_cell_is_unbound():
    later = _notebook("md: ## Training\n\nThe run reaches 0.0055, as the cell below prints.", "test MSE 0.0055")
    assert _unbound(later) == ["0.0055"]
    heading = _notebook("md: ## Training", "test MSE 0.0055", "md: It is 0.0055.\n\n## Next\n\nStill 0.0055.")
    assert _unbound(heading) == ["0.0055"]


def test_a_cited_cell_label_binds_the_number_it_prints():
    cited = _notebook(
        "md: ## Training\n\nThe run below\n\n(train-mse)=",
        "test MSE 0.0055",
        "md: ## Outliers\n\nClean data reach 0.0055 ({ref}`the clean run <train-mse>`).",
    )
    found = prose.chapter_numbers(cited)
    assert found.unbound == [] and found.cited == [(2, "0.0055", "train-mse")]


def test_a_cited_section_label_names_its_code_cells_and_subsections():
    cited = _notebook(
        "md: (training)=\n## Training",
        "md: ### A subsection",
        "test MSE 0.0055",
        "md: ## Outliers",
        "noisy MSE 2.94",
        "md: ## Summary\n\nClean data reach 0.0055 and noisy 2.94, see {ref}`training`.",
    )
    found = prose.chapter_numbers(cited)
    assert found.cited == [(5, "0.0055", "training")]
    assert found.unbound == [(5, "2.94")] and "'training'" in found.reasons[0] and "does not print" in found.reasons[0]
    # A label on the last line of a cell before a heading in the next cell names that section too.
    before = _notebook(
        "md: Intro.\n\n(training)=",
        "md: ## Training",
        "test MSE 0.0055",
        "md: ## Summary\n\nClean data reach 0.0055 ({ref}`training`).",
    )
    assert _unbound(before) == []


def test_a_wrong_number_a_missing_label_and_a_label_on_a_paragraph_are_named(tmp_path):
    chapter = [
        "md: # Chapter\n\n(train-mse)=",
        "test MSE 0.0055",
        "md: (a-paragraph)=\nSome words.",
        "other 1.25",
        "md: ## Summary\n\nWe reach 0.0056 ({ref}`the run <train-mse>`).\n\n"
        "We reach 0.0055 ({ref}`the run <no-such-label>`).\n\nAnd 1.25 ({ref}`a-paragraph`).",
    ]
    nbformat.write(_notebook(*chapter), tmp_path / "01_a.ipynb")
    problems = prose.prose_problems(tmp_path / "01_a.ipynb")
    assert len(problems) == 3, problems
    wrong, missing, paragraph = problems
    for problem, token, label in [
        (wrong, "0.0056", "train-mse"),
        (missing, "0.0055", "no-such-label"),
        (paragraph, "1.25", "a-paragraph"),
    ]:
        assert "01_a.ipynb cell 4:" in problem and f"says {token}," in problem and f"'{label}'" in problem, problem
    assert "We reach 0.0056" in wrong and "does not print" in wrong
    assert "We reach 0.0055" in missing and "cannot be found" in missing
    assert "names no outputs" in paragraph


def test_a_label_in_another_chapter_binds_and_is_verified(tmp_path):
    nbformat.write(_notebook("md: # One\n\n(one-mse)=", "test MSE 0.0055"), tmp_path / "01_one.ipynb")
    right = _notebook("md: # Two\n\nChapter one reaches 0.0055 ({ref}`its run <one-mse>`).")
    wrong = _notebook("md: # Two\n\nChapter one reaches 0.0065 ({ref}`its run <one-mse>`).")
    for name, nb in (("02_right.ipynb", right), ("03_wrong.ipynb", wrong)):
        nbformat.write(nb, tmp_path / name)
    assert prose.prose_problems(tmp_path / "02_right.ipynb") == []
    problems = prose.prose_problems(tmp_path / "03_wrong.ipynb")
    assert len(problems) == 1 and "says 0.0065," in problems[0] and "'one-mse'" in problems[0], problems
    assert "01_one.ipynb" in problems[0] and "Chapter one reaches 0.0065" in problems[0]


def test_a_figure_name_labels_its_code_cell():
    nb = _notebook("md: ## Curves", "final loss 0.409", "md: ## Summary\n\nIt ends at 0.409, {numref}`fig-curves`.")
    nb.cells[1].metadata["mystnb"] = {"figure": {"name": "fig-curves", "caption": "Curves"}}
    assert _unbound(nb) == []


def test_a_label_defined_twice_in_the_book_is_reported(tmp_path):
    for name in ("01_a.ipynb", "02_b.ipynb"):
        nbformat.write(_notebook("md: # A\n\n(same)=", "x 1.5"), tmp_path / name)
    problems = prose.prose_problems(tmp_path / "02_b.ipynb")
    assert problems == [f"{tmp_path / '02_b.ipynb'}: label 'same' is also defined in 01_a.ipynb (labels are unique in the book)"]


def test_a_fenced_heading_or_label_is_neither():
    nb = _notebook(
        "md: ## Training", "test MSE 0.0055", "md: ```python\n# not a heading\n(not-a-label)=\n```\n\nThe run reaches 0.0055."
    )
    assert _unbound(nb) == []


def test_the_shared_training_settings_are_exempt_where_named_and_nothing_else_is():
    nb = _notebook("md: SGD with momentum 0.9, batches of 32 and batch size 32, at learning rate 0.01 for 9 epochs.")
    found = prose.chapter_numbers(nb)
    assert [t for _, t in found.constants] == ["0.9", "32", "32"]
    assert [t for _, t in found.unbound] == ["0.01", "9"]


def test_an_underscored_literal_in_code_is_a_constant():
    nb = _chapter("the test draws 100,000 sign patterns", "", code="stats.judge(d, n_patterns=100_000)")
    assert [t for _, t in prose.chapter_numbers(nb).constants] == ["100000"]


def test_a_displayed_formula_belongs_to_the_paragraph_around_it():
    text = "The test needs about\n\n$$\nn \\approx 7.85 \\, (s/d)^2\n$$\n\nseeds ({ref}`computed below <power>`).\n\n(power)="
    nb = _notebook(f"md: {text}", "(z_0.975 + z_0.8)^2 = 7.85")
    found = prose.chapter_numbers(nb)
    assert found.unbound == [] and found.cited == [(0, "7.85", "power")]
