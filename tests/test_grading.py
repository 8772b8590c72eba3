"""coursetools.grading under hostile and honest submissions: every attempt of the grading review, as a test.

Each attempt is a fake submission of chapter 5 (or 1) built from the released
notebook. It must earn at most what its honest content deserves (0 for a
stub), and must not touch the environment, another submission or anything
outside the sandbox. The honest edge cases must score as they deserve.
"""

import csv
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursetools import grading, grading_policy, release, sandbox, student_package
from lossbook import exercises
from lossbook.exercises import scoring
from lossbook.exercises.model import encode

ROOT = Path(__file__).resolve().parents[1]
CH05 = "05_losses_from_scratch"
CH01 = "01_training_as_optimisation"
LIMIT = 8.0  # seconds per exercise in the sandbox, to keep the endless loops short (4 s per call)
SECRET = "a secret of the test's own"  # seeds the held-out cases; an instructor's lives outside the repository


RIGHT = {label: exercises.get(label).solution for label in exercises.labels()}
STUB05 = {
    "ex-05-sparse-cce": "def sparse_cce(labels, p, eps=1e-7):\n    raise NotImplementedError()",
    "ex-05-logit-grad": "def bce_logit_grad(z, y):\n    raise NotImplementedError()",
    "ex-05-cap": "def clipped_loss_by_hand():\n    raise NotImplementedError()",
    "ex-05-missing-term": "def predicted_q():\n    raise NotImplementedError()",
}
#: Answers of the right shape that are wrong: what an honest grader gives them.
WRONG05 = {
    "ex-05-sparse-cce": "def sparse_cce(labels, p, eps=1e-7):\n    return 0.0",
    "ex-05-logit-grad": "def bce_logit_grad(z, y):\n    return np.zeros(len(z))",
    "ex-05-cap": "def clipped_loss_by_hand():\n    return 0.0",
    "ex-05-missing-term": "def predicted_q():\n    return 0.5",
}


def _quiet(*args, **kwargs):
    pass


def _code(*lines):
    return "\n".join(lines)


def _with(answers, prefix):
    """Every answer with ``prefix`` (an attack) at the top of its cell."""
    return {label: prefix + "\n" + code for label, code in answers.items()}


# --------------------------------------------------------------------------- the class


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    chapters = [ROOT / "chapters" / f"{CH01}.ipynb", ROOT / "chapters" / f"{CH05}.ipynb"]
    release.build_course(ROOT, course, chapters)
    return {stem: course / "release" / stem / f"{stem}.ipynb" for stem in (CH01, CH05)}


def _notebook(released, stem, answers=(), extra=(), edit=None):
    nb = nbformat.read(released[stem], as_version=4)
    answers = dict(answers)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        label = meta.get("grade_id", "").removesuffix("-answer")
        if meta.get("solution") and label in answers:
            cell.source = answers[label]
    for index, source in extra:  # attack cells, inserted before the cell at `index` (negative: from the end)
        nb.cells.insert(index if index >= 0 else len(nb.cells) + index + 1, nbformat.v4.new_code_cell(source))
    if edit:
        edit(nb)
    return nb


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _answer_cell(nb, label):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{label}-answer")


def _edit_test_cells_source(nb):
    for cell in _grade_cells(nb):
        cell.source = "3.0"


def _edit_points(nb):
    for cell in _grade_cells(nb):
        cell.metadata["nbgrader"].update(points=100, locked=False)
        cell.metadata["editable"] = True
        cell.source = "exercises.grade = lambda *a, **k: 100.0"


def _edit_tests_into_answers(nb):
    for cell in _grade_cells(nb):
        cell.metadata["nbgrader"].update(grade=False, solution=True)


def _edit_strip_metadata(nb):
    for cell in _grade_cells(nb):
        del cell.metadata["nbgrader"]
        cell.source = "3.0"


def _edit_copy_test_cell(nb):
    cell = _grade_cells(nb)[0]
    nb.cells.insert(5, nbformat.from_dict(dict(cell, id="copied-test-cell")))


def _edit_fake_outputs(nb):
    for cell in _grade_cells(nb):
        cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "3.0"}, execution_count=1)]
        cell.execution_count = 1


def _edit_duplicate_answer(nb):
    """frank: a JupyterLab copy of the cap answer cell, keeping its metadata (and a new cell id)."""
    cell = _answer_cell(nb, "ex-05-cap")
    index = nb.cells.index(cell)
    nb.cells.insert(index + 1, nbformat.from_dict(dict(cell, id="a-copy-of-the-cap-answer")))


def _edit_duplicate_stub_after(nb):
    """A stub copy after the edited answer: the edited one still counts."""
    cell = _answer_cell(nb, "ex-05-cap")
    stub = nbformat.from_dict(dict(cell, id="stub-copy", source=STUB05["ex-05-cap"]))
    nb.cells.insert(nb.cells.index(cell) + 1, stub)


def _edit_lost_metadata(nb):
    del _answer_cell(nb, "ex-05-cap").metadata["nbgrader"]


VICTIM = "victim"


def _fs_attacks(folder, site_packages):
    victim = folder / VICTIM / f"{CH05}.ipynb"
    return {
        # fs1: read the solutions, the other submissions and the repository's bank
        "fs1-recon": {
            **STUB05,
            "ex-05-cap": _code(
                "def clipped_loss_by_hand():",
                "    import os",
                f"    for path in [{str(ROOT / 'lossbook' / 'exercise_bank' / 'ch05.py')!r}, {str(folder)!r},",
                f"                 {str(ROOT / '_build')!r}, {str(ROOT / 'chapters')!r}, {str(victim)!r}]:",
                "        try:",
                "            return open(path).read() if os.path.isfile(path) else os.listdir(path)",
                "        except Exception as e:",
                "            pass",
                "    return 11.513 if os.getuid() == 0 else -1.0",
            ),
        },
        # fs2: a detached daemon that outlives the grading and rewrites another student's notebook
        "fs2-daemon": {
            **STUB05,
            "ex-05-cap": _code(
                "import subprocess, sys",
                "subprocess.Popen([sys.executable, '-c', 'import time\\ntime.sleep(3)\\n'",
                f'                  \'open({str(victim)!r}, "w").write("{{}}")\\n\'',
                '                  \'open("/tmp/lossbook-daemon-was-here", "w").write("x")\'],',
                "                 start_new_session=True)",
                "def clipped_loss_by_hand():",
                "    raise NotImplementedError()",
            ),
        },
        # fs3: a .pth file in the environment, to patch every later grade
        "fs3-persist": {
            **STUB05,
            "ex-05-cap": _code(
                f"open({str(site_packages / 'zz_lossbook_probe.pth')!r}, 'w').write('import os')",
                "def clipped_loss_by_hand():",
                "    raise NotImplementedError()",
            ),
        },
        # fs4: delete another student's submission and write into the course's package
        "fs4-vandal": {
            **STUB05,
            "ex-05-cap": _code(
                "import os",
                "for path in [" + repr(str(victim)) + "]:",
                "    try:",
                "        os.remove(path)",
                "    except OSError:",
                "        pass",
                "try:",
                f"    open({str(ROOT / 'lossbook' / 'planted.py')!r}, 'w').write('x = 1')",
                "except OSError:",
                "    pass",
                "def clipped_loss_by_hand():",
                "    raise NotImplementedError()",
            ),
        },
        # no network
        "net": {
            **STUB05,
            "ex-05-cap": _code(
                "def clipped_loss_by_hand():",
                "    import socket",
                "    s = socket.create_connection(('1.1.1.1', 53), timeout=2)",
                "    return 11.513",
            ),
        },
    }


def _zero_knowledge(label):
    """Report attack 1: an implement answer that is a table of the student build's visible cases.

    A call equal to a visible case, or to one with its examples reversed (the old public rule), gets that case's
    value (reversed too, for a per-example array); any other call gets the first visible value.
    """
    exercise = exercises.get(label)
    rows = [(json.dumps(_plain(c.args)), json.dumps(_plain(_rev(c.args))), _plain(exercise.expected(c))) for c in exercise.cases]
    return _code(
        f"def {exercise.function}(*args):",
        "    import json",
        "    import numpy as np",
        f"    rows = {rows!r}",
        "    def plain(v):",
        "        if isinstance(v, np.ndarray):",
        "            return v.tolist()",
        "        return [plain(x) for x in v] if isinstance(v, (list, tuple)) else v",
        "    key = json.dumps(plain(args))",
        "    for same, reversed_, value in rows:",
        "        if key == same:",
        "            return np.asarray(value)",
        "        if key == reversed_:",
        "            return np.asarray(value)[::-1] if np.ndim(value) else np.asarray(value)",
        "    return np.asarray(rows[0][2])",
    )


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _rev(args):
    return tuple(a[::-1] if isinstance(a, np.ndarray) and a.ndim else a for a in args)


#: Report attack 2: no data in the notebook; read the student build's exercises.json at grading time.
ZERO_INLINE = _code(
    "def sparse_cce(labels, p, eps=1e-7):",
    "    import json, os, sys",
    "    import numpy as np",
    "    places = [os.path.join(entry, 'lossbook', 'exercise_bank', 'exercises.json') for entry in sys.path]",
    "    try:",
    "        places.append(os.path.join(open('/proc/1/cmdline').read().split('\\0')[0], 'x'))",
    "    except OSError:",
    "        pass",
    "    for place in places:",
    "        try:",
    "            data = json.load(open(place))",
    "        except (OSError, ValueError):",
    "            continue",
    "        for item in data:",
    "            if item['label'] == 'ex-05-sparse-cce':",
    "                for case in item['cases']:",
    "                    if case['args']['__tuple__'][0]['__ndarray__'] == [int(x) for x in labels]:",
    "                        return case['expected']",
    "                return item['cases'][0]['expected']",
    "    return 0.0",
)

