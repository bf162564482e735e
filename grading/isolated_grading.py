"""Autograde preprocessor: decide test cells' points with checks the submission cannot reach.

Registered in ``Autograde.autograde_preprocessors`` right after ``Execute`` (see
nbgrader_config.py). nbgrader has already run the notebook in the student's kernel; this step runs
the submission's code again, with the contract checks, in a fresh process
(``grading.check_runner``, inside the sandbox when one is configured), and replaces each test
cell's outputs with the verdict: nothing of what the student's code printed, raised or hooked in
the kernel decides the points. A passing cell gets one line of stdout, a failing one an error
whose message is the visible test's own message (when a visible assertion failed) followed by a
short Korean explanation of the hidden check, never the check's code.
"""
import atexit
import json
import os
import secrets
import select
import subprocess
import sys
import time

from nbformat.v4 import new_output
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, List, Unicode

from grading.sandbox import GRADING_PACKAGE, Sandbox

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


def visible_part(source):
    """The part of a test cell's source a student sees: everything before the hidden region."""
    return source.split(HIDDEN_BEGIN, 1)[0]


def failure_output(visible, why):
    lines = ([f"보이는 테스트: {visible}"] if visible else []) + [f"채점 결과: {why}"]
    return new_output("error", ename="AssertionError", evalue=lines[-1], traceback=lines)


def pass_output():
    return new_output("stream", name="stdout", text="통과\n")


class GradeInIsolation(NbGraderPreprocessor):
    """Re-run a submission's code with the contract checks in a fresh, sandboxed process."""

    notebooks = List(["round_trip"], help="Notebooks whose test cells the contract checks decide.").tag(config=True)
    seconds_per_check = Float(20, help="Seconds one check (or one student cell) may take. The whole run of a "
                              "submission may take that times (checks + cells + 2).").tag(config=True)
    python = Unicode(sys.executable, help="The Python that runs grading.check_runner.").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        if info["notebook"] not in self.notebooks:
            return nb, resources
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
            tests = {c.name: c for c in notebook.source_cells if c.name in {g.name for g in notebook.grade_cells}
                     and c.cell_type == "code"}
        test_ids = set(tests)
        is_test = lambda cell: cell.metadata.get("nbgrader", {}).get("grade_id") in test_ids  # noqa: E731
        job = {
            "cells": [c.source for c in nb.cells if c.cell_type == "code" and not is_test(c)],
            "visible": {name: visible_part(c.source) for name, c in tests.items()},
            "checks": sorted(test_ids),
            "seed": secrets.randbelow(2**31),
            "seconds_per_check": self.seconds_per_check,
        }
        # the server stops a run after job["seconds"] and returns the verdicts it has by then, so a
        # check that hangs costs only its own points; the client waits a little longer than that
        job["seconds"] = self.seconds_per_check * (len(job["checks"]) + len(job["cells"]) + 2)
        verdicts, tampering = self.run_checks(job, resources)
        if tampering:
            self.log.warning("%s/%s: the submission changed %s while it ran (ignored by the checks)",
                             info["student"], info["notebook"], ", ".join(tampering))
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code" and grade_id in test_ids:
                verdict = verdicts[grade_id]
                cell.outputs = [pass_output()] if verdict["passed"] else [failure_output(verdict["visible"], verdict["why"])]
        return nb, resources

    def command(self):
        """The check server's command line, inside the sandbox (it sees only grading/ and /tmp)."""
        return Sandbox(parent=self).wrap([self.python, "-m", "grading.check_runner", "--serve"],
                                         ro=[GRADING_PACKAGE], seconds=0)

    def run_checks(self, job, resources):
        job = {**job, "nonce": secrets.token_hex(16)}
        command = tuple(self.command())
        server = _SERVERS.get(command)
        if server is None or not server.alive():
            server = _SERVERS[command] = CheckServer(command)
        try:
            out = server.run(job, job["seconds"] + 30)
        except (OSError, EOFError, TimeoutError) as exc:
            self.log.warning("check server failed on %s (%s); it is restarted for the next submission",
                             resources["nbgrader"]["student"], type(exc).__name__)
            server.close()
            _SERVERS.pop(command, None)
            out = ""
        verdicts, tampering, problem = read_verdicts(out, job)
        if problem:
            self.log.warning("check runner: %s", problem)
        return verdicts, tampering


_SERVERS = {}


class CheckServer:
    """A sandboxed ``grading.check_runner --serve``: torch is imported once per grading process,
    and each submission runs in a child forked from it (see check_runner.serve)."""

    def __init__(self, command):
        self.proc = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        atexit.register(self.close)

    def alive(self):
        return self.proc.poll() is None

    def run(self, job, timeout):
        payload = json.dumps(job).encode()
        self.proc.stdin.write(len(payload).to_bytes(4, "big") + payload)
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        size = int.from_bytes(self._read(4, deadline), "big")
        return self._read(size, deadline).decode(errors="replace")

    def _read(self, n, deadline):
        fd, data = self.proc.stdout.fileno(), b""
        while len(data) < n:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def read_verdicts(out, job):
    """Verdicts from the runner's output: one line per check in order, then "done", nothing else.

    Returns (verdicts by grade_id, tampering notes, problem or None). A check without its line
    fails; any line that is not exactly what the runner writes (another nonce, a repeated or
    out-of-order check, text after "done") fails every check: honest code never writes there.
    """
    lost = "채점 프로세스가 이 검사의 결과를 남기지 못했습니다 (시간 초과 또는 비정상 종료)."
    verdicts = {name: {"passed": False, "visible": None, "why": lost} for name in job["checks"]}
    expected = list(job["checks"])
    records = []
    for line in out.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            records.append(None)
    for i, record in enumerate(records):
        ok = isinstance(record, dict) and record.get("nonce") == job["nonce"]
        if ok and i < len(expected):
            ok = record.get("grade_id") == expected[i] and isinstance(record.get("passed"), bool)
        elif ok:
            ok = i == len(expected) and record.get("done") is True and i == len(records) - 1
        if not ok:
            forged = "채점 결과 stream이 변조되어 이 제출의 모든 검사를 0점 처리했습니다."
            return ({name: {"passed": False, "visible": None, "why": forged} for name in expected},
                    ["result stream"], f"unexpected output at line {i + 1}")
        if i < len(expected):
            verdicts[expected[i]] = record
    if len(records) == len(expected) + 1:
        return verdicts, records[-1].get("tampering", []), None
    return verdicts, [], f"stopped after {len(records)} of {len(expected)} checks"
