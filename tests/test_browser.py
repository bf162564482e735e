"""A student in JupyterLab (headless chromium): solves the released exercise through the editor, runs it,
sees the visible tests' messages, saves, validates (command line and nbgrader's Validate button);
the lesson notebook runs without an error. Screenshots go to $SCREENSHOT_DIR (default
test-artifacts/screenshots/). The visible tests' wording is not asserted, only stable fragments.
"""
import os
import re
import shutil
import subprocess
import urllib.error
from pathlib import Path

import nbgrader
import pytest

from grading.sample_submissions import CORRECT, SAMPLES
from tests import browser as lab_ui

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = ROOT / "release" / "lesson05" / "round_trip.ipynb"
LESSON = ROOT / "notebooks" / "05_parameter_buffer_state_dict.ipynb"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "test-artifacts" / "screenshots"))

SOLUTION_IDS = ["round_trip_model", "round_trip_fn", "state_dicts_equal_fn"]
TEST_IDS = ["test_model_structure", "test_model_forward", "test_round_trip_file", "test_round_trip_model",
            "test_equal_values_keys", "test_equal_dtype_shape"]
MISTAKE = SAMPLES["erin_no_dtype"]  # state_dicts_equal ignores dtype: only test_equal_dtype_shape fails
VALIDATE_OK = "Success! Your notebook passes all the tests."


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The student's folder: one copy of the exercise per test, and the lesson notebook."""
    root = tmp_path_factory.mktemp("student")
    for name in ["solved", "mistake", "validate"]:
        shutil.copy(EXERCISE, root / f"{name}.ipynb")
    shutil.copy(LESSON, root / LESSON.name)
    return root


@pytest.fixture(scope="module")
def lab(workdir, tmp_path_factory):
    server = lab_ui.JupyterLab(workdir, tmp_path_factory.mktemp("lab-state")).start()
    try:
        # nbgrader's Validate button needs the validate_assignment server extension (enabled by the
        # nbgrader package's etc/jupyter/jupyter_server_config.d/nbgrader.json in the venv)
        try:
            version = server.api("GET", f"/nbgrader_version?version={nbgrader.__version__}")
        except urllib.error.HTTPError as exc:
            pytest.fail(f"nbgrader's validate_assignment server extension is not enabled ({exc}):\n"
                        f"{server.log_tail()}")
        assert version.get("success"), f"nbgrader's validate_assignment server extension: {version}"
        yield server
    finally:
        server.stop()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(server.log_path, SCREENSHOTS / "jupyter-lab.log")  # for a failure on CI


@pytest.fixture(scope="module")
def chromium():
    executable = lab_ui.chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=lab_ui.CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, lab, screenshots, request):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(lab_ui.PAGE_TIMEOUT_MS)
    page = context.new_page()
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:  # what the page showed when the test failed
        (screenshots / f"failed-{request.node.name}.console.txt").write_text("\n".join(console))
        try:
            page.screenshot(path=str(screenshots / f"failed-{request.node.name}.png"))
        except Exception:
            pass
    context.close()
    lab.shutdown_kernels()


@pytest.fixture(scope="module")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("failed-*"):  # from an earlier run
        old.unlink()
    return SCREENSHOTS


def released_cells():
    return lab_ui.read_cells(EXERCISE)


def solve(page, solution):
    """Type each solution cell's code into its editor."""
    cells = released_cells()
    for gid in SOLUTION_IDS:
        lab_ui.replace_cell_code(page, lab_ui.cell_index(cells, gid), solution[gid].strip())


def nbgrader_validate(path, lab):
    proc = subprocess.run([str(lab_ui.BIN / "nbgrader"), "validate", str(path)], cwd=Path(path).parent,
                          env=lab.env(), capture_output=True, text=True, timeout=300)
    return proc.stdout + proc.stderr


def assert_typed(saved, solution):
    for gid in SOLUTION_IDS:
        typed = lab_ui.source(saved[lab_ui.cell_index(saved, gid)])
        assert typed.strip() == solution[gid].strip(), f"the editor mangled {gid}:\n{typed}"


def assert_pass_lines(page, except_ids=()):
    """Each visible test cell shows the line it prints when it passes (read from the cell itself)."""
    from playwright.sync_api import expect

    cells = released_cells()
    for gid in TEST_IDS:
        if gid in except_ids:
            continue
        index = lab_ui.cell_index(cells, gid)
        fragment = lab_ui.pass_fragment(lab_ui.source(cells[index]))
        output = lab_ui.cells(page).nth(index).locator(".jp-OutputArea")
        if fragment:
            expect(output).to_contain_text(fragment, timeout=30_000)
        assert lab_ui.TRACEBACK not in output.inner_text(), f"{gid} shows a traceback"


