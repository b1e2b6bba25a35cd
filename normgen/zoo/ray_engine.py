"""Running independent jobs (zoo entries, sweep values) as Ray tasks, on this machine or a cluster.

    python -m normgen zoo build --engine ray                    # a local Ray cluster on this machine
    python -m normgen zoo build --engine ray --address auto     # join the cluster `ray start` runs here

Ray is an optional dependency (`pip install -r requirements-ray.txt`): this module imports it only when a
runner starts, so importing normgen never loads it. Each job is one task declaring its resources
(`num_cpus`, and `num_gpus=1`, or a fraction, when the job's device is CUDA, which is the default where
the cluster has GPUs). A task that raises or whose worker dies is retried up to `max_retries` times; one
that keeps failing is reported by its job id while the others finish. The normgen package travels with
the tasks (Ray's `py_modules`), so worker nodes need the Python packages (requirements-ray.txt), not a
checkout; the data root and the output folder must be the same path on every node (shared storage).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from normgen.zoo.build import Finish

INSTALL_HINT = "Ray is not installed: pip install -r requirements-ray.txt (the optional Ray engine)"
MAX_RETRIES = 2  # attempts after the first, per task (a lost worker or a raised error)


class RayUnavailable(RuntimeError):
    """Ray cannot be imported here; the message says how to install it."""


def require_ray() -> Any:
    """The `ray` module, or RayUnavailable with the one-line install hint."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable(INSTALL_HINT) from None
    return ray


def runtime_env() -> dict[str, Any]:
    """What every task's worker gets: this normgen package (uploaded, so worker nodes need no checkout)
    and $NORMGEN_DATA when it is set here (a worker node does not see this shell's environment)."""
    import normgen

    env: dict[str, Any] = {"py_modules": [str(Path(normgen.__file__).parent)]}
    if os.environ.get("NORMGEN_DATA"):
        env["env_vars"] = {"NORMGEN_DATA": os.environ["NORMGEN_DATA"]}
    return env


class TaskFailed(RuntimeError):
    """A job's task failed on every attempt; the message is the last attempt's error in one line."""


def _run_task(fn: Callable[[dict], dict], job: dict, threads: int) -> dict:
    """What one Ray task runs (in a worker): `fn(job)` with torch limited to the task's CPUs."""
    import torch

    torch.set_num_threads(max(1, threads))
    return fn(job)


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)  # a RayTaskError wraps what the task raised
    if isinstance(cause, BaseException):
        exc = cause
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


@dataclass
class RayRunner:
    """Runs a dict of jobs (id -> plain-dict job) as Ray tasks and reports each through `finish`.

    address: None starts a local cluster on this machine (or uses the one this process already joined);
    "auto" joins the cluster running on this host; "ray://HOST:10001" a remote head.
    device: the jobs' torch device; None = "cuda" when the cluster has GPUs, else "cpu".
    task: the function each task runs on a job (it must be importable or picklable by Ray).
    """

    task: Callable[[dict], dict]
    address: str | None = None
    device: str | None = None
    cpus_per_task: float = 1.0
    gpus_per_task: float = 1.0  # on CUDA; a fraction (0.25) packs several small entries onto one GPU
    max_retries: int = MAX_RETRIES
    log: Callable[[str], None] = print
    _started: bool = field(default=False, init=False, repr=False)  # this runner started Ray (and stops it)

    def __post_init__(self) -> None:
        g = self.gpus_per_task
        if self.cpus_per_task <= 0 or g <= 0 or (g > 1 and g % 1):  # what Ray accepts as num_gpus
            raise ValueError(f"--cpus-per-task must be > 0 and --gpus-per-task a fraction in (0, 1] or a whole "
                             f"number, got {self.cpus_per_task:g} and {self.gpus_per_task:g}")
        if self.max_retries < 0:
            raise ValueError(f"--max-retries must be >= 0, got {self.max_retries}")

    def start(self) -> None:
        """Start or join the cluster now (a wrong --address fails before any work); idempotent. A process
        that has joined a cluster already (its own ray.init) keeps it, and close() leaves it running."""
        ray = require_ray()
        if ray.is_initialized():
            return
        kw: dict[str, Any] = {"include_dashboard": False} if self.address is None else {}
        try:
            ray.init(address=self.address, runtime_env=runtime_env(), log_to_driver=True, **kw)
        except ConnectionError as exc:
            raise ValueError(f"cannot reach a Ray cluster at {self.address!r}: {exc}") from None
        self._started = True

    def close(self) -> None:
        """Stop the local cluster this runner started (or leave the joined one); idempotent."""
        if self._started:
            require_ray().shutdown()
            self._started = False

    def resolve_device(self, ray: Any) -> str:
        if self.device:
            return self.device
        return "cuda" if ray.cluster_resources().get("GPU", 0) >= 1 else "cpu"

    def __call__(self, jobs: dict[str, dict], finish: Finish) -> None:
        ray = require_ray()
        self.start()
        try:
            device = self.resolve_device(ray)
            gpus = self.gpus_per_task if device.startswith("cuda") else 0
            res = ray.cluster_resources()
            if gpus and res.get("GPU", 0) < gpus:  # Ray would wait for it forever
                raise ValueError(f"--device {device}, but the Ray cluster has {res.get('GPU', 0):g} GPUs")
            if self.cpus_per_task > res.get("CPU", 0):
                raise ValueError(f"--cpus-per-task {self.cpus_per_task:g}, but the Ray cluster has "
                                 f"{res.get('CPU', 0):g} CPUs")
            self.log(f"ray: {res.get('CPU', 0):g} CPUs, {res.get('GPU', 0):g} GPUs in the cluster; "
                     f"{len(jobs)} tasks of {self.cpus_per_task:g} CPU{f' + {gpus:g} GPU' if gpus else ''} "
                     f"on {device}, up to {self.max_retries} retries each")
            remote = ray.remote(_run_task).options(num_cpus=self.cpus_per_task, num_gpus=gpus,
                                                   max_retries=self.max_retries, retry_exceptions=True)
            threads = max(1, int(self.cpus_per_task))
            pending = {remote.remote(self.task, {**job, "device": device}, threads): jid for jid, job in jobs.items()}
            try:
                while pending:
                    ready, _ = ray.wait(list(pending), num_returns=1)
                    for ref in ready:
                        jid = pending.pop(ref)
                        try:
                            row = ray.get(ref)
                        except Exception as exc:  # every attempt failed: report it, the others go on
                            finish(jid, None, TaskFailed(f"after {self.max_retries + 1} attempts: {_one_line(exc)}"))
                        else:
                            finish(jid, row, None)
            finally:  # on Ctrl-C: cancel what has not finished; the caller has recorded what has
                for ref in pending:
                    ray.cancel(ref, force=True)
        finally:
            self.close()
