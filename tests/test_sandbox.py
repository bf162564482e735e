"""Plain `nbgrader autograde` runs every submission's code in the sandbox: each escape scores 0,
changes nothing outside its own folder and reaches no network."""
import nbformat
import pytest

from tests.escapes import escape_submissions
from tests.submissions import FULL, ZERO

ESCAPES = sorted(escape_submissions(0))


@pytest.mark.parametrize("student", ESCAPES)
def test_escape_scores_zero(graded, student):
    assert graded["grades"][student] == {k: float(v) for k, v in ZERO.items()}


def test_correct_submission_graded_before_the_escapes_keeps_full_marks(graded):
    assert graded["grades"]["alice_correct"] == {k: float(v) for k, v in FULL.items()}
    alice = graded["root"] / "autograded/alice_correct/lesson05/round_trip.ipynb"
    nb = nbformat.read(alice, as_version=4)  # still her graded notebook, not a classmate's text
    assert sum("통과" in "".join(o.get("text", "") for o in c.get("outputs", [])) for c in nb.cells) == 6


def test_source_and_release_are_unchanged(graded):
    assert graded["after"] == graded["before"]


def test_no_connection_reached_the_loopback_server(graded):
    assert graded["received"] == []


def test_the_escapes_really_ran_and_failed_inside(graded):
    """Their own outputs show the attempt failed (so a 0 is not an accident of a syntax error)."""
    for student in ESCAPES:
        nb = nbformat.read(graded["root"] / f"autograded/{student}/lesson05/round_trip.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
        assert "escape failed:" in text, student
        assert "BEGIN SOLUTION" not in text and "masked_fill" not in text, student


def test_sandbox_is_required_unless_the_ta_opts_out():
    from traitlets.config import Config

    from grading.sandbox import Sandbox, SandboxUnavailable

    cfg = Config()
    cfg.Sandbox.bwrap = "no-such-bwrap"
    with pytest.raises(SandboxUnavailable, match="opt out with c.Sandbox.enabled = False"):
        Sandbox(config=cfg).wrap(["python", "-c", "pass"])
    cfg.Sandbox.enabled = False
    assert Sandbox(config=cfg).wrap(["python", "-c", "pass"]) == ["python", "-c", "pass"]