def test_solved_exercise_passes_in_jupyterlab(page, lab, workdir, screenshots):
    path = workdir / "solved.ipynb"
    lab_ui.open_notebook(page, lab, path.name, len(released_cells()))
    solve(page, CORRECT)
    lab_ui.run_all(page)

    assert lab_ui.screen_tracebacks(page) == []
    assert_pass_lines(page)
    saved = lab_ui.save(page, path)
    assert_typed(saved, CORRECT)
    assert lab_ui.error_outputs(saved) == []
    unrun = [i for i, c in enumerate(saved) if c["cell_type"] == "code" and c.get("execution_count") is None]
    assert unrun == [], f"code cells not run by Run All Cells: {unrun}"
    lab_ui.screenshot_notebook(page, screenshots / "exercise-solved.png")

    out = nbgrader_validate(path, lab)
    assert VALIDATE_OK in out, out


def test_typical_mistake_shows_the_visible_tests_message(page, lab, workdir, screenshots):
    path = workdir / "mistake.ipynb"
    cells = released_cells()
    lab_ui.open_notebook(page, lab, path.name, len(cells))
    solve(page, MISTAKE)
    lab_ui.run_all(page)

    failing = lab_ui.cell_index(cells, "test_equal_dtype_shape")
    shown = lab_ui.screen_tracebacks(page)
    assert [i for i, _ in shown] == [failing], shown
    # The last line of the traceback is the visible test's sentence: it must point at the dtype.
    message = [line for line in shown[0][1].splitlines() if line.startswith("AssertionError")][-1]
    assert "dtype" in message and "과제 3" in message, message
    assert_pass_lines(page, except_ids={"test_equal_dtype_shape"})
    output = lab_ui.cells(page).nth(failing).locator(".jp-OutputArea")
    output.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "exercise-mistake.png"))

    saved = lab_ui.save(page, path)
    assert_typed(saved, MISTAKE)
    assert [(i, ename) for i, ename, _ in lab_ui.error_outputs(saved)] == [(failing, "AssertionError")]
    out = nbgrader_validate(path, lab)
    assert VALIDATE_OK not in out and "VALIDATION FAILED" in out and "dtype" in out, out


def press_validate(page):
    """nbgrader's toolbar button: saves the notebook, validates it on the server, shows a dialog."""
    page.locator(f"{lab_ui.PANEL} .validate-button").click()
    dialog = page.locator(".jp-Dialog").filter(has_text="Validation Results")
    dialog.locator("#validation-message").wait_for(timeout=lab_ui.RUN_TIMEOUT_MS)
    return dialog


def test_validate_button(page, lab, workdir, screenshots):
    path = workdir / "validate.ipynb"
    cells = released_cells()
    lab_ui.open_notebook(page, lab, path.name, len(cells))
    button = page.locator(f"{lab_ui.PANEL} .validate-button")
    assert button.inner_text().strip() == "Validate"

    solve(page, CORRECT)
    dialog = press_validate(page)
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "validate-dialog.png"))
    text = dialog.inner_text()
    assert VALIDATE_OK in text, text
    assert "validation-success" in dialog.locator("#validation-message").get_attribute("class")
    dialog.get_by_role("button", name="Ok").click()
    dialog.wait_for(state="detached")
    assert_typed(lab_ui.read_cells(path), CORRECT)  # Validate saved what was typed

    # The typical mistake in the third cell: the dialog names the failing test and its message.
    lab_ui.replace_cell_code(page, lab_ui.cell_index(cells, "state_dicts_equal_fn"),
                             MISTAKE["state_dicts_equal_fn"].strip())
    dialog = press_validate(page)
    # the end of the traceback, the visible test's sentence, into view
    dialog.locator("#validation-message").evaluate("e => { e.scrollTop = e.scrollHeight; }")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "validate-dialog-failed.png"))
    text = dialog.inner_text()
    assert VALIDATE_OK not in text, text
    assert "validation-failed" in dialog.locator("#validation-message").get_attribute("class")
    assert "AssertionError" in text and re.search(r"AssertionError:.*dtype", text), text
    dialog.get_by_role("button", name="Ok").click()


def test_lesson_notebook_runs_in_jupyterlab(page, lab, workdir, screenshots):
    path = workdir / LESSON.name
    n_cells = len(lab_ui.read_cells(path))
    lab_ui.open_notebook(page, lab, path.name, n_cells)
    lab_ui.run_all(page)

    assert lab_ui.screen_tracebacks(page) == []
    saved = lab_ui.save(page, path)
    assert lab_ui.error_outputs(saved) == []
    unrun = [i for i, c in enumerate(saved) if c["cell_type"] == "code" and c.get("execution_count") is None]
    assert unrun == [], f"code cells not run by Run All Cells: {unrun}"
    lab_ui.screenshot_notebook(page, screenshots / "lesson-run.png")
