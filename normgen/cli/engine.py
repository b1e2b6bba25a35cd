"""`--engine local|ray` for `zoo build` and `sweep`: the options, their checks, and the Ray runner.

Ray is optional (requirements-ray.txt); normgen.zoo.ray_engine imports it only when a run starts, and
without it `--engine ray` is one line on how to install it, exit 2."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from normgen.cli.usage import UsageError
from normgen.zoo.ray_engine import MAX_RETRIES, RayRunner, RayUnavailable, require_ray

ENGINES = ("local", "ray")


def ray_runner(a: argparse.Namespace, task: Callable[[dict], dict]) -> RayRunner:
    """The Ray engine from the engine options, connected to its cluster (close() it when done); one line,
    exit 2, when Ray is absent or the cluster cannot be reached."""
    try:
        require_ray()
    except RayUnavailable as exc:
        raise UsageError(str(exc)) from None
    try:
        runner = RayRunner(task, address=a.address, device=a.device, cpus_per_task=a.cpus_per_task,
                           gpus_per_task=a.gpus_per_task, max_retries=a.max_retries,
                           log=lambda s: print(s, flush=True))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    runner.start()  # a cluster that cannot be reached is one line now, before judges or data are touched
    return runner


def add_engine_args(p: argparse.ArgumentParser, what: str) -> None:
    """--engine, --address, --cpus-per-task, --gpus-per-task, --max-retries (`what` a task is, for --help)."""
    p.add_argument("--engine", default="local", choices=ENGINES,
                   help=f"local: this machine (default); ray: one Ray task per {what} (pip install -r "
                        "requirements-ray.txt)")
    p.add_argument("--address", default=None,
                   help="--engine ray: the cluster to join ('auto' = the one `ray start` runs here, or "
                        "ray://HEAD:10001); default: start a local Ray cluster")
    p.add_argument("--cpus-per-task", type=float, default=1.0,
                   help="--engine ray: CPUs each task reserves (default: 1)")
    p.add_argument("--gpus-per-task", type=float, default=1.0,
                   help="--engine ray on CUDA: GPUs each task reserves; 0.25 runs 4 entries per GPU (default: 1)")
    p.add_argument("--max-retries", type=int, default=MAX_RETRIES,
                   help=f"--engine ray: retries of a task whose worker died or that raised (default: {MAX_RETRIES})")


def check_engine_args(a: argparse.Namespace) -> None:
    """Engine options that contradict each other or are out of range: one line, exit 2."""
    if a.engine != "ray" and a.address:
        raise UsageError("--address needs --engine ray")
    if a.cpus_per_task <= 0 or a.gpus_per_task <= 0 or a.max_retries < 0:
        raise UsageError("--cpus-per-task and --gpus-per-task must be > 0 and --max-retries >= 0")
