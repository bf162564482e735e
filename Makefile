# Lesson 05 course: `make demo` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# nbgrader calls alembic and jupyter from the venv's bin/
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv release demo test test-notebooks test-suite lesson exercise samples lab clean-demo

help:
	@echo "make demo    install, build the release, autograde the sample submissions, print scores"
	@echo "make test    install if needed, run the whole test suite"
	@echo "make lab     JupyterLab for a student (release/) and a TA (course root)"

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-build-isolation --no-deps -e .
	touch $@

venv: $(VENV)/.installed

# The student version and the gradebook entry, generated from source/ by nbgrader.
release: venv
	nbgrader generate_assignment lesson05 --force

# Sample submissions are copied over their own student folders only: real submissions stay.
demo: release
	mkdir -p submitted
	cp -r samples/submitted/. submitted/
	nbgrader autograde lesson05 --force || echo "(nbgrader reported submissions it could not grade: see the table)"
	$(PY) -m grading scores lesson05

test: venv
	$(PY) -m pytest --nbval notebooks --nbval-sanitize-with notebooks/nbval_sanitize.cfg
	$(PY) -m pytest --nbval-lax source/lesson05/round_trip.ipynb
	$(PY) -m pytest tests

# Authoring: rebuild the notebooks from grading/*_notebook.py, then `make release`.
lesson: venv
	$(PY) -m grading.lesson_notebook
exercise: venv
	$(PY) -m grading.exercise_notebook
samples: venv
	rm -rf samples/submitted
	$(PY) -m grading.sample_submissions samples/submitted