#: Report attack 3, both variants: lift the harness's in-process ban, then import lossbook.
BYPASS = {
    "clear": _code(
        "def sparse_cce(labels, p, eps=1e-7):",
        "    import sys, importlib",
        "    sys.modules['__main__']._BANNED.clear()",
        "    m = importlib.import_module('lossbook.losses')",
        "    return m.sparse_categorical_crossentropy(labels, p)",
    ),
    "restore": _code(
        "def sparse_cce(labels, p, eps=1e-7):",
        "    import sys, builtins",
        "    guard = builtins.__import__",
        "    real = [c.cell_contents for c in (guard.__closure__ or ()) if callable(c.cell_contents)]",
        "    if real:",
        "        builtins.__import__ = real[0]",
        "    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_Blocker']",
        "    m = __import__('loss' + 'book.losses', fromlist=['losses'])",
        "    return m.sparse_categorical_crossentropy(labels, p)",
    ),
}

#: Report attack 9: forge the harness's protocol from inside a call (events for another exercise, an early done).
FORGE = _code(
    "def sparse_cce(labels, p, eps=1e-7):",
    "    import sys",
    "    send = sys._getframe(1).f_locals['send']",
    "    send(label='ex-05-cap', event='defined')",
    "    send(label='ex-05-cap', event='case', index=0, value=11.513)",
    "    send(label='ex-05-cap', event='done', output='', output_chars=0)",
    "    send(label='ex-05-sparse-cce', event='case', index=True, value=1.0)",
    "    return 0.0",
)


def _forged_line(text):
    """An answer to sparse-cce that writes ``text`` as a raw line into the harness's pipe, for its own case 1."""
    line = '{"label": "ex-05-sparse-cce", "event": "case", "index": 0, "value": ' + text + "}"
    return _code(
        "def sparse_cce(labels, p, eps=1e-7):",
        "    import sys",
        "    out = sys._getframe(1).f_locals['out']",
        f"    out.write({line!r} + '\\n')",
        "    out.flush()",
        "    return 0.0",
    )


#: Values the grader's own process must survive, each sent in place of sparse-cce's first value (a forged line).
HOSTILE_VALUES = {
    "v-bigint": "1" + "0" * 400,
    "v-deep": "[" * 5000 + "]" * 5000,
    "v-unclosed": "[" * 100000,
    "v-surrogate": '"\\ud800"',
    "v-long-string": '"' + "x" * 3_000_000 + '"',
    "v-array-bigint": '{"__ndarray__": [' + "9" * 300 + '], "dtype": "int64", "shape": [1]}',
    "v-array-shape": '{"__ndarray__": [1, 2], "dtype": "float64", "shape": [1000000000, 1000000000]}',
    "v-array-shape-text": '{"__ndarray__": [[1]], "dtype": "float64", "shape": ["x"]}',
    "v-array-text": '{"__ndarray__": "abc", "dtype": "float64", "shape": []}',
    "v-array-inf": '{"__ndarray__": [1e999], "dtype": "float64", "shape": [1]}',
    "v-tuple-text": '{"__tuple__": "abc"}',
    "v-object-dict": '{"__object__": {"a": [1]}, "repr": [1, 2]}',
    "v-nan": "NaN",
    "v-huge-floats": "[1e308, -1e308, 1e308]",
    "v-dict-keys": '{"\\ud800": 1, "__tuple__": [1]}',
}


def _remove_deep(top: Path) -> None:
    """Remove a chain of folders named ``d`` too deep for shutil.rmtree, by lifting each one up in turn."""
    current = top / "d"
    while current.is_dir():
        inner = current / "d"
        for entry in current.iterdir():
            if entry.name != "d":
                entry.unlink()
        if inner.is_dir():
            os.rename(inner, top / "next")
            current.rmdir()
            os.rename(top / "next", current)
        else:
            current.rmdir()


def _hostile_entries(folder, released):
    """Entries of the submissions folder that are not a student's readable notebook: student -> what was planted."""
    honest = nbformat.writes(_notebook(released, CH05))
    planted = {}

    def student(name):
        (folder / name).mkdir()
        return folder / name

    # 16, 17: links to the instructor's chapter and to a classmate's notebook
    os.symlink(ROOT / "chapters" / f"{CH05}.ipynb", student("symlink-instructor") / f"{CH05}.ipynb")
    os.symlink(folder / VICTIM / f"{CH05}.ipynb", student("symlink-peer") / f"{CH05}.ipynb")
    os.symlink(Path("..") / VICTIM / f"{CH05}.ipynb", student("symlink-peer-relative") / f"{CH05}.ipynb")
    # 19: a link to a file of the machine's
    os.symlink("/etc/shadow", student("symlink-shadow") / f"{CH05}.ipynb")
    # 33: a dangling link
    os.symlink(folder / "nowhere.ipynb", student("dangling-link") / f"{CH05}.ipynb")
    # 32: a folder named like the chapter
    (student("directory-named-ipynb") / f"{CH05}.ipynb").mkdir()
    # 35: a FIFO, and a socket, and a device, named like the chapter
    os.mkfifo(student("fifo") / f"{CH05}.ipynb")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(student("unix-socket") / f"{CH05}.ipynb"))
    if os.geteuid() == 0:
        os.mknod(student("device") / f"{CH05}.ipynb", stat.S_IFCHR | 0o666, os.makedev(1, 5))  # /dev/zero
    # 30: a notebook made of 100,000 opening brackets
    (student("deep-json-file") / f"{CH05}.ipynb").write_text("[" * 100_000)
    # a file past the size cap (sparse: it takes no disk)
    with open(student("huge-file") / f"{CH05}.ipynb", "wb") as fh:
        fh.truncate(grading.NOTEBOOK_BYTES + 1)
    # 37: 1500 nested folders, the notebook at the bottom
    deep = student("deep-folders")
    path = os.fsencode(deep)
    descriptor = os.open(path, os.O_RDONLY)
    for _ in range(1500):
        os.mkdir("d", dir_fd=descriptor)
        inner = os.open("d", os.O_RDONLY, dir_fd=descriptor)
        os.close(descriptor)
        descriptor = inner
    with open(os.open(f"{CH05}.ipynb", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor), "w") as fh:
        fh.write(honest)
    os.close(descriptor)
    # a sub-folder that links elsewhere, and a link in place of a student's folder
    os.symlink(ROOT / "chapters", student("symlink-dir") / "inner")
    os.symlink(folder / VICTIM, folder / "symlink-student")
    # a file where a student's folder should be, and a top-level notebook
    (folder / "stray-file.ipynb").write_text(honest)
    # names that try to inject: a formula (21), terminal escapes and a forged line, bytes that are not UTF-8
    formula = '=HYPERLINK(CONCATENATE("https:",CHAR(47),CHAR(47),"example.invalid"),"see feedback")'
    (student("formula-name") / f"{formula}.ipynb").write_text(honest)
    (folder / "\x1b[2J\x1b[31mescape\nalice: 100 of 100 points").mkdir()
    (folder / "\x1b[2J\x1b[31mescape\nalice: 100 of 100 points" / f"{CH05}.ipynb").write_text("{}")
    os.mkdir(os.path.join(os.fsencode(folder), b"latin1-\xe9t\xe9"))
    with open(os.path.join(os.fsencode(folder), b"latin1-\xe9t\xe9", b"\xff" + os.fsencode(CH05) + b".ipynb"), "w") as fh:
        fh.write(honest)
    (student("bidi-\u202etxt.exe") / f"{CH05}.ipynb").write_text(honest)
    # 29: metadata.nbgrader of the wrong type
    nb = _notebook(released, CH05)
    for cell in nb.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"] = "x"
            break
    nbformat.write(nb, student("metadata-type") / f"{CH05}.ipynb")
    planted["empty"] = student("empty")
    return planted


