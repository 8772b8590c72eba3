"""The book's own rules: stored outputs, the table of contents, and nbval."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lossbook import book

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "01_training_as_optimisation.ipynb"


def test_every_chapter_is_clean_and_listed():
    assert book.book_problems(ROOT) == []


def test_every_chapter_is_in_the_table_of_contents():
    listed = book.toc_files(ROOT)
    notebooks = [str(p.relative_to(ROOT).with_suffix("")) for p in book.chapter_notebooks(ROOT)]
    assert notebooks, "no chapters found"
    assert set(notebooks) <= set(listed)


def _notebook(tmp_path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def _code(source, count, outputs=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.execution_count = count
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def test_a_clean_notebook_has_no_problems(tmp_path):
    out = {"output_type": "stream", "name": "stdout", "text": "2\n"}
    path = _notebook(tmp_path, [_code("x = 1", 1), _code("print(x + 1)", 2, [out])])
    assert book.notebook_problems(path) == []


@pytest.mark.parametrize(
    "cells, expected",
    [
        ([_code("x = 1", None)], "no execution count"),
        ([_code("x = 1", 1), _code("x = 2", 3)], "execution count 3, expected 2"),
        (
            [_code("import tensorflow", 1, [{"output_type": "stream", "name": "stderr", "text": "E0000 oneDNN\n"}])],
            "stored stderr",
        ),
        (
            [_code("1 / 0", 1, [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}])],
            "stored error ZeroDivisionError",
        ),
        (
            [_code("object()", 1, [{"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "<object object at 0x7f3a2c1d4e50>"}}])],
            "memory address",
        ),
        (
            [_code("progress()", 1, [{"output_type": "stream", "name": "stdout", "text": "10%\r20%\n"}])],
            "carriage return",
        ),
        ([_code("# NBVAL_IGNORE_OUTPUT\nx = 1", 1)], "NBVAL_* comment"),
    ],
)
def test_each_broken_rule_is_reported(tmp_path, cells, expected):
    problems = book.notebook_problems(_notebook(tmp_path, cells))
    assert any(expected in p for p in problems), problems


def test_forbidden_tags_and_unexplained_ignores_are_reported(tmp_path):
    skipped = _code("x = 1", 1)
    skipped.metadata["tags"] = ["nbval-skip"]
    ignored = _code("x = 2", 2)
    ignored.metadata["tags"] = ["nbval-ignore-output"]
    explained = _code("# nbval-ignore-output: the value depends on the date\nx = 3", 3)
    explained.metadata["tags"] = ["nbval-ignore-output"]
    problems = book.notebook_problems(_notebook(tmp_path, [skipped, ignored, explained]))
    assert len(problems) == 2
    assert "nbval-skip" in problems[0]
    assert "without a '# nbval-ignore-output: <reason>' line" in problems[1]


def test_unlisted_chapter_and_dangling_entry_are_reported(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: chapters/intro\nchapters:\n  - file: chapters/gone\n")
    (tmp_path / "chapters" / "intro.md").write_text("# Intro\n")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "chapters" / "new.ipynb")
    problems = book.toc_problems(tmp_path)
    assert "_toc.yml: 'chapters/gone' names no .ipynb or .md file" in problems
    assert any("chapters/new.ipynb: not listed in _toc.yml" in p for p in problems)


def _nbval(directory):
    """Run nbval on every notebook in `directory`, as `make test` does."""
    (directory / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-q", "--rootdir", str(directory), str(directory)],
        cwd=directory,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=600,
    )


def _change_one_digit(nb):
    """Change the first digit of the first stdout output; return (old, new) lines."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                text = output["text"]
                match = re.search(r"\d", text)
                if match:
                    i = match.start()
                    new_digit = "1" if text[i] != "1" else "2"
                    output["text"] = text[:i] + new_digit + text[i + 1 :]
                    return text.splitlines()[0], output["text"].splitlines()[0]
    raise AssertionError("the chapter prints no digits")


def test_nbval_passes_on_a_copy_and_fails_when_one_stored_digit_changes(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(CHAPTER, good / CHAPTER.name)
    result = _nbval(good)
    assert result.returncode == 0, result.stdout[-3000:]

    bad = tmp_path / "bad"
    bad.mkdir()
    nb = nbformat.read(CHAPTER, as_version=4)
    old, new = _change_one_digit(nb)
    assert old != new
    nbformat.write(nb, bad / CHAPTER.name)
    result = _nbval(bad)
    assert result.returncode != 0
    assert "1 failed" in result.stdout
    assert new.strip() in result.stdout  # nbval shows the tampered line it expected


def test_the_site_renders_stored_outputs_rather_than_re_executing():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["sphinx"]["config"]["nb_output_stderr"] == "severe"
