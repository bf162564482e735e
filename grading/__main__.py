"""Course commands, run from the course root: ``python -m grading <command> ...``.

    scores ASSIGNMENT                 table of student, score and maximum (and what was not graded)
    autograde ASSIGNMENT --jobs N     nbgrader autograde with N parallel workers, with a progress bar
    report ASSIGNMENT                 grades.csv and an HTML report with a histogram and per-test-cell pass rates
"""
import argparse
import os
import sys
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("scores", help="print the score table of an assignment")
    p.add_argument("assignment")
    p.add_argument("--root", default=".", help="course root (default: current folder)")
    p = sub.add_parser("autograde", help="grade all submissions in parallel (same pipeline as nbgrader autograde)")
    p.add_argument("assignment")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="parallel workers (default: cores)")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--root", default=".", help="course root (default: current folder)")
    p = sub.add_parser("report", help="write reports/ASSIGNMENT/grades.csv and report.html")
    p.add_argument("assignment")
    p.add_argument("--root", default=".", help="course root (default: current folder)")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not (root / "gradebook.db").exists():
        parser.error(f"no gradebook.db in {root}: run this in the course root after 'nbgrader generate_assignment'")
    if args.command == "scores":
        from grading import scores

        scores.main(root, args.assignment)
    elif args.command == "autograde":
        from grading import batch

        return batch.autograde(root, args.assignment, jobs=args.jobs, only=args.student)
    elif args.command == "report":
        from grading import report

        for path in report.write(root, args.assignment):
            print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
