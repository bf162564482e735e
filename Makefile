# Lesson 05 course: `make demo` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# nbgrader calls alembic and jupyter from the venv's bin/
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv release demo test lesson exercise samples lab bench

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
	$(PY) -m grading.sample_submissions --broken submitted
	@echo "nbgrader autograde lesson05 (log: autograded/autograde.log) ..."
	@nbgrader autograde lesson05 --force > autograded/autograde.log 2>&1 \
	  || echo "nbgrader could not grade some submissions: they are marked NOT GRADED below"
	@$(PY) -m grading scores lesson05

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

# JupyterLab on this machine only (127.0.0.1); the URL with its token is printed in the log.
# A TA serves the course root (Nbgrader → Formgrader); a student opens release/lesson05/round_trip.ipynb,
# or `make lab LAB_ROOT=release` serves only the student view. The Validate button and formgrader are
# nbgrader's server extensions, enabled by the venv's etc/jupyter/jupyter_server_config.d/nbgrader.json.
LAB_ROOT ?= $(CURDIR)
lab: venv
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --no-browser --ServerApp.root_dir=$(abspath $(LAB_ROOT)) \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

# Serial nbgrader autograde against the parallel grader on N generated submissions.
BENCH_N ?= 40
bench: release
	$(PY) -m grading.bench --submissions $(BENCH_N) --jobs 2
