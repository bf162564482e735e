"""One graded batch for the whole session: every submission of tests/submissions.py and
tests/escapes.py, graded by plain `nbgrader autograde lesson05` in a temporary course (with a
loopback server listening for escapes), then `nbgrader generate_feedback`."""
import hashlib
import socket
import threading

import pytest

from grading.sample_submissions import BROKEN, fill, write_all
from tests import course as course_mod
from tests.escapes import escape_submissions
from tests.submissions import all_submissions


def tree_digest(folder):
    """A digest of every file's path and content below folder."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class Listener:
    """A TCP server on 127.0.0.1 that records whatever a submission manages to send it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(1024) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    root = course_mod.make_course(tmp_path_factory.mktemp("course"))
    write_all(root / "submitted")  # the bundled samples, the broken notebook included
    for student, (cells, edit, _) in all_submissions().items():
        nb = fill(cells)
        course_mod.submit(root, student, edit(nb) if edit else nb)
    listener = Listener()
    for student, cells in escape_submissions(listener.port).items():
        course_mod.submit(root, student, fill(cells))
    before = {d: tree_digest(root / d) for d in ("source", "release")}
    try:
        log = course_mod.run(["nbgrader", "autograde", "lesson05", "--force"], root, check=False)
    finally:
        listener.close()
    feedback = course_mod.run(["nbgrader", "generate_feedback", "lesson05", "--force"], root, check=False)
    return {"root": root, "grades": course_mod.grades(root), "log": log.stdout + log.stderr,
            "feedback_log": feedback.stdout + feedback.stderr, "broken": BROKEN,
            "received": listener.received, "before": before,
            "after": {d: tree_digest(root / d) for d in ("source", "release")}}
