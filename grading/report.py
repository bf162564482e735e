"""The TA report: ``python -m grading report lesson05``.

Writes ``reports/<assignment>/grades.csv`` (``nbgrader export``) and a self-contained
``reports/<assignment>/report.html`` with two matplotlib figures embedded as PNG: the histogram of
total scores and, per test cell, the share of students who earned its points, so a TA sees at a
glance which idea of the lesson the class missed.
"""
import base64
import html
import io
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from grading.scratch_course import nbgrader_env  # noqa: E402


def collect(root, assignment):
    """Totals per student and, per test cell, (passed, graded) counts, from the gradebook."""
    totals, cells, max_score = {}, {}, 0.0
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gb:
        max_score = gb.find_assignment(assignment).max_score
        for sub in gb.assignment_submissions(assignment):
            if not sub.notebooks or all(g.auto_score is None and g.manual_score is None
                                        for nb in sub.notebooks for g in nb.grades):
                continue
            totals[sub.student.id] = sub.score
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.cell_type != "code" or grade.max_score == 0:
                        continue
                    passed, seen = cells.get(grade.name, (0, 0))
                    cells[grade.name] = (passed + (grade.score >= grade.max_score), seen + 1)
    return totals, cells, max_score


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def figures(totals, cells, max_score):
    fig, ax = plt.subplots(figsize=(6, 3))
    bins = [x - 0.5 for x in range(int(max_score) + 2)]
    ax.hist(list(totals.values()), bins=bins, color="#4c72b0", edgecolor="white")
    ax.set(xlabel="score", ylabel="students", title=f"Scores ({len(totals)} students, max {max_score:g})")
    hist = _png(fig)
    names = list(cells)
    shares = [100 * cells[n][0] / cells[n][1] for n in names]
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.45 * len(names)))
    ax.barh(names[::-1], shares[::-1], color="#55a868")
    ax.set(xlim=(0, 100), xlabel="% of students who earned the points", title="Per test cell")
    for y, share in enumerate(shares[::-1]):
        ax.text(min(share + 1, 92), y, f"{share:.0f}%", va="center")
    return hist, _png(fig)


def write(root, assignment):
    root = Path(root).resolve()
    out = root / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "grades.csv"
    subprocess.run(["nbgrader", "export", "--to", str(csv), "--assignment", assignment], cwd=root, env=nbgrader_env(),
                   check=True, capture_output=True)
    totals, cells, max_score = collect(root, assignment)
    if not totals:
        raise SystemExit(f"no graded submissions of {assignment}: run the autograder first")
    hist, per_cell = figures(totals, cells, max_score)
    mean = sum(totals.values()) / len(totals)
    rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{p}/{s}</td><td>{100 * p / s:.0f}%</td></tr>"
                   for n, (p, s) in cells.items())
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(assignment)}: grading report</title>
<style>body{{font-family:sans-serif;max-width:760px;margin:2em auto}}td,th{{padding:2px 12px}}</style></head>
<body><h1>{html.escape(assignment)}: grading report</h1>
<p>{len(totals)} graded students, mean score {mean:.2f} / {max_score:g}. Grades as CSV: <code>grades.csv</code>.</p>
<h2>Score histogram</h2><img alt="score histogram" src="data:image/png;base64,{hist}">
<h2>Share of students who earned each test cell's points</h2>
<img alt="pass share per test cell" src="data:image/png;base64,{per_cell}">
<table><tr><th>test cell</th><th>passed</th><th>share</th></tr>{rows}</table>
</body></html>
"""
    (out / "report.html").write_text(page)
    return csv, out / "report.html"
