"""A throw-away nbgrader course built from this repository, graded with the real nbgrader commands."""
import subprocess
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from grading.scratch_course import ROOT, make_course, nbgrader_env  # noqa: F401 - used by the tests

env = nbgrader_env


def run(args, cwd, check=True, timeout=900):
    """Run a command of the course (nbgrader, python -m grading ...) and return its output."""
    proc = subprocess.run(args, cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


def submit(course, student, nb):
    path = Path(course) / "submitted" / student / "lesson05" / "round_trip.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def grades(course):
    """{student: {grade_id: auto score}} from the course's gradebook, test cells only."""
    out = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for student in gb.students:
            nb = gb.find_submission_notebook("round_trip", "lesson05", student.id)
            out[student.id] = {g.name: g.score for g in nb.grades if g.name.startswith("test_")}
    return out