@pytest.fixture(scope="module")
def graded(released, grading_sandbox, tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    site_packages = Path(next(p for p in sys.path if p.endswith("site-packages")))

    def submit(student, stem=CH05, **kwargs):
        (folder / student).mkdir()
        # ASCII JSON, as Jupyter may write it: an answer may then hold a lone surrogate, escaped
        text = json.dumps(_notebook(released, stem, **kwargs), ensure_ascii=True, indent=1)
        (folder / student / f"{stem}.ipynb").write_text(text, encoding="utf-8")

    right05 = {k: v for k, v in RIGHT.items() if k.startswith("ex-05")}
    right01 = {k: v for k, v in RIGHT.items() if k.startswith("ex-01")}
    submit(VICTIM, answers=right05)
    submit("stub")
    submit("honest-wrong", answers=WRONG05)
    # a: replacing the grader's functions, in an extra cell or in the answer cells
    submit(
        "a1-grade-patched",
        extra=[(-1, "exercises.grade = lambda label, answer, *, points: float(points)\nexercises.check = lambda *a: None")],
    )
    submit(
        "a1-in-answers",
        answers=_with(STUB05, "from lossbook import exercises\nexercises.grade = lambda label, answer, *, points: float(points)"),
    )
    submit(
        "a2-evaluate",
        answers=_with(
            STUB05, "from lossbook import exercises\nexercises.evaluate = lambda *a, **k: exercises.Report('x', 1, 1, True, '')"
        ),
    )
    submit(
        "a3-poisoned-reference",
        answers={
            label: code + f"\nfrom lossbook.exercises import model\nmodel._REFERENCES[{label!r}] = "
            f"{exercises.get(label).function}"
            for label, code in WRONG05.items()
        },
    )
    submit("a4-shadow", extra=[(-1, "class exercises:\n    grade = staticmethod(lambda *a, points: float(points))")])
    # b: patching the comparison
    submit("b1-allclose", answers=_with(WRONG05, "np.allclose = lambda *a, **k: True"))
    submit(
        "b2-isclose",
        answers=_with(
            WRONG05,
            "import math\nnp.isclose = lambda *a, **k: True\n"
            "math.isclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True",
        ),
    )
    # c: editing the notebook's JSON
    submit("c1-test-source", edit=_edit_test_cells_source)
    submit("c2-points", answers={**STUB05, "ex-05-logit-grad": WRONG05["ex-05-logit-grad"]}, edit=_edit_points)
    submit("c3-tests-as-answers", edit=_edit_tests_into_answers)
    submit("c4-stripped", edit=_edit_strip_metadata)
    submit("c5-copied-test", edit=_edit_copy_test_cell)
    # d: the reference solutions
    submit(
        "d1-reference",
        answers={
            label: _code(
                f"def {exercises.get(label).function}(*args):",
                "    from lossbook import exercises",
                f"    return exercises.get({label!r}).reference()(*args)",
            )
            for label in STUB05
        },
    )
    submit(
        "d2-exec-bank",
        answers=_with(
            STUB05, "import lossbook.exercise_bank.ch05 as bank\nfor e in bank.EXERCISES:\n    exec(e.solution, globals())"
        ),
    )
    submit(
        "d3-student-data",
        answers={
            **STUB05,
            "ex-05-cap": _code(
                "def clipped_loss_by_hand():",
                "    import json, pathlib, lossbook.exercise_bank as bank",
                "    data = json.loads((pathlib.Path(bank.__file__).parent / 'exercises.json').read_text())",
                "    return [c for c in data if c['label'] == 'ex-05-cap'][0]['cases'][0]['expected']",
            ),
        },
    )
    # e: patching round, and a fake module
    for name, value in (("e1b-round-negative", "-1.0"), ("e2b-round-nan", "float('nan')"), ("e4b-round-huge", "1e9")):
        submit(name, answers=_with(WRONG05, f"import builtins\nbuiltins.round = lambda x, n=None: {value}"))
    submit(
        "e3-fake-module",
        answers=_with(
            STUB05,
            _code(
                "import sys, types",
                "fake = types.ModuleType('lossbook.exercises')",
                "fake.grade = lambda *a, points: float(points)",
                "sys.modules['lossbook.exercises'] = fake",
            ),
        ),
    )
    # f: outputs planted in the notebook
    submit("f1-outputs", extra=[(-1, "print(3.0)")], edit=_edit_fake_outputs)
    # g: the kernel, the display, the call stack, a lying string, a dying process, a lookup table
    submit(
        "g1-interactivity",
        answers=_with(STUB05, "get_ipython().ast_node_interactivity = 'none'"),
        extra=[(-1, "get_ipython().ast_node_interactivity = 'none'")],
    )
    submit(
        "g2-formatter",
        extra=[
            (-1, "get_ipython().display_formatter.formatters['text/plain'].for_type(float, lambda x, p, c: p.text('full marks'))")
        ],
    )
    submit(
        "g3-frames",
        answers={
            label: _code(
                f"def {exercises.get(label).function}(*args, **kwargs):",
                "    import sys",
                "    frame = sys._getframe()",
                "    while frame is not None:",
                "        if 'expected' in frame.f_locals:",
                "            return frame.f_locals['expected']",
                "        frame = frame.f_back",
                "    return None",
            )
            for label in STUB05
        },
    )
    submit(
        "g4-lying-string",
        stem=CH01,
        answers={
            "ex-01-eta": _code(
                "class Yes(str):",
                "    def __eq__(self, other):",
                "        return True",
                "    def __hash__(self):",
                "        return 0",
                "    def strip(self, *a):",
                "        return self",
                "    def lower(self):",
                "        return self",
                "def predicted_path():",
                "    return Yes('no idea')",
            )
        },
    )
    submit("g5-exit", answers={**right05, "ex-05-cap": "import os\nos._exit(0)"})
    cce = exercises.get("ex-05-sparse-cce")  # the values check's feedback shows, as a lookup table
    table = {tuple(int(x) for x in c.args[0]): float(cce.expected(c)) for c in cce.cases}
    submit(
        "g6-lookup-table",
        answers={
            **STUB05,
            "ex-05-sparse-cce": _code(
                "def sparse_cce(labels, p, eps=1e-7):",
                f"    table = {table!r}",
                "    return table.get(tuple(int(x) for x in labels), 0.0)",
            ),
        },
    )
    submit(
        "g7-library",
        answers={
            **STUB05,
            "ex-05-sparse-cce": "def sparse_cce(labels, p, eps=1e-7):\n    return losses.sparse_categorical_crossentropy(labels, p)",
            "ex-05-logit-grad": "def bce_logit_grad(z, y):\n    from lossbook import losses as L\n"
            "    return L.binary_crossentropy_grad(y, z, from_logits=True)",
        },
    )
    submit(
        "g7-importlib",
        answers={
            **STUB05,
            "ex-05-sparse-cce": "def sparse_cce(labels, p, eps=1e-7):\n    import importlib\n"
            "    m = importlib.import_module('lossbook.' + 'losses')\n"
            "    return m.sparse_categorical_crossentropy(labels, p)",
            "ex-05-cap": "def clipped_loss_by_hand():\n    import lossbook\n    return 11.513",
        },
    )
    for name, answers in _fs_attacks(folder, site_packages).items():
        submit(name, answers=answers)
    # Honest edge cases
    submit("frank-duplicate", answers=right05, edit=_edit_duplicate_answer)
    submit("duplicate-stub-after", answers=right05, edit=_edit_duplicate_stub_after)
    submit("lost-metadata", answers=right05, edit=_edit_lost_metadata)
    submit(
        "gina-logging",
        answers={
            **right05,
            "ex-05-sparse-cce": "import logging\nlogging.basicConfig()\n"
            + right05["ex-05-sparse-cce"].replace(
                "    p_true", "    logging.warning('computing %d examples', len(labels))\n    p_true", 1
            ),
        },
    )
    submit(
        "stderr-and-print",
        answers={
            **right05,
            "ex-05-sparse-cce": right05["ex-05-sparse-cce"].replace(
                "    p_true",
                "    import sys\n    print('debug: here', file=sys.stderr)\n    print('debug: p_true = 1')\n    p_true",
                1,
            ),
        },
    )
    submit(
        "carol2-swallowed",
        answers={
            **right05,
            "ex-05-cap": _code(
                "def clipped_loss_by_hand():",
                "    import time",
                "    while True:",
                "        try:",
                "            time.sleep(1)",
                "        except BaseException:",
                "            pass",
            ),
        },
    )
    submit("top-level-loop", answers={**right05, "ex-05-missing-term": "while True:\n    pass"})
    submit("string-number", answers={**right05, "ex-05-cap": "def clipped_loss_by_hand():\n    return '11.513'"})
    submit("uses-chapter-variable", answers={**right05, "ex-05-cap": "def clipped_loss_by_hand():\n    return broken"})
    submit("misspelt", answers={**right05, "ex-05-missing-term": "def predicted_Q():\n    return 1.0"})
    submit("syntax-error", answers={**right05, "ex-05-cap": "def clipped_loss_by_hand(:\n    return 1"})
    submit("honest-ch01", stem=CH01, answers=right01)
    submit("sleeper-ch01", stem=CH01, answers={**right01, "ex-01-step": "import time\ntime.sleep(600)"})

    # The red team's report (redteam-2): held-out cases, the import ban, the protocol
    implement05 = ("ex-05-sparse-cce", "ex-05-logit-grad")
    submit("zero-knowledge", answers={**STUB05, **{label: _zero_knowledge(label) for label in implement05}})
    submit("zero-knowledge-inline", answers={**STUB05, "ex-05-sparse-cce": ZERO_INLINE})
    for name, code in BYPASS.items():
        submit(f"bypass-banned-{name}", answers={**STUB05, "ex-05-sparse-cce": code})
    submit("forge-protocol", answers={**STUB05, "ex-05-sparse-cce": FORGE, "ex-05-cap": "pass"})
    submit(
        "big-output",
        answers={
            **right05,
            "ex-05-sparse-cce": right05["ex-05-sparse-cce"].replace(
                "    p_true",
                "    import os, stat\n"  # straight into every pipe the process holds, the grader's among them
                "    for fd in range(1, 64):\n"
                "        try:\n"
                "            if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
                "                for _ in range(30):\n"
                "                    os.write(fd, b'x' * 1_000_000)\n"
                "        except OSError:\n"
                "            pass\n    p_true",
                1,
            ),
        },
    )
    submit(
        "recon-msg",
        answers={
            **right05,
            "ex-05-cap": "def clipped_loss_by_hand():\n    import lossbook, sys\n    return lossbook.__file__ + ' ' + sys.prefix",
        },
    )
    # Values the grader's process must survive (24-28)
    submit("crash-bigint", answers={**right05, "ex-05-cap": "def clipped_loss_by_hand():\n    return 10**400"})
    submit(
        "crash-surrogate-print",
        answers={
            **right05,
            "ex-05-cap": right05["ex-05-cap"].replace(
                "def clipped_loss_by_hand():", "def clipped_loss_by_hand():\n    print('\\ud800')", 1
            ),
        },
    )
    submit("crash-surrogate-return", answers={**right05, "ex-05-cap": "def clipped_loss_by_hand():\n    return '\\udcff'"})
    submit("crash-surrogate-source", answers={**right05, "ex-05-cap": right05["ex-05-cap"] + "\n# \ud800"})
    submit("crash-forged-deep-json", answers={**right05, "ex-05-sparse-cce": _forged_line("[" * 100_000)})
    submit(
        "bidi-output",
        answers={
            **right05,
            "ex-05-cap": right05["ex-05-cap"].replace(
                "def clipped_loss_by_hand():", "def clipped_loss_by_hand():\n    print('\u202eDETEC CORRECT')", 1
            ),
        },
    )
    for name, text in HOSTILE_VALUES.items():
        submit(name, answers={**right05, "ex-05-sparse-cce": _forged_line(text)})
    # 20, 46: copies of the chapter in sub-folders, each with other guesses
    for depth, guess in ((0, "11.513"), (1, "1.0"), (2, "2.0")):
        place = folder / "dup-copies" / Path(*["copy"] * depth)
        place.mkdir(parents=True, exist_ok=True)
        nbformat.write(
            _notebook(released, CH05, answers={**right05, "ex-05-cap": f"def clipped_loss_by_hand():\n    return {guess}"}),
            place / f"{CH05}.ipynb",
        )
    # Honest answers the old grader accused (report, honest edge cases)
    submit(
        "h-check-in-cell",
        answers={
            **right05,
            "ex-05-sparse-cce": right05["ex-05-sparse-cce"]
            + '\nexercises.check("ex-05-sparse-cce", sparse_cce)\nexercises.hint("ex-05-sparse-cce")',
        },
    )
    submit(
        "h-magic-in-cell",
        answers={**right05, "ex-05-sparse-cce": "%precision 4\n" + right05["ex-05-sparse-cce"] + "\n!echo done"},
    )
    submit(
        "h-own-imports", answers={**right05, "ex-05-sparse-cce": "from numpy import log, clip\n" + right05["ex-05-sparse-cce"]}
    )
    hostile = _hostile_entries(folder, released)

    before = sorted(p.name for p in site_packages.iterdir())
    victim_text = (folder / VICTIM / f"{CH05}.ipynb").read_text(encoding="utf-8")
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    out.write_text("a grades file from an earlier run\n")
    started = time.monotonic()
    rows = grading.grade(
        folder, out, root=ROOT, course=out.parent / "work", exercise_limit=LIMIT, jobs=2, log=_quiet, secret=SECRET
    )
    elapsed = time.monotonic() - started
    # fs2's daemon strikes 3 s after it starts. Had one survived, wait until it has struck (or 4 s):
    # a daemon that is gone can strike no more, so without one there is nothing to wait for.
    patience = time.monotonic() + 4
    while _daemons() and time.monotonic() < patience:
        time.sleep(0.1)
    yield {
        "rows": rows,
        "out": out,
        "folder": folder,
        "before": before,
        "site_packages": site_packages,
        "victim_text": victim_text,
        "elapsed": elapsed,
        "hostile": hostile,
    }
    _remove_deep(folder / "deep-folders")


def _scores(graded, student):
    rows = [r for r in graded["rows"] if r["student"] == student]
    assert rows, student
    return {r["exercise"]: r for r in rows}


def _total(graded, student):
    return sum(float(r["points"] or 0) for r in _scores(graded, student).values())


ZERO = [
    "stub",
    "a1-grade-patched",
    "a1-in-answers",
    "a2-evaluate",
    "a4-shadow",
    "c1-test-source",
    "c3-tests-as-answers",
    "c4-stripped",
    "c5-copied-test",
    "d1-reference",
    "d2-exec-bank",
    "e3-fake-module",
    "f1-outputs",
    "g1-interactivity",
    "g2-formatter",
    "g3-frames",
    "fs2-daemon",
    "fs3-persist",
    "fs4-vandal",
    "net",
    "fs1-recon",
]


@pytest.mark.parametrize("student", ZERO)
def test_an_attack_on_a_stub_scores_zero(graded, student):
    assert _total(graded, student) == 0, _scores(graded, student)


@pytest.mark.parametrize(
    "student",
    [
        "honest-wrong",
        "a3-poisoned-reference",
        "b1-allclose",
        "b2-isclose",
        "e1b-round-negative",
        "e2b-round-nan",
        "e4b-round-huge",
    ],
)
def test_an_attack_on_wrong_answers_scores_what_the_answers_deserve(graded, student):
    assert _total(graded, student) <= _total(graded, "honest-wrong")
    assert _total(graded, "honest-wrong") < 1  # zeros pass a case or two of the gradient, nothing else


def test_every_score_is_a_number_between_0_and_the_maximum(graded):
    for row in graded["rows"]:
        if row["status"] == "graded":
            points, top = float(row["points"]), float(row["max_points"])
            assert 0 <= points <= top, row
    assert {r["max_points"] for r in graded["rows"] if r["exercise"] == "ex-05-sparse-cce"} == {"3"}


def test_json_edits_of_points_and_tests_change_nothing(graded):
    rows = _scores(graded, "c2-points")
    assert {r["max_points"] for r in rows.values()} == {"3", "2", "1"}
    assert _total(graded, "c2-points") == float(_scores(graded, "honest-wrong")["ex-05-logit-grad"]["points"])


def test_the_student_build_holds_no_solution_for_d3_to_find_but_the_single_case_value(graded):
    # The student build carries expected values (check needs them); the single-case ones are formative.
    row = _scores(graded, "d3-student-data")["ex-05-cap"]
    assert row["points"] in ("0", "1")


def test_a_lying_string_gets_nothing(graded):
    row = _scores(graded, "g4-lying-string")["ex-01-eta"]
    assert row["points"] == "0" and "no idea" in row["message"]


def test_a_dying_answer_costs_only_its_exercise(graded):
    rows = _scores(graded, "g5-exit")
    assert rows["ex-05-cap"]["points"] == "0"
    assert "sandbox ended" in rows["ex-05-cap"]["message"]
    assert _total(graded, "g5-exit") == 6


def test_a_lookup_table_of_the_visible_cases_fails_the_held_out_ones(graded):
    row = _scores(graded, "g6-lookup-table")["ex-05-sparse-cce"]
    assert row["points"] == "0"
    assert " held out; the score takes the lower share" in row["message"], row["message"]


def test_the_library_may_not_implement_an_implement_exercise(graded):
    rows = _scores(graded, "g7-library")
    for label in ("ex-05-sparse-cce", "ex-05-logit-grad"):
        assert rows[label]["points"] == "0"
        assert "implement it yourself" in rows[label]["message"], rows[label]["message"]
    rows = _scores(graded, "g7-importlib")  # a dynamic import is refused in the sandbox
    assert rows["ex-05-sparse-cce"]["points"] == "0"
    assert "implement it yourself" in rows["ex-05-sparse-cce"]["message"], rows["ex-05-sparse-cce"]["message"]
    assert rows["ex-05-cap"]["points"] == "1"  # lossbook is allowed where nothing is to be implemented


def test_the_sandbox_hides_the_course_the_solutions_and_the_other_students(graded):
    row = _scores(graded, "fs1-recon")["ex-05-cap"]
    # Nothing it looked for exists in the sandbox, and it is not root there.
    assert row["points"] == "0" and "-1" in row["message"], row["message"]


def test_no_attack_touched_the_environment_the_course_or_another_student(graded):
    assert sorted(p.name for p in graded["site_packages"].iterdir()) == graded["before"]
    assert not (ROOT / "lossbook" / "planted.py").exists()
    assert not Path("/tmp/lossbook-daemon-was-here").exists()
    victim = graded["folder"] / VICTIM / f"{CH05}.ipynb"
    assert victim.read_text(encoding="utf-8") == graded["victim_text"]
    assert _total(graded, VICTIM) == 7


def _sandbox_processes() -> list[tuple[str, str]]:
    """(pid, command line) of every process that runs a sandbox's harness or fs2's daemon, anyone's."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "lossbook-daemon-was-here" in cmdline or "/harness.py" in cmdline:
                found.append((proc.name, cmdline))
    return found


def _daemons() -> list[tuple[str, str]]:
    return [(pid, cmdline) for pid, cmdline in _sandbox_processes() if "lossbook-daemon-was-here" in cmdline]


def _ancestors(pid: str) -> list[int]:
    chain = []
    while pid not in ("0", "1"):
        try:
            stat = (Path("/proc") / pid / "stat").read_text()
        except OSError:
            break
        pid = stat.rsplit(")", 1)[1].split()[1]
        chain.append(int(pid))
    return chain


def test_no_process_of_a_sandbox_survives_grading(graded):
    mine, runner = os.getpid(), os.getppid()
    survivors = []
    for pid, cmdline in _sandbox_processes():
        chain = _ancestors(pid)
        if runner in chain and mine not in chain:
            continue  # a sandbox of another test worker, still grading
        survivors.append((pid, cmdline))
    assert survivors == [], (mine, survivors)


# --------------------------------------------------------------------------- honest edge cases


def test_honest_submissions_score_full_marks(graded):
    assert _total(graded, VICTIM) == 7
    assert _total(graded, "honest-ch01") == 4
    for row in _scores(graded, VICTIM).values():
        assert row["message"] == "" and row["status"] == "graded"


def test_a_duplicated_answer_cell_is_resolved_and_reported(graded):
    for student in ("frank-duplicate", "duplicate-stub-after"):
        rows = _scores(graded, student)
        assert _total(graded, student) == 7, rows
        assert "appears 2 times" in rows["ex-05-cap"]["message"]


def test_an_answer_cell_that_lost_its_metadata_is_found_by_its_function(graded):
    rows = _scores(graded, "lost-metadata")
    assert _total(graded, "lost-metadata") == 7
    assert "lost its nbgrader metadata" in rows["ex-05-cap"]["message"]


def test_logging_stderr_and_prints_are_shown_not_scored(graded):
    for student in ("gina-logging", "stderr-and-print"):
        rows = _scores(graded, student)
        assert _total(graded, student) == 7
        message = rows["ex-05-sparse-cce"]["message"]
        assert message.startswith("[student output, not scored:"), message
    assert "debug: p_true = 1" in _scores(graded, "stderr-and-print")["ex-05-sparse-cce"]["message"]


@pytest.mark.timing
def test_a_loop_that_swallows_the_time_limit_costs_only_its_exercise(graded):
    rows = _scores(graded, "carol2-swallowed")
    assert rows["ex-05-cap"]["points"] == "0"
    assert "endless loop" in rows["ex-05-cap"]["message"]
    assert _total(graded, "carol2-swallowed") == 6
    looping = _scores(graded, "top-level-loop")
    assert looping["ex-05-missing-term"]["points"] == "0"
    assert "did not finish" in looping["ex-05-missing-term"]["message"]
    assert _total(graded, "top-level-loop") == 6
    sleeper = _scores(graded, "sleeper-ch01")
    assert sleeper["ex-01-step"]["points"] == "0" and _total(graded, "sleeper-ch01") == 3


def test_wrong_types_get_a_hint(graded):
    row = _scores(graded, "string-number")["ex-05-cap"]
    assert row["points"] == "0" and "not a string" in row["message"]
    exercise = exercises.Exercise(
        label="ex-10-pair",
        kind="implement",
        function="f",
        solution="",
        cases=(exercises.Case((), expected=(1.0, 2.0)),),
        hints=("h",),
    )
    advice = scoring.diagnose(exercise, exercise.cases[0], (1.0, 2.0), np.array([1.0, 2.0]))
    assert "Return a tuple of 2 values" in advice


def test_an_answer_needing_the_chapter_beyond_its_imports_is_told_so(graded):
    row = _scores(graded, "uses-chapter-variable")["ex-05-cap"]
    assert "NameError: name 'broken' is not defined" in row["message"]
    assert "nothing else the chapter defines" in row["message"]
    row = _scores(graded, "misspelt")["ex-05-missing-term"]
    assert row["points"] == "0" and "does not define `predicted_q`" in row["message"]
    row = _scores(graded, "syntax-error")["ex-05-cap"]
    assert row["message"].startswith("the answer cell fails: SyntaxError")


def test_the_csv_is_the_record(graded):
    with open(graded["out"], newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert written == graded["rows"]
    assert list(written[0]) == list(grading.COLUMNS)


@pytest.mark.timing
def test_grading_time_is_bounded_by_the_exercise_limit(graded):
    # About 100 students, two sandboxes each at most; a handful of exercises run into their limit (carol2,
    # top-level loop, sleeper, the copies of dup-copies that are not graded cost nothing).
    assert graded["elapsed"] < 300, graded["elapsed"]


# --------------------------------------------------------------------------- no answers where students are


@pytest.fixture(scope="module")
def student_build(tmp_path_factory):
    return student_package.build(tmp_path_factory.mktemp("student-lossbook"), root=ROOT)


def _solution_lines():
    """Every line of every reference solution's body, except those a hint gives away on purpose."""
    lines = set()
    for label in exercises.labels():
        exercise = exercises.get(label)
        body = exercise.solution.splitlines()[2:]  # after the def line and the docstring
        hints = " ".join(exercise.hints)
        for line in (line.strip() for line in body):
            given = line.split(" = ", 1)[-1]  # a formula a hint spells out is given away on purpose
            if len(line) > 8 and given not in hints and not line.startswith(("import ", "from ")):
                lines.add(line)
    return sorted(lines)


def test_the_student_build_of_lossbook_holds_no_solution_code(student_build):
    lines = _solution_lines()
    assert len(lines) >= 15
    found = []
    for path in student_build.rglob("*"):
        if path.is_file():
            text = {line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()}
            found += [f"{path.name}: {line}" for line in lines if line in text]
    assert found == []
    assert sorted(p.name for p in (student_build / "exercise_bank").iterdir()) == ["__init__.py", "exercises.json"]


def _run_in_student_build(student_build, code):
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(student_build.parent))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=student_build.parent, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_check_in_the_student_build_reveals_no_single_case_answer(student_build):
    out = _run_in_student_build(
        student_build,
        "\n".join(
            [
                "import lossbook",
                f"assert lossbook.__file__.startswith({str(student_build)!r}), lossbook.__file__",
                "from lossbook import exercises",
                "exercises.check('ex-05-cap', lambda: 0.0)",
                "exercises.check('ex-01-step', lambda: 0.0)",
                "exercises.check('ex-05-sparse-cce', lambda labels, p, eps=1e-7: 0.0)",
                "exercises.check('ex-05-sparse-cce', lambda labels, p, eps=1e-7: -float(__import__('numpy').mean("
                "__import__('numpy').log(__import__('numpy').clip(p[__import__('numpy').arange(len(labels)), labels], eps, 1 - eps)))))",
                "exercises.solution('ex-05-cap')",
                "try:",
                "    exercises.get('ex-05-cap').reference()",
                "except LookupError as e:",
                "    print('no reference:', e)",
            ]
        ),
    )
    assert "11.513" not in out and "1.3" not in out
    assert out.count("expected:") == 1  # the multi-case exercise shows its first failing case
    cases = len(exercises.get("ex-05-sparse-cce").cases)
    assert f"ex-05-sparse-cce: correct. {cases} of {cases} cases pass." in out
    assert "carries no solutions" in out and "no reference:" in out
    assert "exercises.solution" not in out


