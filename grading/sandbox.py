"""The sandbox around every process that runs a submission's code (its kernel and the checks).

Made with bubblewrap (``bwrap``): no network (own network namespace), own PID/IPC/UTS namespaces,
no capabilities, and a filesystem that holds only the system's ``/usr``, the Python environment
(read-only), a private ``/tmp`` and the folders named read-write (the submission's own folder, the
kernel's private connection folder). ``source/``, ``release/``, ``gradebook.db``, ``submitted/``,
``autograded/`` and other students do not exist inside. Resource limits: memory (RLIMIT_DATA,
2 GiB by default), processes and threads (a cgroup ``pids`` controller, 256 by default), file size,
and a wall-clock limit for the whole sandboxed process. Set them in nbgrader_config.py::

    c.Sandbox.memory_mb = 2048
    c.Sandbox.max_processes = 256
    c.Sandbox.seconds = 600          # the whole kernel (one notebook); cells have c.Execute.timeout
    c.Sandbox.enabled = True         # False only as an explicit, logged opt-out

``python -m grading.sandbox --rw DIR ... -- CMD ...`` is the launcher that ``wrap`` puts in front of
a command: it enters the cgroup, sets the limits, runs bwrap and stops it at the time limit. It runs
once per kernel, so this module imports nothing heavy; the kernel manager that uses it is in
``grading.sandboxed_kernel``.
"""
import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

from traitlets import Bool, Int, Unicode
from traitlets.config import LoggingConfigurable

PIDS_CGROUP = Path("/sys/fs/cgroup/pids")
GRADING_PACKAGE = Path(__file__).resolve().parent


class SandboxUnavailable(RuntimeError):
    pass


class Sandbox(LoggingConfigurable):
    """Limits of the sandbox, configurable as ``c.Sandbox.<name>`` in nbgrader_config.py."""

    enabled = Bool(True, help="Run submissions' code in the sandbox. False is an explicit opt-out.").tag(config=True)
    memory_mb = Int(2048, help="Memory limit (MiB of data segment) of a sandboxed process tree.").tag(config=True)
    max_processes = Int(256, help="Processes and threads a sandbox may have at once.").tag(config=True)
    seconds = Int(600, help="Wall-clock limit of one sandboxed process (a whole kernel).").tag(config=True)
    max_file_mb = Int(256, help="Largest file a sandboxed process may write.").tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap executable.").tag(config=True)

    def wrap(self, cmd, rw=(), ro=(), discard_stdout=False, seconds=None):
        """``cmd`` run inside the sandbox, as an argv list for subprocess / jupyter_client.

        ``seconds`` overrides the wall-clock limit (0: none, for a server that limits its jobs)."""
        if not self.enabled:
            self.log.warning("Sandbox disabled (c.Sandbox.enabled = False): submissions run with the TA's permissions")
            return list(cmd)
        self.require()
        args = [sys.executable, "-m", "grading.sandbox", "--bwrap", shutil.which(self.bwrap),
                "--memory-mb", str(self.memory_mb), "--max-processes", str(self.max_processes),
                "--seconds", str(self.seconds if seconds is None else seconds), "--max-file-mb", str(self.max_file_mb)]
        for d in rw:
            args += ["--rw", str(d)]
        for d in ro:
            args += ["--ro", str(d)]
        if discard_stdout:
            args.append("--discard-stdout")
        return args + ["--", *cmd]

    def require(self):
        """Fail with a clear message when the sandbox cannot be made on this machine."""
        if self.enabled and not shutil.which(self.bwrap):
            raise SandboxUnavailable(
                f"'{self.bwrap}' (bubblewrap) is not installed, so submissions cannot be sandboxed. "
                "Install it (apt-get install -y bubblewrap) or, knowing that student code will then run "
                "with your permissions, opt out with c.Sandbox.enabled = False in nbgrader_config.py.")


def bwrap_args(bwrap, rw, ro, workdir):
    """The bubblewrap command line: system and Python read-only, ``rw`` folders read-write."""
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--hostname", "sandbox", "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp", "--dir", "/var/tmp"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.readlink(f"/{link}") if os.path.islink(f"/{link}") else None
        if target:
            args += ["--symlink", target, f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            args += ["--ro-bind", f"/{link}", f"/{link}"]
    for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf"):
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    for d in sorted({sys.base_prefix, sys.prefix, *ro}):
        args += ["--ro-bind", d, d]
    for d in rw:
        args += ["--bind", d, d]
    env = {"HOME": "/tmp", "PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "MPLBACKEND": "Agg", "JUPYTER_PLATFORM_DIRS": "1"}
    args += ["--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args + ["--chdir", workdir or "/tmp"]


def _enter_cgroup(max_processes):
    """Put this process in a fresh pids cgroup; return its folder (None where there is none)."""
    parent = PIDS_CGROUP / "lesson05-sandbox"
    try:
        parent.mkdir(exist_ok=True)
        for stale in parent.iterdir():  # sandboxes that were killed before they could clean up
            if stale.is_dir():
                try:
                    stale.rmdir()
                except OSError:
                    pass
        group = Path(tempfile.mkdtemp(prefix="s", dir=parent))
        (group / "pids.max").write_text(str(max_processes))
        (group / "cgroup.procs").write_text(str(os.getpid()))
        return group
    except OSError:
        return None


def launch(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading.sandbox")
    parser.add_argument("--bwrap", required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--max-processes", type=int, required=True)
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--max-file-mb", type=int, required=True)
    parser.add_argument("--rw", action="append", default=[])
    parser.add_argument("--ro", action="append", default=[])
    parser.add_argument("--discard-stdout", action="store_true", help="a kernel's own stdout (not its outputs)")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    group = _enter_cgroup(args.max_processes)
    limit = args.max_processes if group is None else None  # fallback: RLIMIT_NPROC

    def limits():
        mem = args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (mem, mem))
        size = args.max_file_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if limit:
            resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))

    workdir = args.rw[0] if args.rw else None
    # bwrap in a process group of its own: jupyter_client interrupts a kernel by signalling the
    # launcher's group, and a SIGINT that reached bwrap would end the sandbox and the kernel with it
    proc = subprocess.Popen(bwrap_args(args.bwrap, args.rw, args.ro, workdir) + cmd, preexec_fn=limits,
                            stdout=subprocess.DEVNULL if args.discard_stdout else None, start_new_session=True)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: proc.kill())

    def interrupt(signum, frame):  # jupyter_client interrupts a kernel with SIGINT: pass it inside
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                child.send_signal(signal.SIGINT)
            except psutil.Error:
                pass
    signal.signal(signal.SIGINT, interrupt)
    try:
        code = proc.wait(timeout=args.seconds or None)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
        print(f"sandbox: stopped after {args.seconds} s (c.Sandbox.seconds)", file=sys.stderr)
    if group is not None:
        try:
            group.rmdir()
        except OSError:
            pass
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(launch())
