"""nbgrader's Execute with every kernel inside the sandbox (``grading.sandbox``).

``SandboxedExecute`` is the first of ``Autograde.autograde_preprocessors`` in nbgrader_config.py.
"""
import os
import shutil
import tempfile

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute

from grading.sandbox import Sandbox


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside the sandbox and talk over IPC sockets kept in a
    private folder (a kernel in its own network namespace cannot reach its client over TCP)."""

    def __init__(self, **kwargs):
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


class SandboxedExecute(Execute):
    """nbgrader's Execute with every kernel in the sandbox (used by Autograde in nbgrader_config.py)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        Sandbox(parent=self).require()
        return super().preprocess(nb, resources, km)
