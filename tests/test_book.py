"""The book's own rules: stored outputs, the table of contents, and nbval."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import nbformat
import pytest

from coursetools import book, course

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "01_training_as_optimisation.ipynb"


def test_every_chapter_is_clean_and_listed():
    assert book.book_problems(ROOT) == []


def test_every_chapter_is_in_the_table_of_contents():
    listed = course.toc_files(ROOT)
    notebooks = [str(p.relative_to(ROOT).with_suffix("")) for p in course.chapter_notebooks(ROOT)]
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
            [
                _code(
                    "1 / 0",
                    1,
                    [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}],
                )
            ],
            "stored error ZeroDivisionError",
        ),
        (
            [
                _code(
                    "object()",
                    1,
                    [
                        {
                            "output_type": "execute_result",
                            "execution_count": 1,
                            "metadata": {},
                            "data": {"text/plain": "<object object at 0x7f3a2c1d4e50>"},
                        }
                    ],
                )
            ],
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


def _nbval(directory, *options):
    """Run nbval on every notebook in `directory`, as `make test` does."""
    (directory / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-q",
            *options,
            "--rootdir",
            str(directory),
            str(directory),
        ],
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
    # One nbval run checks both copies, as `make test` checks every chapter in one run.
    (tmp_path / "good").mkdir()
    shutil.copy(CHAPTER, tmp_path / "good" / CHAPTER.name)
    (tmp_path / "bad").mkdir()
    nb = nbformat.read(CHAPTER, as_version=4)
    old, new = _change_one_digit(nb)
    assert old != new
    nbformat.write(nb, tmp_path / "bad" / CHAPTER.name)
    report = tmp_path / "report.xml"
    result = _nbval(tmp_path, f"--junitxml={report}")
    cells = {"good": [], "bad": []}  # per copy: whether each cell's outputs matched
    for case in ElementTree.parse(report).iter("testcase"):
        copy = case.get("classname").split(".")[0]
        cells[copy].append(case.find("failure") is None and case.find("error") is None)
    assert len(cells["good"]) == len(cells["bad"]) > 1, (cells, result.stdout[-3000:])
    assert all(cells["good"]), result.stdout[-3000:]
    assert cells["bad"].count(False) == 1, result.stdout[-3000:]
    assert result.returncode != 0
    assert "1 failed" in result.stdout
    assert new.strip() in result.stdout  # nbval shows the tampered line it expected


def test_the_site_renders_stored_outputs_rather_than_re_executing():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["sphinx"]["config"]["nb_output_stderr"] == "severe"


# ---------------------------------------------------------------------------
# Portability: cells whose output changes with the CPU
# ---------------------------------------------------------------------------


def _printing(text, count=1):
    return _code(f"print({text!r})", count, [{"output_type": "stream", "name": "stdout", "text": text + "\n"}])


def test_differing_cells_names_each_changed_cell_and_ignores_figures():
    stored = nbformat.v4.new_notebook()
    stored.cells = [nbformat.v4.new_markdown_cell("# A"), _printing("0.0176", 1), _printing("same", 2)]
    figure = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "AAAA", "text/plain": "<Figure>"}}
    stored.cells[2].outputs.append(nbformat.from_dict(figure))
    executed = nbformat.from_dict(json.loads(json.dumps(stored)))
    executed.cells[1].outputs[0]["text"] = "0.0040\n"
    executed.cells[2].outputs[1]["data"]["image/png"] = "BBBB"  # nbval does not compare figures either
    assert book.differing_cells(stored, executed) == [(1, "0.0176", "0.0040")]
    assert book.differing_cells(stored, stored) == []


def test_a_cpu_sensitive_cell_needs_a_reason_and_the_book_a_budget(tmp_path):
    bare = _printing("0.0176", 1)
    bare.metadata["tags"] = [book.SENSITIVE_TAG]
    explained = _code("# cpu-sensitive: one chaotic run\nprint(2)", 2)
    explained.metadata["tags"] = [book.SENSITIVE_TAG]
    path = _notebook(tmp_path, [bare, explained])
    problems = book.notebook_problems(path)
    assert len(problems) == 1 and "without a '# cpu-sensitive: <reason>' line" in problems[0]
    assert book.sensitive_cells([path]) == {(str(path), 0): "(no reason given)", (str(path), 1): "one chaotic run"}


def test_the_book_stays_within_its_budget_of_cpu_sensitive_cells():
    found = book.sensitive_cells(course.chapter_notebooks(ROOT))
    assert len(found) <= book.PORTABILITY_BUDGET
    assert all(reason != "(no reason given)" for reason in found.values())


def test_the_perturbed_settings_move_every_pinned_kernel():
    import platform

    settings = book.perturbations()
    assert settings["threads"][1]["LOSSBOOK_THREADS"] == "2"
    if platform.machine().lower() in {"x86_64", "amd64"}:
        assert settings["lower-isa"][1]["ONEDNN_MAX_CPU_ISA"] == "AVX"
        assert settings["sse41"][1]["ONEDNN_MAX_CPU_ISA"] == "SSE41"
        for name in ("lower-isa", "sse41"):
            assert settings[name][1]["OPENBLAS_CORETYPE"] not in ("", "Haswell")
        both = settings["lower-isa+threads"][1]
        assert both == {**settings["lower-isa"][1], **settings["threads"][1]}
        assert book.default_settings() == ["lower-isa+threads"]
    else:
        assert book.default_settings() == ["threads"]
    with pytest.raises(ValueError, match="unknown setting"):
        book.portability([], settings=["no-such-setting"])


def test_portability_lists_a_cell_that_changes_and_accepts_one_that_is_explained(tmp_path):
    """A chapter that prints the thread count changes under the 'threads' setting."""
    source = "import os\nprint(os.environ.get('LOSSBOOK_THREADS', '1'))"
    plain = _code(source, 1, [{"output_type": "stream", "name": "stdout", "text": "1\n"}])
    path = _notebook(tmp_path, [plain])
    lines = []
    assert book.portability([path], settings=["threads"], jobs=1, log=lines.append) == 1
    assert any("DIFFERS" in line and "cell 0" in line and "'1'" in line and "'2'" in line for line in lines)

    plain.source = "# cpu-sensitive: prints the thread count\n" + source
    plain.metadata["tags"] = [book.SENSITIVE_TAG]
    nbformat.write(nbformat.v4.new_notebook(cells=[plain]), path)
    lines = []
    assert book.portability([path], settings=["threads"], jobs=1, log=lines.append) == 0
    assert any("explained" in line and "prints the thread count" in line for line in lines)


@pytest.mark.parametrize(
    ("source", "cores"),
    [
        ("from lossbook import robust, stats", 2),
        ("from lossbook import calibration, distillation  # the teacher", 2),
        ("import lossbook.embedding as embedding", 2),
        ("from lossbook import data, replicas", 1),
        ("import lossbook\nprint('robust')  # a word, not an import", 1),
    ],
)
def test_a_chapter_that_trains_in_numpy_takes_a_core_per_thread(tmp_path, source, cores):
    path = _notebook(tmp_path, [_code(source, 1)])
    assert book.busy_cores(path, threads=2) == cores
    assert book.busy_cores(path, threads=1) == 1


def test_notebooks_start_only_where_their_cores_are_free():
    need = {"numpy-a": 2, "tf-a": 1, "tf-b": 1, "numpy-b": 2, "tf-c": 1}
    waiting = list(need)
    assert book._fitting(waiting, need, free=2) == ["numpy-a"]
    assert book._fitting(waiting[1:], need, free=2) == ["tf-a", "tf-b"]
    # One core free: a chapter that needs two waits for it, and nothing overtakes it
    # (a stream of TensorFlow chapters would otherwise keep it waiting to the end).
    assert book._fitting(["numpy-b", "tf-c"], need, free=1) == []
    assert book._fitting(["tf-c", "numpy-b"], need, free=1) == ["tf-c"]


def test_kernels_of_parallel_runs_talk_over_their_own_sockets(tmp_path):
    manager = course.kernel_manager(tmp_path)
    assert manager.transport == "ipc" and manager.ip.startswith(str(tmp_path))
    assert course.kernel_manager().transport == "tcp"
