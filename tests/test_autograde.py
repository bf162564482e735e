"""End to end: plain `nbgrader autograde lesson05` gives every submission its exact points, test
cell by test cell (samples with one typical mistake each, other correct styles, attacks)."""
import re

import nbformat
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


@pytest.mark.parametrize("student", ["atk_exit_early", "atk_forge_results"])
def test_a_submission_that_breaks_its_kernel_is_still_graded(graded, student):
    """Killing or jamming the kernel does not fail the submission (nor stop the batch): its
    notebook is graded, the broken cell says what happened, and the checks decide the points."""
    nb = nbformat.read(graded["root"] / f"autograded/{student}/lesson05/round_trip.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    lost = [o for o in outputs if o.get("ename") in ("DeadKernelError", "CellTimeoutError")]
    # os._exit always ends the kernel; the forged writes break it in every run seen so far, but
    # which of its sockets they hit is up to the kernel, so only "at most once, explained" is asserted
    assert len(lost) <= 1 and (len(lost) == 1 or student != "atk_exit_early"), [o.get("ename") for o in outputs]
    assert all("뒤의 셀은 실행되지 않았습니다" in o["evalue"] for o in lost)
    assert f"for student '{student}'" not in graded["log"]


def test_only_the_invalid_notebook_and_forged_metadata_fail_to_grade(graded):
    """Killed kernels, deleted and copied cells are graded; nbgrader itself refuses an invalid
    notebook and test cells whose nbgrader metadata was rewritten (they score 0)."""
    failed = set(re.findall(r"error processing assignment 'lesson05' for student '([^']+)'", graded["log"]))
    assert failed == {graded["broken"], "atk_retagged_tests"}


def test_an_endless_loop_costs_only_the_checks_that_hang(graded):
    """The kernel is interrupted, not killed (SIGINT reaches the processes inside the sandbox, not
    bubblewrap), and the checks that hang say so in Korean; the other checks keep their points."""
    student = "alt_equal_loops_forever"
    nb = nbformat.read(graded["root"] / f"autograded/{student}/lesson05/round_trip.ipynb", as_version=4)
    outputs = {c.metadata.get("nbgrader", {}).get("grade_id"): c.get("outputs", []) for c in nb.cells
               if c.cell_type == "code"}
    # the hanging cells are test cells, whose outputs become the verdicts: a lost kernel shows in the log
    assert f"{student}: the kernel was lost" not in graded["log"]
    enames = [o.get("ename") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not {"KernelLost", "DeadKernelError", "CellTimeoutError"} & set(enames), enames
    for grade_id in ("test_equal_values_keys", "test_equal_dtype_shape"):
        assert "초 안에 끝나지 않았습니다" in outputs[grade_id][0]["evalue"], outputs[grade_id]
