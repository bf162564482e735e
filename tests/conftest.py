"""One graded batch for the whole session: every submission of tests/submissions.py, graded by
plain `nbgrader autograde lesson05` in a temporary course, then `nbgrader generate_feedback`."""
import pytest

from grading.sample_submissions import BROKEN, fill, write_all
from tests import course as course_mod
from tests.submissions import all_submissions


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    root = course_mod.make_course(tmp_path_factory.mktemp("course"))
    write_all(root / "submitted")  # the bundled samples, the broken notebook included
    for student, (cells, edit, _) in all_submissions().items():
        nb = fill(cells)
        course_mod.submit(root, student, edit(nb) if edit else nb)
    log = course_mod.run(["nbgrader", "autograde", "lesson05", "--force"], root, check=False)
    feedback = course_mod.run(["nbgrader", "generate_feedback", "lesson05", "--force"], root, check=False)
    return {"root": root, "grades": course_mod.grades(root), "log": log.stdout + log.stderr,
            "feedback_log": feedback.stdout + feedback.stderr, "broken": BROKEN}
