"""The kernel server: a process that imports the notebooks' libraries once and forks a fresh kernel
for each notebook.

A kernel started the usual way (`python -m ipykernel_launcher`) spends about 0.9 s of CPU
importing IPython, pandas, pandera and matplotlib before its notebook's first line does any
work; five notebooks spend 4.5 s of a report's 12. The server pays that once, then forks:
each kernel is a new process, in a session of its own, that starts from the server's state
(libraries imported, no notebook code ever run), so nothing passes from one notebook to the
next, as with kernels started the usual way.

What the fork cannot give, it refuses, and the kernel is then started the usual way
(`ForkingProvisioner`): a kernel for another interpreter or another command, or one asked
for with environment variables other than the server's (the libraries read some of them,
such as `MPLBACKEND`, when they are imported). A server that stopped, or that does not
answer within `SERVER_WAIT` seconds (or the notebooks' shorter time limit), is an
optimisation lost, not an error: kernels are then started the usual way too.

(By hand: jupyter_client starts kernels only as new programs, and the fork server of
`multiprocessing` re-imports the caller's main script in each child.)
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import importlib
import io
import os
import select
import signal
import subprocess
import sys
import traceback
import weakref

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from itud.run.buildinfo import PINNED_VARIABLES
from itud.run.servers import ServerProcess, ServerStopped, serve

PRELOAD = (
    "ipykernel.kernelapp",
    "matplotlib.pyplot",
    "pandas",
    "pandera.pandas",
    "pydantic",
)
"""What the server imports for its kernels, whoever starts it; its caller adds the project's own modules
that the notebooks import (`KernelServer(preload=...)`: this stage names no later one). Others are
imported by the notebook that needs them, as usual."""

PRELOAD_VARIABLE = "ITUD_KERNEL_PRELOAD"
"""The server's variable naming the caller's further modules, comma-separated."""

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
"""matplotlib's backend in a kernel: ipykernel sets it in `MPLBACKEND` unless it is set, and matplotlib reads
it when imported."""

LAUNCHER = ["-m", "ipykernel_launcher"]
SERVER_WAIT = 60.0
"""Seconds a kernel may wait for the server's answer (it imports for about a second before its first)."""


def serve_kernels() -> None:
    """The server's process (`KernelServer`): import `PRELOAD`, then fork a kernel for each request
    (`{"argv", "cwd", "env", "log"}`); answers `{"pid"}`, or `{"refused": why}`."""
    environment = dict(os.environ)  # before the changes below: what a kernel's environment is compared with
    # As ipykernel_launcher does: the server's working folder is no place to import libraries from.
    sys.path[:] = [entry for entry in sys.path if entry not in ("", os.getcwd())]
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    further = [name for name in os.environ.get(PRELOAD_VARIABLE, "").split(",") if name]
    with _as_in_a_kernel():
        for module in [*PRELOAD, *further]:
            # A module that fails here (or looks further at the shell) is imported by its notebook, as usual.
            with contextlib.suppress(Exception):
                importlib.import_module(module)
    children: set[int] = set()

    def reap(*_) -> None:
        with contextlib.suppress(ChildProcessError):
            while (pid := os.waitpid(-1, os.WNOHANG)[0]) != 0:
                children.discard(pid)

    signal.signal(signal.SIGCHLD, reap)

    def answer(request: dict) -> dict:
        refusal = refused(request["argv"], request["env"], environment)
        if refusal:
            return {"refused": refusal}
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # not reaped before it is counted
        try:
            pid = os.fork()
            if pid == 0:
                _become_kernel(request)  # never returns
            children.add(pid)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        return {"pid": pid}

    try:
        serve(answer)
    finally:  # the build is done or gone: none of its kernels may outlive it, and all are reaped
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        end_kernels(children)
        os._exit(0)  # at once: the interpreter's clean-up of all it imported would take a quarter second


def end_kernels(children: set[int]) -> None:
    """Kill and reap the server's kernels: each one's process group (what it started) and the kernel
    itself, which a kernel forked a moment ago may not have made its own group yet (then only the
    group's kill would miss it, and the wait for it would never end)."""
    for pid in list(children):
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        children.discard(pid)


class _KernelShell:
    """What `get_ipython()` gives in a kernel, as far as libraries look at it when they are imported: a
    shell with a kernel."""

    kernel = None


@contextlib.contextmanager
def _as_in_a_kernel():
    """While the libraries are imported, what they look at is as in a kernel: `get_ipython()` gives a shell
    with a kernel, and the output streams are in "UTF-8" (ipykernel's `OutStream`). pandas, for one, sets
    `display.max_columns` (20 in a kernel, 0 in a terminal; found by `itud notebooks`: wide tables were
    printed differently) and `display.encoding` from them when imported."""
    streams = sys.stdout, sys.stderr
    builtins.get_ipython = _KernelShell
    sys.stdout = sys.stderr = io.TextIOWrapper(io.BytesIO(), encoding="UTF-8")
    try:
        yield
    finally:
        del builtins.get_ipython
        sys.stdout, sys.stderr = streams