def test_check_shows_what_the_function_wrote_to_stderr(capsys):
    def noisy():
        print("debug: step", file=sys.stderr)
        return 1.3

    exercises.check("ex-01-step", noisy)
    out = capsys.readouterr().out
    assert "correct" in out and "wrote to stderr (not checked): debug: step" in out


def test_the_open_course_keeps_its_solutions(capsys):
    exercises.solution("ex-05-cap")
    assert "def clipped_loss_by_hand" in capsys.readouterr().out
    exercises.check("ex-05-cap", lambda: 0.0)
    assert "expected: 11.513" in capsys.readouterr().out


# --------------------------------------------------------------------------- the red team's report (redteam-2)


def _rows_of(graded, student):
    return [r for r in graded["rows"] if r["student"] == student]


def test_1_the_zero_knowledge_table_scores_nothing_on_implement_exercises(graded):
    rows = _scores(graded, "zero-knowledge")
    for label in ("ex-05-sparse-cce", "ex-05-logit-grad"):
        assert rows[label]["points"] == "0", rows[label]
        assert " 0 of " in rows[label]["message"] and " held out;" in rows[label]["message"], rows[label]["message"]


def test_1_the_zero_knowledge_strategy_scores_nothing_on_any_implement_exercise_of_the_course():
    """The report's strategy, for every implement exercise of the course, scored as the grader scores."""
    namespace = {}
    implement = [exercises.get(label) for label in exercises.labels() if exercises.get(label).kind == "implement"]
    assert len(implement) >= 14
    for exercise in implement:
        exec(_zero_knowledge(exercise.label), namespace)  # noqa: S102 - the test's own code
        function = namespace[exercise.function]
        cases = tuple(exercise.cases) + grading_policy.hidden_cases(exercise, SECRET)
        task = grading.Task(exercise, exercise.points, cases, [exercise.expected(c) for c in cases], [], ())
        assert len(cases) > len(exercise.cases), exercise.label
        result = sandbox.Result(exercise.label, defined=True, done=True)
        for index, case in enumerate(cases):
            value = function(*[a.copy() if isinstance(a, np.ndarray) else a for a in case.args])
            result.cases[index] = {"value": json.loads(json.dumps(encode(np.asarray(value))))}
        points, message = grading._score(task, "code", [], result, "")
        assert points == 0, (exercise.label, message)
        assert f"{len(exercise.cases)} of {len(exercise.cases)} shown" in message, message


