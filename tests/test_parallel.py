"""`python -m grading autograde --jobs 2` leaves the same gradebook and autograded/ as the serial
`nbgrader autograde`, is idempotent, can be limited to some students, and reports what it could not
grade without failing."""
import pytest

from grading.sample_submissions import SAMPLES, write_all
from tests import course as course_mod


@pytest.fixture(scope="module")
def parallel(tmp_path_factory):
    root = course_mod.make_course(tmp_path_factory.mktemp("parallel"))
    write_all(root / "submitted")
    proc = course_mod.run(["python", "-m", "grading", "autograde", "lesson05", "--jobs", "2"], root, check=False)
    return root, proc


def files(root, student):
    folder = root / "autograded" / student / "lesson05"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_same_scores_as_serial_nbgrader_autograde(graded, parallel):
    root, proc = parallel
    assert proc.returncode == 0, proc.stdout + proc.stderr
    grades = course_mod.grades(root)
    for student in SAMPLES:
        assert grades[student] == graded["grades"][student], student
        assert files(root, student) == files(graded["root"], student), student


def test_invalid_notebook_is_reported_and_progress_is_shown(parallel):
    _, proc = parallel
    assert "mallory_broken: NOT GRADED" in proc.stdout and "not a valid notebook" in proc.stdout
    assert f"{len(SAMPLES) + 1}/{len(SAMPLES) + 1}" in proc.stderr and "elapsed" in proc.stderr
    assert "GRADING FAILED" not in proc.stdout


def test_rerun_for_one_student_is_idempotent_and_touches_no_one_else(parallel):
    root, _ = parallel
    before = course_mod.grades(root)
    bob = root / "autograded/bob_mask_attribute/lesson05/round_trip.ipynb"
    bob_mtime = bob.stat().st_mtime_ns
    proc = course_mod.run(["python", "-m", "grading", "autograde", "lesson05", "--jobs", "2",
                           "--student", "alice_correct"], root)
    assert "graded 1 submissions" in proc.stdout
    assert course_mod.grades(root) == before
    assert bob.stat().st_mtime_ns == bob_mtime


def test_unknown_student_is_a_clear_error(parallel):
    root, _ = parallel
    proc = course_mod.run(["python", "-m", "grading", "autograde", "lesson05", "--student", "nobody"], root,
                          check=False)
    assert proc.returncode != 0 and "no submission of lesson05 for: nobody" in proc.stderr


def test_report_writes_csv_and_html_with_both_plots(parallel):
    root, _ = parallel
    proc = course_mod.run(["python", "-m", "grading", "report", "lesson05"], root)
    assert "reports/lesson05/grades.csv" in proc.stdout and "reports/lesson05/report.html" in proc.stdout
    csv = (root / "reports/lesson05/grades.csv").read_text().splitlines()
    assert csv[0].startswith("assignment,") and len(csv) == 1 + len(SAMPLES) + 1
    assert any(line.split(",")[3] == "alice_correct" and line.split(",")[9] == "10.0" for line in csv[1:])
    page = (root / "reports/lesson05/report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "<script" not in page and "src=\"http" not in page
    for grade_id in ("test_model_structure", "test_equal_dtype_shape"):
        assert grade_id in page
    # 10 graded students (the broken notebook has no scores): 6 of them earned the structure points
    assert "10 graded students" in page and "<td>test_model_structure</td><td>6/10</td>" in page
