"""The committed release is what nbgrader generates from source/ today, and its stubs fail."""
import json
from pathlib import Path

from tests import course as course_mod

ROOT = course_mod.ROOT


def test_committed_release_matches_source(tmp_path):
    course = course_mod.make_course(tmp_path / "course")
    generated = json.loads((course / "release/lesson05/round_trip.ipynb").read_text())
    committed = json.loads((ROOT / "release/lesson05/round_trip.ipynb").read_text())
    assert committed == generated, "release/ is stale: run `make release` and commit release/"


def test_release_has_no_solution_and_no_hidden_test():
    text = (ROOT / "release/lesson05/round_trip.ipynb").read_text()
    for marker in ["BEGIN SOLUTION", "HIDDEN TESTS", "run_in_kernel", "grading.contract_checks",
                   "masked_fill", "type(model)()"]:
        assert marker not in text


def test_released_stubs_fail_their_tests():
    proc = course_mod.run(["nbgrader", "validate", "--invert",
                           str(ROOT / "release/lesson05/round_trip.ipynb")], ROOT, check=False)
    assert "Success! The notebook does not pass any tests." in proc.stdout, proc.stdout + proc.stderr


def test_source_solutions_pass_nbgrader_validate():
    proc = course_mod.run(["nbgrader", "validate", str(ROOT / "source/lesson05/round_trip.ipynb")],
                          ROOT, check=False)
    assert "Success! Your notebook passes all the tests." in proc.stdout, proc.stdout + proc.stderr


def test_notebooks_are_nbformat_45_with_ids():
    import nbformat

    for path in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("source/*/*.ipynb"), *ROOT.glob("release/*/*.ipynb")]:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert (nb.nbformat, nb.nbformat_minor) == (4, 5), path
        assert all(c.get("id") for c in nb.cells), path
