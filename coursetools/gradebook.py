"""From the grader's rows to what students and learning management systems take: feedback files and a gradebook.

:mod:`coursetools.grading` writes one row per student and exercise
(``student, notebook, exercise, points, max_points, status, message``, and
any further columns such as the notebook's path). This module turns those
rows into

- one HTML feedback file per student (:func:`feedback_page`): each chapter
  and exercise with its points and the grader's message, and for a failing
  visible case the call it was (and the expected value where the student's
  own ``exercises.check`` shows it); everything a student wrote is escaped,
  and the page allows no script, style sheet, image or link to load;
- a gradebook CSV (:func:`gradebook_rows`): one row per student, one column
  per chapter and a total, with the identity columns Canvas reads
  (``Student, ID, SIS User ID, SIS Login ID, Section``), which a Moodle import
  maps by one identifier column. Cells that a spreadsheet would read as a
  formula are neutralised.

``python -m coursetools.gradebook grades.csv --feedback feedback --gradebook gradebook.csv``
(run by ``make grade``) reads the grades file; :func:`write` takes rows
directly.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import math
import os
import re
import sys
import tempfile
import unicodedata
from collections import defaultdict
from pathlib import Path

__all__ = [
    "IDENTITY",
    "clean",
    "cell",
    "safe_name",
    "first_failing_case",
    "feedback_page",
    "gradebook_rows",
    "write",
    "read_rows",
    "main",
]

#: The identity columns of a Canvas gradebook export, in its order; the gradebook starts with them.
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: The gradebook's last column.
TOTAL = "Total"
#: Characters that make a spreadsheet read a cell as a formula (or as a command, for tab and CR).
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_CASE = re.compile(r"(?<!held-out )\bcase (\d+)\b")


def clean(text) -> str:
    """``text`` as printable text: control and format characters (bidi overrides included) and lone surrogates removed.

    Line breaks and tabs become spaces; what remains always encodes as UTF-8.
    """
    text = "" if text is None else str(text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\n\t\r":
            out.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\u2028\u2029":
            continue
        else:
            out.append(ch)
    return "".join(out)


def cell(text) -> str:
    """A CSV cell no spreadsheet runs: :func:`clean` text, with a leading ``'`` if it would start a formula."""
    text = clean(text)
    return "'" + text if text.lstrip().startswith(_FORMULA) else text


def safe_name(student: str) -> str:
    """A file name for ``student``'s feedback: letters, digits, ``.``, ``_``, ``-``; never hidden, never a path.

    A name that had to be changed gets a short hash of the original, so two
    students never share a file.
    """
    raw = str(student)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", raw).lstrip(".-")[:80] or "student"
    if safe != raw:
        safe += "-" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return safe


