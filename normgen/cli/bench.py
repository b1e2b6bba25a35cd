"""`python -m normgen bench`: the speed benchmark (normgen.bench.run) from the command line."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

from normgen.bench.run import run_bench
from normgen.data import DatasetUnavailable
from normgen.engine.train import default_device


def cmd_bench(a: argparse.Namespace) -> int:
    device = torch.device(a.device) if a.device else default_device()
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available; use --device cpu")
    threads_before = torch.get_num_threads()
    if a.threads:
        torch.set_num_threads(a.threads)
    try:
        res = run_bench(quick=a.quick, smoke=a.smoke, device=device, data_root=a.data_root,
                        sections=tuple(a.only.split(",")) if a.only else ("all",),
                        grids=Path(a.grids) if a.grids else None, compile_colour=not a.no_compile)
    except (DatasetUnavailable, RuntimeError) as exc:
        if isinstance(exc, DatasetUnavailable) or "MNIST" in str(exc) or "not found" in str(exc):
            raise DatasetUnavailable(f"the benchmark needs real MNIST: {exc}") from None
        raise
    finally:
        torch.set_num_threads(threads_before)  # in-process callers (tests) keep their thread count
    if a.json:
        print(json.dumps(finite(res), allow_nan=False))
    return 0


def finite(value):
    """`value` with every float that JSON cannot hold (inf: a goal never reached; nan) as None."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, (int, float, bool)) or value is None or isinstance(value, str):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    return float(value)  # numpy and torch scalars


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="speed benchmark: normgen vs the conventional loop, sweeps, latency",
                       description="Benchmark normgen's trainer against a conventional PyTorch loop on "
                                   "real MNIST. All figures are ratios measured side by side.")
    p.add_argument("--quick", action="store_true", help="a ~3 minute run (CPU) with fewer repeats")
    p.add_argument("--smoke", action="store_true", help="every section at toy sizes (seconds): that it runs, "
                                                        "not how fast; the browser section is skipped")
    p.add_argument("--json", action="store_true", help="print all results as one JSON object last")
    p.add_argument("--device", default=None, help="cpu | cuda (default: cuda when available)")
    p.add_argument("--data-root", default=None, help="folder holding MNIST/raw (default: $NORMGEN_DATA)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--only", default="", help="comma-separated sections: throughput, picture, sweep, "
                                              "explore, explore-e2e, efficiency, finetune, colour (default: all)")
    p.add_argument("--grids", default="", help="write normgen's sample grid at each time-to-picture "
                                               "evaluation to this folder (to check the FD thresholds by eye)")
    p.add_argument("--no-compile", action="store_true", help="colour section: skip the torch.compile variant "
                                                             "(its compile takes minutes of CPU)")
    p.set_defaults(handler=cmd_bench)
