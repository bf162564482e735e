"""Parallel autograding: ``python -m grading autograde lesson05 --jobs N [--student ID ...]``.

Each of N worker processes loads the course's nbgrader_config.py once and grades submissions one
after another with nbgrader's own API (``NbGraderAPI.autograde``: the same Autograde converter,
preprocessors, sandbox and gradebook as ``nbgrader autograde``), so the gradebook and autograded/
end up as the serial command leaves them. A submission that crashes, hangs or is not a valid
notebook is reported and the others go on; the exit code is non-zero only when grading itself
failed.
"""
import concurrent.futures as futures
import multiprocessing
import os
import sys
import time
import warnings
from pathlib import Path

from grading.scores import unreadable
from grading.scratch_course import nbgrader_env

_api = None


def _start_worker(root):
    """Worker initializer: one NbGraderAPI with the course's configuration."""
    global _api
    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy noise that nbgrader itself prints
    os.chdir(root)
    os.environ.update(nbgrader_env())  # nbgrader calls alembic from the venv
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    _api = NbGraderAPI(config=config)
    _api.log.setLevel("WARNING")


def _grade(assignment, student):
    started = time.monotonic()
    result = _api.autograde(assignment, student, force=True, create=True)
    return student, result, time.monotonic() - started


def submissions(root, assignment, only=None):
    found = sorted(p.parent.name for p in (Path(root) / "submitted").glob(f"*/{assignment}") if p.is_dir())
    if only:
        missing = sorted(set(only) - set(found))
        if missing:
            raise SystemExit(f"no submission of {assignment} for: {', '.join(missing)}")
        found = [s for s in found if s in set(only)]
    return found


def _clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def progress(done, total, elapsed, stream=sys.stderr, width=30):
    filled = int(width * done / total) if total else width
    remaining = elapsed / done * (total - done) if done else 0
    bar = "#" * filled + "-" * (width - filled)
    stream.write(f"\r[{bar}] {done}/{total}  elapsed {_clock(elapsed)}  remaining {_clock(remaining)} ")
    stream.flush()


def autograde(root, assignment, jobs=2, only=None, out=sys.stdout):
    """Grade every submission (or only some) with `jobs` workers; return the exit code."""
    root = Path(root).resolve()
    students = submissions(root, assignment, only)
    if not students:
        print(f"no submissions of {assignment} in {root / 'submitted'}", file=out)
        return 0
    invalid = {}
    for student in students:
        for nb in sorted((root / "submitted" / student / assignment).glob("*.ipynb")):
            why = unreadable(nb)
            if why:
                invalid[student] = f"{nb.relative_to(root)} is not a valid notebook ({why})"
    failed = {}
    started = time.monotonic()
    ctx = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx,
                                     initializer=_start_worker, initargs=(str(root),)) as pool:
        pending = [pool.submit(_grade, assignment, s) for s in students]
        progress(0, len(students), 0)
        for i, done in enumerate(futures.as_completed(pending), 1):
            student, result, _ = done.result()
            if not result.get("success") and student not in invalid:
                failed[student] = (result.get("error") or result.get("log") or "").strip().splitlines()[-1:]
            progress(i, len(students), time.monotonic() - started)
    sys.stderr.write("\n")
    elapsed = time.monotonic() - started
    print(f"graded {len(students)} submissions of {assignment} with {jobs} workers in {elapsed:.1f} s", file=out)
    for student, why in sorted(invalid.items()):
        print(f"  {student}: NOT GRADED: {why}; ask the student to resubmit", file=out)
    for student, why in sorted(failed.items()):
        print(f"  {student}: GRADING FAILED: {' '.join(why)}", file=out)
    return 1 if failed else 0