def _number(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def _exercise(label: str):
    from lossbook import exercises

    try:
        return exercises.get(label)
    except (KeyError, ValueError, LookupError):
        return None


def first_failing_case(label: str, message: str) -> dict | None:
    """The visible case a message names as the first failing one: its number, call and, where shown, expected value.

    Held-out cases are never described: their inputs are the grader's secret.
    The expected value is given only where ``exercises.check`` in the student
    edition gives it, for exercises with more than one case (a single case's
    value is the answer itself).
    """
    match = _CASE.search(str(message))
    exercise = _exercise(label) if match else None
    if exercise is None:
        return None
    index = int(match.group(1)) - 1
    if not 0 <= index < len(exercise.cases):
        return None
    from lossbook.exercises.scoring import call_text, show

    case = exercise.cases[index]
    found = {"case": index + 1, "call": call_text(exercise, case) if case.args else f"{exercise.function}()"}
    if len(exercise.cases) > 1:
        found["expected"] = show(exercise.expected(case))
    return found


# ---------------------------------------------------------------------------
# One student's results
# ---------------------------------------------------------------------------


def _by_student(rows) -> dict[str, list[dict]]:
    students = defaultdict(list)
    for row in rows:
        students[str(row.get("student", ""))].append(row)
    return dict(sorted(students.items()))


def _chapter_scores(rows) -> dict[str, tuple[float, float]]:
    """Chapter -> (points, most points) of one student; each exercise counts once, capped at its maximum."""
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for row in rows:
        chapter, label = str(row.get("notebook") or ""), str(row.get("exercise") or "")
        if not chapter or not label:
            continue
        most = _number(row.get("max_points"))
        if most is None or most < 0:
            continue
        got = min(max(_number(row.get("points")) or 0.0, 0.0), most)
        key = (chapter, label)
        best[key] = max(best.get(key, (got, most)), (got, most))
    scores: dict[str, tuple[float, float]] = {}
    for (chapter, _), (got, most) in sorted(best.items()):
        total = scores.get(chapter, (0.0, 0.0))
        scores[chapter] = (total[0] + got, total[1] + most)
    return scores


_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}th,td{border:1px solid #999;padding:.4rem;
text-align:left;vertical-align:top}td.points{white-space:nowrap}code{white-space:pre-wrap;word-break:break-all}"""


def _e(text) -> str:
    return html.escape(clean(text), quote=True)


def feedback_page(student: str, rows) -> str:
    """One student's feedback as a self-contained HTML page, every value from the rows escaped."""
    scores = _chapter_scores(rows)
    got = sum(s[0] for s in scores.values())
    most = sum(s[1] for s in scores.values())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Nothing loads or runs, whatever the text holds: no script, no remote file, no form.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Feedback for {_e(student)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>Feedback for {_e(student)}</h1>",
        f"<p>Total: <strong>{_points(got)}</strong> of {_points(most)} points.</p>",
    ]
    problems = [r for r in rows if not r.get("exercise")]
    if problems:
        parts.append("<h2>Not graded</h2>\n<ul>")
        for row in problems:
            where = f"{_e(row.get('notebook'))}: " if row.get("notebook") else ""
            parts.append(f"<li>{where}{_e(row.get('message'))}</li>")
        parts.append("</ul>")
    chapters = defaultdict(list)
    for row in rows:
        if row.get("exercise"):
            chapters[str(row.get("notebook") or "")].append(row)
    for chapter in sorted(chapters):
        score = scores.get(chapter, (0.0, 0.0))
        parts.append(f"<h2>{_e(chapter)}: {_points(score[0])} of {_points(score[1])} points</h2>")
        paths = sorted({str(r["path"]) for r in chapters[chapter] if r.get("path")})
        if paths:
            parts.append(f"<p>Notebook graded: <code>{_e(', '.join(paths))}</code></p>")
        parts.append("<table>\n<thead><tr><th>Exercise</th><th>Points</th><th>Feedback</th></tr></thead>\n<tbody>")
        for row in chapters[chapter]:
            label = str(row.get("exercise"))
            points = _number(row.get("points"))
            shown = "&ndash;" if points is None else _e(_points(points))
            text = _e(row.get("message")) or (
                "correct" if points is not None and points == _number(row.get("max_points")) else ""
            )
            if str(row.get("status", "graded")) not in ("graded", ""):
                text = f"<strong>{_e(row.get('status'))}</strong>: {text}"
            case = first_failing_case(label, row.get("message", ""))
            if case:
                text += f"<br>First failing case ({case['case']}): <code>{_e(case['call'])}</code>"
                if "expected" in case:
                    text += f", expected <code>{_e(case['expected'])}</code>"
            parts.append(
                f'<tr><td><code>{_e(label)}</code></td><td class="points">{shown} of '
                f"{_e(row.get('max_points'))}</td><td>{text}</td></tr>"
            )
        parts.append("</tbody>\n</table>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# The class
# ---------------------------------------------------------------------------


def _roster_index(roster_rows) -> dict[str, dict]:
    """Each value of a roster row's identifier columns -> that row (an LMS export: Canvas's, Moodle's)."""
    keys = ("SIS Login ID", "SIS User ID", "ID", "Username", "Email address", "Email", "ID number", "Login ID")
    index = {}
    for row in roster_rows:
        for key in keys:
            value = str(row.get(key) or "").strip()
            if value and key in row:
                index.setdefault(value, row)
    return index


def gradebook_rows(rows, roster_rows=()) -> tuple[list[str], list[dict]]:
    """The gradebook's columns and rows: one row per student, one column per chapter, and the total.

    A chapter's cell is the student's points for it; it is empty when the
    student handed in nothing for that chapter (so an import leaves the LMS
    cell as it is), and 0 for a notebook that was handed in but could not be
    graded. The identity columns come from the roster row whose identifier
    (SIS Login ID, SIS User ID, ID, username or email) is the student's folder
    name; without one, ``Student`` and ``SIS Login ID`` are the folder name.
    """
    students = _by_student(rows)
    chapters = sorted({str(r.get("notebook")) for r in rows if r.get("notebook") and r.get("exercise")})
    index = _roster_index(roster_rows)
    out = []
    for student, mine in students.items():
        scores = _chapter_scores(mine)
        match = index.get(student.strip(), {})
        row = {key: cell(match.get(key, "")) for key in IDENTITY}
        if not match:
            row["Student"] = row["SIS Login ID"] = cell(student)
        for chapter in chapters:
            row[chapter] = _points(scores[chapter][0]) if chapter in scores else ""
        row[TOTAL] = _points(sum(s[0] for s in scores.values()))
        out.append(row)
    return [*IDENTITY, *chapters, TOTAL], out


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(rows, *, feedback="feedback", gradebook="gradebook.csv", roster=None, log=print) -> dict:
    """Write one feedback page per student into ``feedback`` and the gradebook CSV; return what was written.

    ``roster``: an LMS export (CSV) whose identity columns fill the gradebook's.
    """
    rows = [dict(r) for r in rows]
    written = {"feedback": {}, "gradebook": None, "unmatched": []}
    if feedback:
        folder = Path(feedback)
        folder.mkdir(parents=True, exist_ok=True)
        for student, mine in _by_student(rows).items():
            path = folder / f"{safe_name(student)}.html"
            _atomic_write(path, feedback_page(student, mine))
            written["feedback"][student] = path
        log(f"wrote {len(written['feedback'])} feedback pages into {folder}/")
    if gradebook:
        roster_rows = read_rows(roster) if roster else []
        columns, book = gradebook_rows(rows, roster_rows)
        if roster:
            known = _roster_index(roster_rows)
            written["unmatched"] = [s for s in _by_student(rows) if s.strip() not in known]
            if written["unmatched"]:
                log(
                    f"  not in the roster (identified by folder name alone): "
                    f"{', '.join(repr(clean(s)) for s in written['unmatched'][:20])}"
                )
        path = Path(gradebook)
        lines = _Lines()
        writer = csv.DictWriter(lines, fieldnames=columns)
        writer.writeheader()
        writer.writerows(book)
        _atomic_write(path, "".join(lines))
        written["gradebook"] = path
        maxima = _class_maxima(rows)
        log(
            f"wrote {path} ({len(book)} students; most points per chapter: "
            + ", ".join(f"{c} {_points(m)}" for c, m in maxima.items())
            + ")"
        )
    return written


def _class_maxima(rows) -> dict[str, float]:
    most: dict[tuple[str, str], float] = {}
    for row in rows:
        value = _number(row.get("max_points"))
        if row.get("notebook") and row.get("exercise") and value is not None:
            most[(str(row["notebook"]), str(row["exercise"]))] = value
    out: dict[str, float] = defaultdict(float)
    for (chapter, _), value in sorted(most.items()):
        out[chapter] += value
    return dict(out)


class _Lines(list):
    def write(self, text):
        self.append(text)


def read_rows(path) -> list[dict]:
    """The rows of a CSV file (the grades file, or a roster), as dicts."""
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as fh:
        return list(csv.DictReader(fh))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursetools.gradebook", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("grades", help="the grades file that coursetools.grading wrote")
    parser.add_argument(
        "--feedback", default="feedback", help="folder for one HTML page per student (default: %(default)s; '' for none)"
    )
    parser.add_argument("--gradebook", default="gradebook.csv", help="gradebook CSV to write (default: %(default)s; '' for none)")
    parser.add_argument(
        "--roster",
        default=None,
        help="an LMS export (CSV) with the students' Canvas or Moodle identifiers, matched to the folder names",
    )
    args = parser.parse_args(argv)
    if not Path(args.grades).is_file():
        print(f"{args.grades}: no such grades file; run `make grade` first", file=sys.stderr)
        return 2
    if args.roster and not Path(args.roster).is_file():
        print(f"{args.roster}: no such roster file", file=sys.stderr)
        return 2
    write(read_rows(args.grades), feedback=args.feedback, gradebook=args.gradebook, roster=args.roster)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
