"""``make bench``: serial ``nbgrader autograde`` against ``python -m grading autograde --jobs N``.

    python -m grading.bench [--submissions 40] [--jobs 2]

Builds a temporary course with N submissions (the bundled samples, repeated under new student
ids), grades it with plain ``nbgrader autograde lesson05`` and then, in a second copy, with the
parallel grader; checks that both gradebooks hold the same points test cell by test cell; and
prints both times, the speed-up, seconds per submission, and the floor: a fresh
``python -c "import torch"`` plus starting a kernel.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel
from nbgrader.api import Gradebook

from grading.sample_submissions import SAMPLES, fill
from grading.scratch_course import make_course, nbgrader_env



def course_with_submissions(dest, n):
    make_course(dest)
    samples = list(SAMPLES.items())
    for i in range(n):
        name, cells = samples[i % len(samples)]
        path = dest / "submitted" / f"s{i:03d}_{name}" / "lesson05" / "round_trip.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(fill(cells), path)
    return dest


def timed(cmd, cwd):
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=nbgrader_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return time.monotonic() - start


def points(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.id: {g.name: g.score for g in gb.find_submission_notebook("round_trip", "lesson05", s.id).grades}
                for s in gb.students}


def floor_seconds(repeat=3):
    """Median of: a fresh `python -c "import torch"` plus starting a kernel until it answers."""
    runs = []
    for _ in range(repeat):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120)
        runs.append(time.monotonic() - start)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return sorted(runs)[len(runs) // 2]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", "-n", type=int, default=40)
    parser.add_argument("--jobs", "-j", type=int, default=2)
    args = parser.parse_args(argv)
    n, jobs = args.submissions, args.jobs
    with tempfile.TemporaryDirectory(prefix="lesson05-bench-") as tmp:
        serial_course = course_with_submissions(Path(tmp) / "serial", n)
        parallel_course = course_with_submissions(Path(tmp) / "parallel", n)
        print(f"grading {n} submissions on {os.cpu_count()} cores ...", flush=True)
        floor = floor_seconds()
        serial = timed(["nbgrader", "autograde", "lesson05", "--force"], serial_course)
        parallel = timed([sys.executable, "-m", "grading", "autograde", "lesson05", "--jobs", str(jobs)],
                         parallel_course)
        same = points(serial_course) == points(parallel_course)
    per_core = parallel * jobs / n
    print(f"nbgrader autograde (serial)          {serial:7.1f} s   {serial / n:5.2f} s/submission")
    print(f"grading autograde --jobs {jobs}          {parallel:7.1f} s   {parallel / n:5.2f} s/submission")
    print(f"speed-up                             {serial / parallel:7.2f} x")
    print(f"floor: import torch + kernel start   {floor:7.2f} s")
    print(f"parallel, per submission per core    {per_core:7.2f} s   = {per_core / floor:.2f} x the floor")
    print(f"identical points, test cell by test cell: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
