# Set-up, build and verification of the course. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help book test portability oldest oldest-env oldest-run bench bench-grading outputs check lab lock clean student grade gradescope exercises

help:
	@echo "make book     build the website into _build/html (creates .venv on first use)"
	@echo "make test     ruff (lint and format), unit tests, doctests and nbval over every chapter (on both cores)"
	@echo "make portability  re-execute every chapter under another instruction set and thread count; list changed cells"
	@echo "make oldest   a second environment at pyproject.toml's lower bounds: unit tests and every chapter"
	@echo "               (make oldest-env builds it afresh, make oldest-run tests in it)"
	@echo "make bench    time the 9 x 30 grid of canonical runs: one model at a time vs lossbook.replicas"
	@echo "make bench-grading  time the grader on a fake class of 100 students x every chapter with exercises"
	@echo "make outputs  re-execute every chapter in a fresh kernel and store its outputs"
	@echo "make exercises  write every chapter's exercise cells from lossbook/exercise_bank (then make outputs)"
	@echo "make check    check stored outputs and _toc.yml without executing anything"
	@echo "make lab      open the chapters in JupyterLab"
	@echo "make lock     re-resolve requirements.lock from pyproject.toml (and binder/requirements.txt)"
	@echo "make student  write the student edition (notebooks, website, lossbook wheel; no solutions) to _build/student"
	@echo "make grade SUBMISSIONS=folder  grade one sub-folder of notebooks per student, in a sandbox, into grades.csv,"
	@echo "               feedback/ (one page per student) and gradebook.csv (one row per student, for Canvas or Moodle)"
	@echo "make gradescope [CHAPTERS=\"05_losses_from_scratch ...\"]  the autograder zip for Gradescope, in _build/gradescope"
	@echo "make clean    remove the build and the virtual environment"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/python -m coursetools.book check
	$(BIN)/jupyter-book build . --builder html --warningiserror --keep-going
	@echo
	@echo "The course is built. Open $(CURDIR)/_build/html/index.html in a browser."

# Tests run in two processes; nbval keeps each notebook's cells in one worker
# (--dist loadscope), in order.
JOBS ?= 2
LINTED := lossbook coursetools tests tools bench conftest.py
test: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadscope --nbval --nbval-current-env --nbval-cell-timeout=900 --durations=25 lossbook coursetools tests chapters

portability: $(STAMP)
	$(BIN)/python -m coursetools.book portability

# The oldest supported environment: every dependency of lossbook at its lower
# bound in pyproject.toml (no newer than Colab's stock libraries), installed as
# the chapters' launch cell installs lossbook. PYTHON=python3.13 tries another
# interpreter. Digits may differ from the stored ones, so nothing is compared
# with them: the unit tests pass (but those marked lock, which read the lock's
# own packages) and every chapter runs without an error or a line on stderr.
# `make oldest` is the two steps below: oldest-env builds the environment afresh,
# oldest-run tests in it (.ci/run builds it while the other checks run).
OLDEST := .venv-oldest
oldest: oldest-env oldest-run

oldest-env:
	rm -rf $(OLDEST) _build/oldest
	$(PYTHON) -m venv $(OLDEST)
	$(PYTHON) tools/floors.py > $(OLDEST)/floors.txt
	# matplotlib 3.10.0 calls pyparsing names that pyparsing 3.3 deprecates
	# (with a warning on stderr); Colab pairs it with an older pyparsing.
	echo "pyparsing<3.3" >> $(OLDEST)/floors.txt
	cat $(OLDEST)/floors.txt
	$(OLDEST)/bin/python -m pip install --quiet --disable-pip-version-check -c $(OLDEST)/floors.txt ".[book,test]"

oldest-run:
	$(OLDEST)/bin/python tools/floors.py --check
	$(OLDEST)/bin/python -m pytest -n $(JOBS) -m "not lock" --durations=25 lossbook tests
	$(OLDEST)/bin/python -m coursetools.book execute --out _build/oldest

bench: $(STAMP)
	$(BIN)/python bench/replicas.py

bench-grading: $(STAMP)
	$(BIN)/python bench/grading.py

outputs: $(STAMP)
	$(BIN)/python -m coursetools.book execute

# The exercise cells at the end of every chapter, written from lossbook/exercise_bank.
exercises: $(STAMP)
	$(BIN)/python -m coursetools.exercises write

check: $(STAMP)
	$(BIN)/python -m coursetools.book check

lab: $(STAMP)
	$(BIN)/python -m coursetools.book lab

# The instructor's commands (chapters/instructors.md).
student: $(STAMP)
	$(BIN)/python -m coursetools.release --out _build/student

GRADES ?= grades.csv
FEEDBACK ?= feedback
GRADEBOOK ?= gradebook.csv
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [GRADES=grades.csv] [ROSTER=lms-export.csv]" >&2; exit 2; }
	$(BIN)/python -m coursetools.grading "$(SUBMISSIONS)" --out "$(GRADES)"
	$(BIN)/python -m coursetools.gradebook "$(GRADES)" --feedback "$(FEEDBACK)" --gradebook "$(GRADEBOOK)" $(if $(ROSTER),--roster "$(ROSTER)")

gradescope: $(STAMP)
	$(BIN)/python -m coursetools.gradescope build --out _build/gradescope/autograder.zip $(if $(CHAPTERS),--chapters $(CHAPTERS))

lock:
	rm -rf $(VENV)-lock
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet --disable-pip-version-check ".[book,test]"
	echo "# Exact versions of every package the book and the tests use (Python 3.11, Linux)." > requirements.lock
	echo "# Regenerate with 'make lock'; pyproject.toml holds the ranges." >> requirements.lock
	$(VENV)-lock/bin/python -m pip freeze --all --exclude lossbook | grep -v -E '^(pip|setuptools|wheel)==' >> requirements.lock
	rm -rf $(VENV)-lock
	$(MAKE) binder/requirements.txt

# Binder's environment: the chapters' runtime alone (lossbook's dependencies and
# JupyterLab, with what they require) at the lock's versions, then lossbook itself
# from the repository (repo2docker runs pip in the repository's root).
binder/requirements.txt: requirements.lock pyproject.toml coursetools/pins.py $(STAMP)
	mkdir -p binder
	$(BIN)/python -m coursetools.pins binder > $@.tmp
	mv $@.tmp $@

clean:
	rm -rf _build $(VENV) $(VENV)-lock