def test_1_held_out_cases_come_from_the_secret_with_the_visible_shapes_and_ranges():
    for label in exercises.labels():
        exercise = exercises.get(label)
        if len(exercise.cases) < 2:
            assert grading_policy.hidden_cases(exercise, SECRET) == ()
            continue
        mine, again = grading_policy.hidden_cases(exercise, SECRET), grading_policy.hidden_cases(exercise, SECRET)
        other = grading_policy.hidden_cases(exercise, "another secret")
        assert len(mine) >= len(exercise.cases) - 1, label
        for a, b in zip(mine, again):
            assert all(np.array_equal(x, y) for x, y in zip(a.args, b.args)), label  # the same for every student
        assert any(not all(np.array_equal(x, y) for x, y in zip(a.args, b.args)) for a, b in zip(mine, other)), label
        for case in mine:  # no visible case, and shapes and dtypes a visible case has
            assert not any(all(np.array_equal(x, y) for x, y in zip(case.args, c.args)) for c in exercise.cases)
            shapes = [[(np.shape(a), getattr(a, "dtype", type(a))) for a in c.args] for c in exercise.cases]
            assert [(np.shape(a), getattr(a, "dtype", type(a))) for a in case.args] in shapes, label
            for position, arg in enumerate(case.args):
                if isinstance(arg, np.ndarray) and arg.size:
                    pool = np.concatenate([np.ravel(c.args[position]) for c in exercise.cases])
                    assert pool.min() - 1e-12 <= arg.min() and arg.max() <= pool.max() + 1e-12, label


