"""nbgrader's Execute with every kernel inside the sandbox (``grading.sandbox``).

``SandboxedExecute`` is the first of ``Autograde.autograde_preprocessors`` in nbgrader_config.py.
"""
import os
import shutil
import tempfile

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Enum

from grading.sandbox import Sandbox


class SandboxedKernelClient(AsyncKernelClient):
    """A client without the heartbeat channel.

    Whether the kernel is alive comes from its process (the sandbox launcher), through the kernel
    manager. jupyter_client's heartbeat thread, on an IPC kernel that a submission broke or that
    was killed, can wait forever for a send, and ``stop_channels`` joins it without a timeout: one
    such submission stopped a whole ``nbgrader autograde`` batch.
    """

    def start_channels(self, shell=True, iopub=True, stdin=True, hb=False, control=True):
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False, control=control)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside the sandbox and talk over IPC sockets kept in a
    private folder (a kernel in its own network namespace cannot reach its client over TCP)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("client_class", "grading.sandboxed_kernel.SandboxedKernelClient")
        super().__init__(**kwargs)
        self._private = tempfile.mkdtemp(prefix="lesson05-kernel-")
        self.transport = "ipc"
        self.connection_file = os.path.join(self._private, "kernel.json")
        self.ip = os.path.join(self._private, "ipc")

    async def _async_pre_start_kernel(self, **kw):
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        workdir = os.path.abspath(kw.get("cwd") or os.getcwd())
        return Sandbox(parent=self).wrap(cmd, rw=[workdir, self._private], discard_stdout=True), kw

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._private, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


def _error(ename, message):
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


class SandboxedExecute(Execute):
    """nbgrader's Execute with every kernel in the sandbox (used by Autograde in nbgrader_config.py).

    A kernel that dies or stops answering (``os._exit``, a crash, a submission that wrote into
    the kernel's own sockets) does not fail the submission: the cell gets an error output, the
    cells after it are marked as not run, and grading goes on. The points come from the checks
    of ``GradeInIsolation`` either way, so the student gets a graded notebook that says what
    happened instead of nbgrader's "failed assignment".
    """

    # the sandbox is torn down with the kernel: a graceful shutdown would only add ~0.8 s per notebook
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="How the kernel is stopped after the last cell.").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        Sandbox(parent=self).require()
        self._lost_kernel = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._lost_kernel:
            cell.outputs = [_error("KernelLost", "커널이 앞 셀에서 종료되어 이 셀은 실행되지 않았습니다.")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as exc:
            self._lost_kernel = type(exc).__name__
            why = ("커널이 이 셀을 실행하는 중 종료되었습니다." if isinstance(exc, DeadKernelError)
                   else "커널이 이 셀을 실행한 뒤 응답하지 않았습니다.")
            cell.outputs.append(_error(self._lost_kernel, why + " 뒤의 셀은 실행되지 않았습니다."))
            self.log.warning("%s: the kernel was lost in cell %d (%s); the remaining cells are not run",
                             resources.get("nbgrader", {}).get("student", "?"), index, self._lost_kernel)
            return cell, resources
