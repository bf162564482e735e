"""A course root made from this repository's config and source/, for tests and the benchmark.

``make_course(dest)`` copies nbgrader_config.py and source/ into ``dest`` and runs
``nbgrader generate_assignment lesson05`` there; ``nbgrader_env()`` is the environment in which
nbgrader finds its helpers (``alembic``) in this Python's bin/.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def nbgrader_env():
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def make_course(dest):
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    shutil.copytree(ROOT / "source", dest / "source")
    proc = subprocess.run(["nbgrader", "generate_assignment", "lesson05", "--force"], cwd=dest,
                          env=nbgrader_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed in {dest}:\n{proc.stderr[-4000:]}")
    return dest