def test_1_the_secret_lives_outside_the_repository_and_the_student_build(tmp_path, monkeypatch, student_build):
    monkeypatch.delenv(grading_policy.SECRET_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    first = grading_policy.secret()
    assert len(first) >= 32 and grading_policy.secret() == first
    assert stat.S_IMODE(grading_policy.secret_file().stat().st_mode) == 0o600
    assert not grading_policy.secret_file().is_relative_to(ROOT)
    monkeypatch.setenv(grading_policy.SECRET_VARIABLE, "from the environment")
    assert grading_policy.secret() == "from the environment"
    # The student build carries the visible cases' values, never a held-out case or the policy.
    data = json.loads((student_build / "exercise_bank" / "exercises.json").read_text(encoding="utf-8"))
    for item in data:
        assert len(item["cases"]) == len(exercises.get(item["label"]).cases)
    assert not list(student_build.rglob("grading_policy*"))


def test_2_reading_the_student_build_at_grading_time_scores_nothing(graded):
    row = _scores(graded, "zero-knowledge-inline")["ex-05-sparse-cce"]
    assert row["points"] == "0", row


def test_3_the_import_ban_holds_when_the_in_process_guard_is_undone(graded):
    for name in BYPASS:
        row = _scores(graded, f"bypass-banned-{name}")["ex-05-sparse-cce"]
        assert row["points"] == "0", (name, row)
        assert "not allowed in this exercise" in row["message"], row["message"]


def test_3_a_forbidden_package_is_not_in_the_sandbox_of_an_exercise_that_bans_it(tmp_path):
    import subprocess

    def probe(*names):
        return (
            "import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "        print(name, 'imported')\n"
            "    except ImportError as e:\n"
            "        print(name, 'refused:', e)\n"
        )

    build = student_package.build(tmp_path, root=ROOT)
    banned = subprocess.run(
        sandbox.command(
            build, [sys.executable, "-I", "-c", probe("lossbook", "sklearn", "keras")], banned=grading_policy.IMPLEMENT_FORBIDDEN
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert all(f"{name} refused" in banned.stdout for name in ("lossbook", "sklearn", "keras")), banned
    # Where nothing is banned, the packages import (Keras is left out: importing TensorFlow takes seconds and shows no more).
    allowed = subprocess.run(
        sandbox.command(build, [sys.executable, "-I", "-c", probe("lossbook", "sklearn")]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "lossbook imported" in allowed.stdout and "sklearn imported" in allowed.stdout, allowed


def test_8_library_one_liners_follow_the_policy_file():
    # SciPy is allowed in an implement exercise; an instructor who disagrees lists the module per label.
    kl = exercises.get("ex-03-kl-bits")
    code = "def kl_bits(p, q):\n    from scipy.stats import entropy\n    return entropy(p, q, base=2)"
    assert grading._prelude(code, [], grading_policy.forbidden(kl))[2] == ""
    assert grading._prelude(code, [], ("scipy.stats",))[2] == "scipy.stats"


def test_9_forged_protocol_lines_credit_nothing(graded):
    rows = _scores(graded, "forge-protocol")
    assert rows["ex-05-cap"]["points"] == "0", rows["ex-05-cap"]
    assert "does not define" in rows["ex-05-cap"]["message"]
    assert _total(graded, "forge-protocol") == 0


def test_11_output_past_the_cap_is_named_as_such(graded):
    row = _scores(graded, "big-output")["ex-05-sparse-cce"]
    assert row["points"] == "0" and "bytes back" in row["message"] and "time limit" not in row["message"], row
    assert _total(graded, "big-output") == 4


def test_12_messages_do_not_show_the_graders_paths(graded):
    row = _scores(graded, "recon-msg")["ex-05-cap"]
    assert str(ROOT) not in row["message"] and sys.prefix not in row["message"], row["message"]
    assert "<course>" in row["message"] or "<python>" in row["message"], row["message"]


@pytest.mark.parametrize(
    "student", ["symlink-instructor", "symlink-peer", "symlink-peer-relative", "symlink-shadow", "dangling-link"]
)
def test_16_17_19_33_a_link_is_not_followed(graded, student):
    rows = _rows_of(graded, student)
    assert rows and all(r["status"] == "failed" and r["points"] == "" for r in rows), rows
    assert all("symbolic link" in r["message"] for r in rows), rows
    assert {r["path"] for r in rows} == {f"{student}/{CH05}.ipynb"}


def test_18_a_linked_sub_folder_is_not_walked(graded):
    rows = _rows_of(graded, "symlink-dir")
    assert [r["message"] for r in rows] == ["no .ipynb file in the student's folder"]
    rows = _rows_of(graded, "symlink-student")
    assert len(rows) == 1 and "symbolic link" in rows[0]["message"] and rows[0]["status"] == "failed"


def test_20_46_one_copy_per_chapter_is_graded_and_the_others_reported(graded):
    rows = _rows_of(graded, "dup-copies")
    graded_rows = [r for r in rows if r["status"] == "graded"]
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert {r["path"] for r in graded_rows} == {f"dup-copies/{CH05}.ipynb"}  # the shallowest copy
    assert sorted(r["path"] for r in skipped) == sorted([f"dup-copies/copy/copy/{CH05}.ipynb", f"dup-copies/copy/{CH05}.ipynb"])
    assert all(r["points"] == "" and "only one notebook per chapter" in r["message"] for r in skipped)
    assert _total(graded, "dup-copies") == 7
    assert "2 other copies of this chapter" in graded_rows[0]["message"]


def test_21_a_file_name_is_never_a_formula(graded):
    rows = _rows_of(graded, "formula-name")
    assert len(rows) == 1 and rows[0]["status"] == "failed" and "unknown notebook name" in rows[0]["message"]
    with open(graded["out"], newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    assert rows[0]["notebook"].startswith("'=HYPERLINK")


def test_21_names_reach_the_terminal_escaped(graded):
    lines = []
    grading._summary(graded["rows"], graded["out"], lines.append)
    text = "\n".join(lines)
    assert "\x1b" not in text and "\u202e" not in text
    assert "\nalice: 100 of 100 points" not in text
    assert not any(line.startswith("alice") for line in lines)


def test_23_format_characters_are_stripped_from_quoted_output(graded):
    row = _scores(graded, "bidi-output")["ex-05-cap"]
    assert "DETEC CORRECT" in row["message"] and "\u202e" not in row["message"]
    assert row["points"] == "1"
    assert all(not any(ch in r[key] for ch in "\u202e\u200b\u2066") for r in graded["rows"] for key in grading.COLUMNS)


@pytest.mark.parametrize(
    "student",
    ["crash-bigint", "crash-surrogate-print", "crash-surrogate-return", "crash-surrogate-source", "crash-forged-deep-json"],
)
def test_24_to_28_a_value_the_grader_cannot_handle_costs_only_its_exercise(graded, student):
    rows = _scores(graded, student)
    assert set(rows) == {"ex-05-sparse-cce", "ex-05-logit-grad", "ex-05-cap", "ex-05-missing-term"}
    assert all(r["status"] == "graded" for r in rows.values())
    label = "ex-05-sparse-cce" if student == "crash-forged-deep-json" else "ex-05-cap"
    lost = {"crash-forged-deep-json": 3, "crash-surrogate-print": 0}.get(student, 1)  # a print costs nothing
    assert _total(graded, student) == 7 - lost, rows
    if student == "crash-surrogate-source":
        assert "not valid Unicode" in rows[label]["message"]
    if student == "crash-bigint":
        assert "too large" in rows[label]["message"]
    if student == "crash-surrogate-print":
        assert "\\ud800" in rows[label]["message"], rows[label]["message"]


@pytest.mark.parametrize("student", sorted(HOSTILE_VALUES))
def test_any_value_sent_back_gives_that_student_a_row_and_nothing_else(graded, student):
    rows = _scores(graded, student)
    assert set(rows) == {"ex-05-sparse-cce", "ex-05-logit-grad", "ex-05-cap", "ex-05-missing-term"}
    assert rows["ex-05-sparse-cce"]["points"] == "0"
    assert _total(graded, student) == 4


@pytest.mark.parametrize(
    "student,cause",
    [
        ("directory-named-ipynb", "a folder"),
        ("fifo", "named pipe"),
        ("unix-socket", "a socket"),
        ("device", "a device"),
        ("deep-json-file", "nested too deeply"),
        ("huge-file", "bytes"),
        ("metadata-type", None),
        ("deep-folders", "deeper than"),
        ("empty", "no .ipynb file"),
    ],
)
def test_any_hostile_entry_of_the_submissions_folder_gives_that_student_a_failed_row(graded, student, cause):
    if student == "device" and os.geteuid() != 0:
        pytest.skip("making a device needs root")
    rows = _rows_of(graded, student)
    assert rows, student
    if cause is None:  # the notebook is read; the odd cell is ignored
        assert _total(graded, student) == 0 and all(r["status"] == "graded" for r in rows)
        return
    assert all(r["status"] == "failed" and r["points"] == "" for r in rows), rows
    assert any(cause in r["message"] for r in rows), rows


def test_entries_outside_a_students_folder_and_odd_names_are_reported(graded):
    rows = {r["student"]: r for r in graded["rows"]}
    assert "a file in the submissions folder" in rows["stray-file.ipynb"]["message"]
    odd = [r for r in graded["rows"] if r["student"].startswith("latin1-")]
    assert odd and "\\udce9" in odd[0]["student"] and odd[0]["status"] == "failed"
    escape = [r for r in graded["rows"] if "escape" in r["student"]]
    assert escape and "\x1b" not in escape[0]["student"] and "\n" not in escape[0]["student"]
    assert _rows_of(graded, "bidi-txt.exe") and _total(graded, "bidi-txt.exe") == 0  # U+202E stripped


def test_the_csv_replaced_the_old_one_whole_and_lists_every_student(graded):
    with open(graded["out"], newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert written == graded["rows"]
    students = {r["student"] for r in written}
    assert VICTIM in students and "zero-knowledge" in students and len(students) > 90
    assert not [p for p in graded["out"].parent.iterdir() if p.name.endswith(".tmp")]
    assert all(r["path"] for r in written)
    assert _scores(graded, VICTIM)["ex-05-cap"]["path"] == f"{VICTIM}/{CH05}.ipynb"


def test_an_unfinished_csv_never_replaces_the_last_one(tmp_path):
    out = tmp_path / "grades.csv"
    out.write_text("the last complete grades\n")

    class Exploding(dict):
        def get(self, *args):
            raise RuntimeError("the disk is full")

        def keys(self):
            raise RuntimeError("the disk is full")

    rows = [{key: "x" for key in grading.COLUMNS}, Exploding()]
    with pytest.raises(RuntimeError):
        grading._write(rows, out)
    assert out.read_text() == "the last complete grades\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]
    grading._write([{**{key: "=1+1" for key in grading.COLUMNS}, "message": "\ud800"}], out)
    text = out.read_text(encoding="utf-8")
    assert "=1+1" in text  # _write writes what it is given; grade() cleans the rows first
    assert grading._clean("=1+1") == "'=1+1" and grading._clean("a\u202eb\x1b") == "ab\\x1b"
    assert grading._clean("\ud800") == "\\ud800" and grading._clean("-2") == "'-2"


# --------------------------------------------------------------------------- honest answers graded honestly


@pytest.mark.parametrize("student", ["h-check-in-cell", "h-magic-in-cell", "h-own-imports"])
def test_honest_answers_the_old_grader_accused_score_in_full(graded, student):
    rows = _scores(graded, student)
    assert _total(graded, student) == 7, rows
    assert all("does not allow" not in r["message"] for r in rows.values())


def test_an_answers_own_import_is_its_own_binding():
    nb = read_chapter("14_calibration")
    imports = grading._imports(nb)
    assert any(name == "stats" and module.startswith("lossbook") for name, module, _ in imports)
    code = (
        "from scipy import stats\n"
        "def ece(confidence, correct, bins=10):\n"
        "    return float(stats.binned_statistic(confidence, correct, 'mean', bins=bins)[0][0])"
    )
    prelude, names, blocked = grading._prelude(code, imports, grading_policy.IMPLEMENT_FORBIDDEN)
    assert blocked == "" and "stats" not in names and "lossbook" not in prelude
    # the chapter's own `stats`, used without an import of the answer's, is still refused
    uses_chapter = "def ece(confidence, correct, bins=10):\n    return stats.expected_calibration_error(confidence, correct)"
    assert grading._prelude(uses_chapter, imports, grading_policy.IMPLEMENT_FORBIDDEN)[2].startswith("lossbook")


def test_the_honest_ch14_answer_with_scipy_stats_scores_in_full(grading_sandbox, tmp_path):
    nb = read_chapter("14_calibration")
    exercise = exercises.get("ex-14-ece")
    code = exercise.solution.replace("def ece(", "from scipy import stats as scipy_stats\nfrom scipy import stats\ndef ece(", 1)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ex-14-ece-answer":
            cell.source = code
    tasks = {k: v for k, v in grading.chapter_tasks(nb, SECRET).items() if k == "ex-14-ece"}
    build = student_package.build(tmp_path, root=ROOT)
    scored = grading.grade_notebook(nb, tasks, grading._imports(nb), build, exercise_limit=20)
    assert scored["ex-14-ece"] == (1, ""), scored


def test_helper_calls_are_dropped_and_magics_transformed():
    code = (
        "%precision 4\n"
        "def f(x):\n"
        "    exercises.hint('ex-05-cap')\n"
        "    return x\n"
        "exercises.check('ex-05-cap',\n"
        "                f)\n"
        "y = exercises.check('ex-05-cap', f)\n"
    )
    graded = grading._as_graded(code)
    assert "exercises.hint" not in graded and graded.count("exercises.check") == 1
    assert "run_line_magic" in graded and len(graded.splitlines()) == len(code.splitlines())
    with pytest.raises(ValueError, match="not valid Unicode"):
        grading._as_graded("x = 1  # \ud800")


# --------------------------------------------------------------------------- one student's failures stay theirs


def test_a_failure_of_the_grader_on_one_notebook_is_that_students_row(released, grading_sandbox, tmp_path, monkeypatch):
    folder = tmp_path / "subs"
    for student in ("ann", "bob"):
        (folder / student).mkdir(parents=True)
        nbformat.write(
            _notebook(released, CH05, answers={k: v for k, v in RIGHT.items() if k.startswith("ex-05")}),
            folder / student / f"{CH05}.ipynb",
        )
    real = grading.grade_notebook

    def flaky(nb, *args, **kwargs):
        if any("marker of ann's notebook" in str(c.source) for c in nb.cells):
            raise RecursionError("maximum recursion depth exceeded")
        return real(nb, *args, **kwargs)

    nb = nbformat.read(folder / "ann" / f"{CH05}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("marker of ann's notebook"))
    nbformat.write(nb, folder / "ann" / f"{CH05}.ipynb")
    monkeypatch.setattr(grading, "grade_notebook", flaky)
    rows = grading.grade(
        folder, tmp_path / "grades.csv", root=ROOT, course=tmp_path / "work", exercise_limit=LIMIT, log=_quiet, secret=SECRET
    )
    ann = [r for r in rows if r["student"] == "ann"]
    assert ann and all(r["status"] == "failed" and "RecursionError" in r["message"] for r in ann)
    assert sum(float(r["points"]) for r in rows if r["student"] == "bob") == 7


@pytest.mark.timing
def test_45_each_student_has_a_time_budget(released, grading_sandbox, tmp_path):
    folder = tmp_path / "subs"
    sleep = "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(60)"
    (folder / "sleeper").mkdir(parents=True)
    (folder / "honest").mkdir(parents=True)
    for stem in (CH01, CH05):
        labels = [label for label in RIGHT if label.startswith("ex-" + stem[:2])]
        nbformat.write(
            _notebook(released, stem, answers={label: sleep for label in labels}), folder / "sleeper" / f"{stem}.ipynb"
        )
        nbformat.write(
            _notebook(released, stem, answers={label: RIGHT[label] for label in labels}), folder / "honest" / f"{stem}.ipynb"
        )
    started = time.monotonic()
    rows = grading.grade(
        folder,
        tmp_path / "grades.csv",
        root=ROOT,
        course=tmp_path / "work",
        exercise_limit=LIMIT,
        log=_quiet,
        secret=SECRET,
        student_limit=6,
        jobs=2,
    )
    elapsed = time.monotonic() - started
    sleeper = [r for r in rows if r["student"] == "sleeper"]
    assert all(float(r["points"] or 0) == 0 for r in sleeper)
    assert any("time budget of 6 s" in r["message"] for r in sleeper), sleeper
    assert sum(float(r["points"]) for r in rows if r["student"] == "honest") == 11
    assert elapsed < 60, elapsed  # without the budget: 8 exercises x 4 s, plus restarts


def read_chapter(stem):
    return nbformat.read(ROOT / "chapters" / f"{stem}.ipynb", as_version=4)


# --------------------------------------------------------------------------- sandboxes that share nothing


BOMBS = {
    # 41: a fork bomb that refills every freed slot and ignores the alarm
    "a-bomb-fork": _code(
        "import os, signal, time",
        "signal.signal(signal.SIGALRM, signal.SIG_IGN)",
        "end = time.time() + 60",
        "while time.time() < end:",
        "    try:",
        "        if os.fork() == 0:",
        "            time.sleep(60)",
        "            os._exit(0)",
        "    except OSError:",
        "        time.sleep(0.01)",
    ),
    # 44: three children that each touch 1.5 GiB
    "a-bomb-memory": _code(
        "import os, time",
        "for _ in range(3):",
        "    if os.fork() == 0:",
        "        block = b'x' * (1536 << 20)",
        "        time.sleep(60)",
        "        os._exit(0)",
        "time.sleep(60)",
    ),
    # 43: busy processes, each in a session of its own
    "a-bomb-cpu": _code(
        "import os, time",
        "for _ in range(16):",
        "    if os.fork() == 0:",
        "        os.setsid()",
        "        while True:",
        "            pass",
        "time.sleep(60)",
    ),
}


@pytest.fixture(scope="module")
def bombed(released, grading_sandbox, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    right05 = {k: v for k, v in RIGHT.items() if k.startswith("ex-05")}
    for name, code in BOMBS.items():
        (folder / name).mkdir()
        nbformat.write(_notebook(released, CH05, answers={**right05, "ex-05-cap": code}), folder / name / f"{CH05}.ipynb")
    for n in range(8):
        (folder / f"victim{n}").mkdir()
        nbformat.write(_notebook(released, CH05, answers=right05), folder / f"victim{n}" / f"{CH05}.ipynb")
    out = tmp_path_factory.mktemp("bomb-grades") / "grades.csv"
    rows = grading.grade(folder, out, root=ROOT, course=out.parent / "work", exercise_limit=10, jobs=4, log=_quiet, secret=SECRET)
    return rows


@pytest.mark.timing  # the honest students must finish within their limit beside the bombs
def test_41_43_44_bombs_beside_honest_students_at_four_jobs(bombed):
    for n in range(8):
        mine = [r for r in bombed if r["student"] == f"victim{n}"]
        assert sum(float(r["points"]) for r in mine) == 7, mine
        assert all(r["message"] == "" for r in mine), mine
    for name in BOMBS:
        mine = {r["exercise"]: r for r in bombed if r["student"] == name}
        assert mine["ex-05-cap"]["points"] == "0" and sum(float(r["points"]) for r in mine.values()) == 6, mine


def test_concurrent_sandboxes_have_their_own_uid_and_limits():
    slots = [sandbox._slots().get() for _ in range(4)]
    try:
        if os.geteuid() == 0:
            assert len({s.uid for s in slots}) == 4 and 65534 not in {s.uid for s in slots}
        for slot in slots:
            assert slot.cgroups == [] or len({c.name for c in slot.cgroups}) == 1
        if slots[0].cgroups:
            assert len({str(s.cgroups[0]) for s in slots}) == 4
    finally:
        for slot in slots:
            sandbox._slots().put(slot)


def _in_sandbox(code: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``code`` in a sandbox as the grader starts one (seccomp filter included); its stdout."""
    import lossbook

    process = sandbox.spawn(
        Path(lossbook.__file__).parent,
        [sys.executable, "-I", "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


#: One call per row: (what it tries, the call through libc's syscall()); x86-64 numbers.
ESCAPES = {
    "trace another process": "syscall(101, 16, 1, 0, 0)",  # ptrace(PTRACE_ATTACH, pid 1)
    "a new user namespace": "syscall(272, 0x10000000)",  # unshare(CLONE_NEWUSER)
    "clone into a new user namespace": "syscall(56, 0x10000000 | 17, 0, 0, 0, 0)",  # clone(CLONE_NEWUSER|SIGCHLD)
    "a mount": "syscall(165, b'none', b'/tmp', b'tmpfs', 0, 0)",
    "the kernel keyring": "syscall(250, 0, -3, 0, 0, 0)",  # keyctl(KEYCTL_GET_KEYRING_ID, session)
    "a BPF program": "syscall(321, 0, 0, 0)",
    "performance counters": "syscall(298, 0, 0, -1, -1, 0)",
    "io_uring": "syscall(425, 8, 0)",
    "another process's memory": "syscall(310, 1, 0, 0, 0, 0, 0)",  # process_vm_readv
}


@pytest.mark.skipif(sys.platform != "linux" or os.uname().machine != "x86_64", reason="x86-64 system call numbers")
def test_the_sandbox_refuses_the_system_calls_a_graded_answer_never_needs(grading_sandbox):
    lines = [
        "import ctypes, errno, os, threading",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "syscall = libc.syscall",
        "syscall.restype = ctypes.c_long",
    ]
    for name, call in ESCAPES.items():
        lines += [
            f"r = {call}",
            "if r == 0: os._exit(0)",  # a clone's child, had the call worked
            f"print({name!r}, r, errno.errorcode.get(ctypes.get_errno(), '?'), sep='|')",
        ]
    lines += [
        "t = threading.Thread(target=print, args=('threads', 'run'))",
        "t.start(); t.join()",
        "pid = os.fork()",
        "os._exit(0) if pid == 0 else print('fork', os.waitpid(pid, 0)[1])",
    ]
    result = _in_sandbox("\n".join(lines))
    assert result.returncode == 0, result.stderr
    seen = {
        name: (value, code)
        for name, value, code in (line.split("|") for line in result.stdout.splitlines() if line.count("|") == 2)
    }
    assert set(seen) == set(ESCAPES), result.stdout
    for name, (value, code) in seen.items():
        assert value == "-1" and code == "EPERM", (name, value, code)
    assert "threads run" in result.stdout and "fork 0" in result.stdout, result.stdout


def test_12_the_sandbox_sees_no_path_of_the_grader_in_its_command_lines(grading_sandbox, student_build):
    code = (
        "import os\n"
        "for pid in sorted(p for p in os.listdir('/proc') if p.isdigit()):\n"
        "    try:\n"
        "        print(open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\\0', b' ').decode())\n"
        "    except OSError as exc:\n"
        "        print(pid, type(exc).__name__)\n"
    )
    import lossbook

    process = sandbox.spawn(
        student_build, [sys.executable, "-I", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "bwrap --args" in stdout, stdout  # bubblewrap's own line: its options came through a descriptor
    for secret in (str(student_build), str(Path(lossbook.__file__).parent), "--ro-bind", "lossbook-stubs"):
        assert secret not in stdout, (secret, stdout)


NOBODY = 65534


def _nobody_can_read(*paths: Path) -> bool:
    probe = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "test", "-r"]
    return all(subprocess.run([*probe, str(path)]).returncode == 0 for path in paths)


@pytest.mark.skipif(os.geteuid() != 0, reason="switches to an ordinary user, which needs root")
def test_41_44_an_ordinary_users_grader_keeps_bombs_from_honest_students(released, grading_sandbox):
    import tempfile

    if not _nobody_can_read(ROOT / "lossbook" / "__init__.py", ROOT / "chapters" / f"{CH05}.ipynb", Path(sys.executable)):
        pytest.skip("the course or its environment is not readable by an ordinary user here")
    home = Path(tempfile.mkdtemp(prefix="lossbook-ordinary-"))
    try:
        home.chmod(0o777)
        folder = home / "submissions"
        right05 = {k: v for k, v in RIGHT.items() if k.startswith("ex-05")}
        students = {"a-bomb-fork": BOMBS["a-bomb-fork"], "a-bomb-memory": BOMBS["a-bomb-memory"]}
        students |= {f"victim{n}": right05["ex-05-cap"] for n in range(3)}
        for name, code in students.items():
            (folder / name).mkdir(parents=True)
            nbformat.write(_notebook(released, CH05, answers={**right05, "ex-05-cap": code}), folder / name / f"{CH05}.ipynb")
        for path in [home, *home.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o644)
        script = (
            "import json, sys\n"
            "from coursetools import grading, sandbox\n"
            "rows = grading.grade(sys.argv[1], sys.argv[2], root=sys.argv[3], course=sys.argv[4],\n"
            "                     exercise_limit=8, jobs=4, log=lambda *a, **k: None, secret=sys.argv[5])\n"
            "print(json.dumps({'isolation': sandbox.isolation(), 'rows': rows}))\n"
        )
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT), "TMPDIR": str(home), "LOSSBOOK_THREADS": "1"}
        run = subprocess.run(
            [
                "setpriv",
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                sys.executable,
                "-c",
                script,
                str(folder),
                str(home / "grades.csv"),
                str(ROOT),
                str(home / "work"),
                SECRET,
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=home,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        report = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert "user namespace" in report["isolation"] and "one sandbox at a time" in report["isolation"], report
    assert "seccomp" in report["isolation"] and "no seccomp" not in report["isolation"], report
    rows = report["rows"]
    for n in range(3):
        mine = [r for r in rows if r["student"] == f"victim{n}"]
        assert sum(float(r["points"]) for r in mine) == 7 and all(r["message"] == "" for r in mine), mine
    for name in ("a-bomb-fork", "a-bomb-memory"):
        mine = {r["exercise"]: r for r in rows if r["student"] == name}
        assert mine["ex-05-cap"]["points"] == "0" and sum(float(r["points"]) for r in mine.values()) == 6, mine


def test_the_instructors_page_counts_the_exercises_of_the_bank():
    import re
    from collections import Counter

    text = " ".join((ROOT / "chapters" / "instructors.md").read_text(encoding="utf-8").split())
    bank = [exercises.get(label) for label in exercises.labels()]
    single = [e for e in bank if len(e.cases) == 1]
    kinds = Counter(e.kind for e in single)
    implement = [e for e in bank if e.kind == "implement"]
    said = re.search(r"Treat those (\d+) one-point exercises \((\d+) by hand, (\d+) predict, (\d+) read a plot\)", text)
    assert said, "the instructors' page no longer counts the single-case exercises"
    assert [int(n) for n in said.groups()] == [len(single), kinds["by hand"], kinds["predict"], kinds["read a plot"]]
    assert all(e.points == 1 for e in single)
    said = re.search(r'The (\d+) "implement" exercises', text)
    assert said and int(said.group(1)) == len(implement)


def test_a_banned_package_the_grader_has_imported_is_replaced_whole():
    """TensorFlow, once imported, widens its __path__ with a folder inside itself; the sandbox masks the top only."""
    import tensorflow  # noqa: F401 - as a test run that trained a model before grading has it

    top = Path(sys.modules["tensorflow"].__file__).parent.resolve()
    inside = [p for p in map(Path, sys.modules["tensorflow"].__path__) if top in p.resolve().parents]
    assert inside, "TensorFlow no longer widens its __path__ with a folder inside itself; this test has lost its case"
    assert sandbox._locations("tensorflow") == [top]
