"""Print a TA's table of scores for an assignment, with a clear line for every submission that
could not be graded (for instance a notebook that is not valid JSON).

    python -m grading scores lesson05
"""
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry


def unreadable(path):
    """Why the notebook at path cannot be graded, or None when it reads as a valid notebook."""
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as exc:  # nbformat raises several kinds for bad files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"{type(exc).__name__}: {first[:80]}"
    return None


def rows(root, assignment):
    """(student, score or None, max score, note) for every submission folder in submitted/."""
    root = Path(root)
    out = []
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        max_score = gb.find_assignment(assignment).max_score
        for folder in sorted((root / "submitted").glob(f"*/{assignment}")):
            student = folder.parent.name
            problems = [f"{nb.relative_to(root)} is not a valid notebook ({why}); ask the student to resubmit"
                        for nb in sorted(folder.glob("*.ipynb")) if (why := unreadable(nb))]
            try:
                score = gb.find_submission(assignment, student).score
            except MissingEntry:
                score = None
            if not (root / "autograded" / student / assignment).is_dir():
                score = None
            out.append((student, None if problems else score, max_score, "; ".join(problems)))
    return out


def main(root, assignment):
    table = rows(root, assignment)
    print(f"{'student':24s} {'score':>6s} {'max':>6s}")
    for student, score, max_score, note in table:
        shown = "-" if score is None else f"{score:.1f}"
        line = f"{student:24s} {shown:>6s} {max_score:>6.1f}"
        if note or score is None:
            line += "   NOT GRADED: " + (note or "no autograded notebook; see the autograde log")
        print(line)
    return table
