"""The page "Choosing a loss": every loss it names exists, and every link it makes lands.

The page names losses in code spans: a Keras class (``MeanSquaredError``, or
``CategoricalCrossentropy(label_smoothing=0.1)`` for a row with options), a
Keras string (``"mse"``), a scikit-learn metric (``metrics.log_loss``) or a
PyTorch class (``nn.MSELoss``, untested here and not checked). A class must be
a row of :data:`lossbook.registry.LOSSES` or one of the Keras classes the page
lists as not yet measured; a string must be one that both lossbook's registry
and Keras accept. Every ``{ref}``, ``{numref}`` and ``{doc}`` target must
exist in the book's ``chapters/`` folder.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

import lossbook

lossbook.setup(seed=0, keras=True)

import keras  # noqa: E402
from sklearn import metrics  # noqa: E402

from coursetools import prose  # noqa: E402
from lossbook import registry  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
PAGE = CHAPTERS / "choosing_a_loss.ipynb"

#: Keras classes the page names beyond the first course: no row of lossbook's registry holds them.
OUTSIDE_REGISTRY = ("Circle", "CosineSimilarity", "Dice", "Tversky", "CTC")
#: The words a row beyond the first course carries when no chapter has measured it.
NOT_MEASURED_WORDS = "not yet measured in this course"
#: Every chapter whose findings the page quotes, by the start of its file name.
EVIDENCE_CHAPTERS = ("06", "07", "08", "09", "10", "11_", "11b", "11c", "12", "13", "14", "15", "16", "17", "beyond")

_ROLE = re.compile(r"\{(ref|numref|doc)\}`([^`]*)`")
_ANY_ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_CLASS = re.compile(r"^([A-Z][A-Za-z]+)(\((.*)\))?$")
_STRING = re.compile(r'^"([a-z_]+)"$')
_METRIC = re.compile(r"^metrics\.(\w+)$")


def _markdown(nb) -> str:
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def _section(text: str, heading: str) -> str:
    """The text from ``heading`` to the next heading of the same level."""
    start = text.index(heading)
    following = re.search(r"^## ", text[start + len(heading) :], re.MULTILINE)
    return text[start:] if following is None else text[start : start + len(heading) + following.start()]


def _spans(text: str) -> list[str]:
    """The code spans of a markdown text, roles such as {ref}`...` left out."""
    return _CODE_SPAN.findall(_ANY_ROLE.sub(" ", text))


def _target(role_text: str) -> str:
    match = re.search(r"<([^<>]+)>\s*$", role_text)
    return (match.group(1) if match else role_text).strip()


def _options(text: str) -> dict:
    """``label_smoothing=0.1, x=2`` as a dict of Python values."""
    found = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, value = part.split("=", 1)
        found[key.strip()] = ast.literal_eval(value.strip())
    return found


# --------------------------------------------------------------------------- what the book defines


def book_targets(folder: Path) -> tuple[dict[str, list[str]], set[str], set[str]]:
    """Every label of the book with the files that define it (:func:`coursetools.prose.label_places`), the figure
    names (a notebook cell's ``mystnb.figure.name``, which ``{numref}`` needs) and the documents themselves."""
    figures = set()
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
            if name:
                figures.add(name)
    documents = {path.stem for path in folder.glob("*.ipynb")} | {path.stem for path in folder.glob("*.md")}
    return prose.label_places(folder), figures, documents


# --------------------------------------------------------------------------- the checks


def loss_problems(text: str) -> list[str]:
    """One line for every loss the text names that neither lossbook's registry nor Keras' unmeasured list holds."""
    classes = {row.class_name for row in registry.LOSSES.values()}
    problems = []
    for span in _spans(text):
        if match := _CLASS.match(span):
            name = match.group(1)
            if name in OUTSIDE_REGISTRY:
                if not hasattr(keras.losses, name):
                    problems.append(f"`{span}`: listed as not yet measured, but keras.losses has no class {name}")
            elif name not in classes:
                problems.append(f"`{span}`: no row of lossbook's registry has the class {name}")
            elif match.group(2):
                options = _options(match.group(3))
                if not any(row.class_name == name and dict(row.keras_options) == options for row in registry.LOSSES.values()):
                    problems.append(f"`{span}`: no row of lossbook's registry is {name} with {options}")
        elif match := _STRING.match(span):
            try:
                registry.lookup(match.group(1))
                keras.losses.get(match.group(1))
            except ValueError as error:
                problems.append(f"`{span}`: {error}")
        elif match := _METRIC.match(span):
            if not callable(getattr(metrics, match.group(1), None)):
                problems.append(f"`{span}`: sklearn.metrics has no function {match.group(1)}")
    return problems


def reference_problems(text: str, folder: Path) -> list[str]:
    """One line for every {ref}, {numref} or {doc} target of the text that the book does not define once."""
    labels, figures, documents = book_targets(folder)
    problems = []
    for role, body in _ROLE.findall(text):
        target = _target(body)
        if role == "doc":
            if target.lstrip("/").removeprefix("chapters/") not in documents:
                problems.append(f"{{doc}}`{body}`: no document {target} in {folder.name}/")
            continue
        defined = labels.get(target, []) if role == "ref" or target in figures else []
        if not defined:
            kind = "figure" if role == "numref" else "label or figure"
            problems.append(f"{{{role}}}`{body}`: no {kind} {target!r} in {folder.name}/")
        elif len(defined) > 1:
            problems.append(f"{{{role}}}`{body}`: {target!r} is defined {len(defined)} times ({', '.join(defined)})")
        if role == "ref" and "<" not in body and target not in figures:
            problems.append(f"{{ref}}`{body}`: give the reference a title, {{ref}}`text <{target}>`")
    return problems


# --------------------------------------------------------------------------- the page


@pytest.fixture(scope="module")
def page() -> str:
    return _markdown(nbformat.read(PAGE, as_version=4))


def test_the_page_is_in_the_table_of_contents_right_after_the_introduction():
    from coursetools import course

    listed = course.toc_files(ROOT)
    assert listed[:2] == ["chapters/intro", "chapters/choosing_a_loss"]
    assert "{doc}`choosing_a_loss`" in (CHAPTERS / "intro.md").read_text(encoding="utf-8")


def test_every_loss_the_page_names_is_in_the_registry_or_listed_as_not_yet_measured(page):
    assert loss_problems(page) == []


def test_every_unmeasured_class_is_a_keras_class_without_a_registry_row():
    for name in OUTSIDE_REGISTRY:
        assert issubclass(getattr(keras.losses, name), keras.losses.Loss), name
        assert registry.by_class(name) is None, f"{name} is in the registry now: give it a measured row"


def test_every_reference_on_the_page_resolves(page):
    assert _ROLE.search(page)
    assert reference_problems(page, CHAPTERS) == []


def test_every_loss_of_the_registry_has_its_names_on_the_page(page):
    names = _section(page, "## One loss, four names")
    spans = set(_spans(names))
    for name, row in registry.LOSSES.items():
        options = ", ".join(f"{key}={value!r}" for key, value in row.keras_options)
        expected = f"{row.class_name}({options})" if options else row.class_name
        assert expected in spans, f"{name}: the names table has no `{expected}`"
    assert "untested here" in names


def test_the_page_quotes_every_chapter_with_a_finding(page):
    labels, _, _ = book_targets(CHAPTERS)
    quoted = set()
    for role, body in _ROLE.findall(page):
        target = _target(body)
        if role == "doc":
            quoted.add(target)
        else:
            quoted.update(Path(name).stem for name in labels.get(target, []))
    missing = [number for number in EVIDENCE_CHAPTERS if not any(stem.startswith(number) for stem in quoted)]
    assert missing == []


def test_each_row_beyond_the_first_course_cites_its_verdicts_or_says_it_is_not_measured(page):
    section = _section(page, "## Beyond the first course")
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # after the header and its rule
    labels, _, _ = book_targets(CHAPTERS)
    for row in rows:
        cited = [_target(body) for role, body in _ROLE.findall(row) if role == "ref"]
        if NOT_MEASURED_WORDS in row:
            assert cited == [], row[:60]  # no verdict is claimed for a problem no chapter measured
        else:
            assert cited, row[:60]
            assert all("verdicts" in label and labels[label][0][:2] in ("15", "16", "17") for label in cited), row[:60]
    assert sum(NOT_MEASURED_WORDS in row for row in rows) == 2
    named = {span for span in _spans(section) if span in OUTSIDE_REGISTRY}
    assert named == set(OUTSIDE_REGISTRY)
    measured = _section(page, "## Problems the course has measured")
    assert not {span for span in _spans(measured) if span in OUTSIDE_REGISTRY}


# --------------------------------------------------------------------------- the checks can fail


def test_the_checks_name_a_loss_or_a_link_that_does_not_exist():
    text = (
        'Train with `FooLoss`, `"no_such_loss"`, `Dice`, `CategoricalCrossentropy(label_smoothing=0.3)` '
        'and score with `metrics.no_such_score`; `MeanSquaredError`, `"mse"` and `metrics.log_loss` exist. '
        "See {ref}`nowhere <no-such-label>`, {ref}`ch07-outliers`, {numref}`ch07-outliers`, "
        "{doc}`no_such_page` and {doc}`07_outliers_and_huber`."
    )
    losses = loss_problems(text)
    assert len(losses) == 4, losses
    assert any("FooLoss" in p for p in losses) and any("no_such_loss" in p for p in losses)
    assert any("label_smoothing" in p for p in losses) and any("no_such_score" in p for p in losses)
    links = reference_problems(text, CHAPTERS)
    assert len(links) == 4, links
    assert any("no-such-label" in p for p in links) and any("no_such_page" in p for p in links)
    assert any("give the reference a title" in p for p in links) and any("no figure 'ch07-outliers'" in p for p in links)


def test_a_label_defined_twice_is_reported(tmp_path):
    for name in ("a", "b"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("Text.\n\n(twice)=")]
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    problems = reference_problems("{ref}`here <twice>`", tmp_path)
    assert problems == ["{ref}`here <twice>`: 'twice' is defined 2 times (a.ipynb, b.ipynb)"]
