"""End to end: plain `nbgrader autograde lesson05` gives every submission its exact points, test
cell by test cell (samples with one typical mistake each, other correct styles, attacks)."""
import pytest

from tests import course as course_mod
from tests.submissions import FULL, all_submissions

SUBMISSIONS = all_submissions()


@pytest.mark.parametrize("student", sorted(SUBMISSIONS))
def test_exact_points_per_test_cell(graded, student):
    expected = {k: float(v) for k, v in SUBMISSIONS[student][2].items()}
    assert graded["grades"][student] == expected


def test_honest_correct_submissions_keep_full_marks_next_to_attacks(graded):
    honest = [s for s, (_, _, exp) in SUBMISSIONS.items() if exp == FULL]
    assert len(honest) >= 4
    assert all(sum(graded["grades"][s].values()) == 10 for s in honest)


def test_broken_notebook_is_reported_and_the_others_are_graded(graded):
    out = course_mod.run(["python", "-m", "grading", "scores", "lesson05"], graded["root"]).stdout
    broken = [line for line in out.splitlines() if line.startswith(graded["broken"])]
    assert len(broken) == 1 and "NOT GRADED" in broken[0] and "not a valid notebook" in broken[0]
    assert "ask the student to resubmit" in broken[0]
    alice = [line.split() for line in out.splitlines() if line.startswith("alice_correct")]
    assert alice == [["alice_correct", "10.0", "10.0"]]
    judy = [line.split() for line in out.splitlines() if line.startswith("judy_untouched")]
    assert judy == [["judy_untouched", "0.0", "10.0"]]


def test_scores_command_refuses_a_folder_without_gradebook(tmp_path):
    proc = course_mod.run(["python", "-m", "grading", "scores", "lesson05"], tmp_path, check=False)
    assert proc.returncode == 2 and "no gradebook.db" in proc.stderr