def refused(argv: list[str], env: dict, environment: dict) -> str:
    """Why a kernel for `argv` and `env` cannot be forked from a server started with `environment` ('' if it can)."""
    # The path as given, not resolved: two virtual environments' pythons are links to the same file.
    if argv[1:3] != LAUNCHER or os.path.abspath(argv[0]) != os.path.abspath(sys.executable):
        return f"not this interpreter's ipykernel: {' '.join(argv[:3])}"
    keys = set(env) | set(environment)
    differ = sorted(k for k in keys if env.get(k) != environment.get(k) and not k.startswith("JPY_"))
    return f"environment differs: {', '.join(differ)}" if differ else ""


def _become_kernel(request: dict) -> None:
    """In the forked child: become a kernel as `python -m ipykernel_launcher ARGS` would be; never returns."""
    code = 1
    try:
        os.setsid()  # a session of its own, as jupyter_client starts kernels
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        output = os.open(request["log"] or os.devnull, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        nothing = os.open(os.devnull, os.O_RDONLY)
        for source, target in ((nothing, 0), (output, 1), (output, 2)):
            os.dup2(source, target)
        os.close(nothing)
        os.close(output)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # As jupyter_client's launcher does, with the kernel's real parent, the server: the kernel ends by
        # itself if the server does. ipykernel read this variable when the server imported it, so the
        # setting is also given on the command line.
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        import ipykernel_launcher
        from ipykernel import kernelapp

        arguments = [*request["argv"][3:], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.argv = [ipykernel_launcher.__file__, *arguments]
        kernelapp.launch_new_instance(argv=arguments)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


ENDED = 1
"""`ForkedKernel.returncode` once the kernel has ended: its exit status is the server's to read (the server
reaps its children), so this only says that it ended."""


class ForkedKernel:
    """A forked kernel, seen from the build: the parts of `subprocess.Popen` that jupyter_client and
    `execute` use, over a pidfd (a handle on the process that outlives its pid's reuse)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:  # ended already
            self._pidfd = None
            self.returncode = ENDED
        else:
            weakref.finalize(self, os.close, self._pidfd)

    def _ended(self, timeout: float | None) -> int | None:
        if self.returncode is None and select.select([self._pidfd], [], [], timeout)[0]:
            self.returncode = ENDED
        return self.returncode

    def poll(self) -> int | None:
        return self._ended(0)

    def wait(self, timeout: float | None = None) -> int:
        if self._ended(timeout) is None:
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


@functools.cache
def can_fork() -> bool:
    """Whether this system can fork kernels and watch them: POSIX `fork` and Linux's pidfd (Linux 5.3 and later)."""
    if not hasattr(os, "fork") or not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


class KernelServer(ServerProcess):
    """The build's side of the kernel server (`serve_kernels`); start it early, it imports for a second.

    Where the system cannot fork kernels and watch them (`can_fork`), no process is started and every
    kernel is started the usual way."""

    name = "kernel server"

    def __init__(self, variables: dict[str, str] | None = None, preload: tuple[str, ...] = ()) -> None:
        """`variables`: environment variables of the server and of every kernel started for it (`launch_kernel`);
        `preload`: modules the server imports beyond `PRELOAD` (what the caller's notebooks import)."""
        self.enabled = can_fork()
        self.variables = {**(variables or {}), **({PRELOAD_VARIABLE: ",".join(preload)} if preload else {})}
        if self.enabled:
            super().__init__("itud.run.kernel_server:serve_kernels", self.variables)

    def close(self) -> None:
        """Let the server end its kernels and reap them (so their CPU time is counted as the build's),
        then stop it."""
        if self.enabled:
            super().close(grace=2.0)

    def fork(self, argv: list[str], cwd: str, env: dict, log: str | None, timeout: float) -> ForkedKernel | None:
        """A kernel forked for `argv`, or None if the server refuses (see `refused`) or is not enabled."""
        if not self.enabled:
            return None
        answer = self.ask({"argv": argv, "cwd": cwd, "env": env, "log": log}, timeout)
        return ForkedKernel(answer["pid"]) if "pid" in answer else None


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with kernels forked by `server` when it can."""

    server: KernelServer | None = None
    timeout: float = 600.0
    forked = False

    async def launch_kernel(self, cmd: list[str], **kwargs):
        log = getattr(kwargs.get("stdout"), "name", None)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        # The hash seed, time zone and locale of every kernel are fixed, as the server's are (`servers`), and
        # it has the server's own variables, forked or not.
        extra = self.server.variables if self.server is not None else {}
        env = {**(kwargs.get("env") or os.environ), **PINNED_VARIABLES, **extra}
        kwargs["env"] = env
        process = None
        if self.server is not None:
            with contextlib.suppress(ServerStopped):  # see the module's docstring
                process = self.server.fork(cmd, cwd, env, log, min(self.timeout, SERVER_WAIT))
        if process is None:
            return await super().launch_kernel(cmd, **kwargs)
        # As `LocalProvisioner.launch_kernel` records a process it started; the group is the kernel's own.
        self.process, self.pid, self.pgid, self.cwd, self.forked = process, process.pid, process.pid, cwd, True
        return self.connection_info
