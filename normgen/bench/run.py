"""`python -m normgen bench`: how fast normgen trains, against the conventional loop, side by side.

Every figure is a ratio of two things measured in the same process, interleaved repeat by repeat
(the machine is shared and noisy), reported as the median with its min-max spread:

1. throughput: images/s of `normgen.engine.train.train` vs `normgen.bench.baseline.ConventionalLoop` (the
   pytorch/examples DCGAN loop) on the same model, optimizer and batch size -- every registered family --
   with dcgan's DataLoader default (num_workers=2) and at the loop's best setting on 2 cores (num_workers=0);
2. time to picture: training seconds until the judge's Frechet distance (normgen.eval.judge +
   normgen.eval.quality, 1,000 samples vs the 10,000 real test images) drops below a threshold at which
   MNIST digits are clearly recognizable (evaluation time excluded), normgen vs conventional;
3. batched sweep: K lambdas (K = 4, 8) in one vmapped run vs K sequential runs vs one run;
4. explore latency: ms from a checkpoint file to a 64-sample grid plus its weight statistics;
5. efficiency: FLOPs per step (FlopCounterMode), achieved FLOP/s, share of a measured matmul peak;
6. fine-tune: seconds until a new lambda, fine-tuned from the zoo's GAN baseline (the Train screen's
   default), moves its weight statistic half way to the zoo entry trained with it (normgen.bench.finetune);
7. colour: the colour block's recipe (width 16) in steps/s, normgen's trainer against the conventional loop at
   the same width, and what channels_last, one thread and torch.compile do (normgen.bench.colour).

Each family is timed on the first registered dataset of its own shape (`bench_dataset`: MNIST for the
grey families, CIFAR-10 for the colour DCGAN, at the zoo's width). `--json` prints every number as one
JSON object on the last line; `--smoke` runs every section at toy sizes (a test runs it). Needs real
MNIST (and CIFAR-10 for the colour family) under `--data-root` or $NORMGEN_DATA. Imports no gradio, so it
runs on a bare GPU machine with torch + torchvision.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from normgen.bench.baseline import OBJECTIVES, WORKERS, ConventionalLoop, conventional_loader
from normgen.bench.colour import bench_colour
from normgen.bench.explore_latency import run_explore_latency
from normgen.bench.finetune import bench_finetune
from normgen.bench.parts import FD_THRESHOLDS, ExploreTimer, Judging, matmul_peak, step_flops, summarize, sync
from normgen.bench.scrub_latency import run_scrub_latency, zoo_pairs
from normgen.config import make_config
from normgen.data import default_data_root, first_dataset, load_dataset
from normgen.engine.sampling import sample
from normgen.engine.sweep import sweep
from normgen.engine.train import make_trainer, step_for, train, use_fast_cuda_math
from normgen.models import MODEL_NAMES, family
from normgen.regularizers import RegConfig
from normgen.render.grids import grid_image

# per-device sizes: (CPU, GPU). GPU steps are ~100x shorter, so they need more of them.
QUICK = {"repeats": 3, "steps": (10, 300), "ttp_cap": ({"gan": 30.0, "vae": 15.0}, {"gan": 60.0, "vae": 30.0}),
         "eval_every": ({"gan": 100, "vae": 50}, {"gan": 100, "vae": 50}), "sweep_steps": (4, 200),
         "sweep_repeats": (1, 3), "latency_repeats": 10,
         "finetune_repeats": 1, "finetune_cap": 60.0, "colour_steps": (10, 200)}
FULL = {"repeats": 5, "steps": (40, 1000), "ttp_cap": ({"gan": 300.0, "vae": 120.0}, {"gan": 120.0, "vae": 60.0}),
        "eval_every": ({"gan": 100, "vae": 50}, {"gan": 100, "vae": 50}), "sweep_steps": (40, 500),
        "sweep_repeats": (3, 5), "latency_repeats": 30,
        "finetune_repeats": 3, "finetune_cap": 120.0, "colour_steps": (30, 500)}
# every section at toy sizes: that the command runs end to end, not how fast (the browser section is skipped)
SMOKE = {"repeats": 1, "steps": (2, 2), "ttp_cap": ({"gan": 2.0, "vae": 2.0}, {"gan": 2.0, "vae": 2.0}),
         "eval_every": ({"gan": 5, "vae": 5}, {"gan": 5, "vae": 5}), "sweep_steps": (2, 2),
         "sweep_repeats": (1, 1), "latency_repeats": 2,
         "finetune_repeats": 1, "finetune_cap": 3.0, "colour_steps": (2, 2)}

# the families the bench times against the conventional loop (which has a step for these objectives only)
BENCH_MODELS = tuple(m for m in MODEL_NAMES if family(m).objective in OBJECTIVES)


def bench_dataset(model: str) -> str:
    """The first registered dataset read from disk whose images have the channels `model` is built for."""
    return first_dataset(family(model).image_channels or 1)


def _pick(value, gpu: bool):
    return value[1 if gpu else 0] if isinstance(value, tuple) else value


def bench_throughput(name: str, data, loader, device: torch.device, steps: int, repeats: int,
                     log: Callable[[str], None], best_loader=None) -> dict:
    """images/s of train() vs the conventional loop, interleaved repeat by repeat. With `best_loader`
    (the same loop on `DataLoader(num_workers=0)`, which beats dcgan's default of 2 workers on 2 CPU
    cores), the loop is also timed at that setting and the speed-up reported against both."""
    cfg = make_config(name, data.name, steps=steps)
    convs = {"conventional": ConventionalLoop(cfg, loader, device)}
    if best_loader is not None:
        convs["conventional0"] = ConventionalLoop(cfg, best_loader, device)
    for conv in convs.values():
        for _ in range(2):  # warm-up: worker start, allocator, thread pools
            conv.step()
    train(make_config(name, data.name, steps=2), data=data, device=device)
    ours: list[float] = []
    theirs: dict[str, list[float]] = {k: [] for k in convs}
    cpu_ratio = []
    order = ["ours", *convs]
    for r in range(repeats):
        cpu = {}
        for which in (order if r % 2 == 0 else order[::-1]):
            if which == "ours":
                c0 = time.process_time()
                res = train(cfg, data=data, device=device)
                cpu["ours"] = (time.process_time() - c0) / res.steps
                ours.append(res.steps * cfg.batch_size / res.elapsed)
                continue
            conv = convs[which]
            sync(device)
            c0, t0 = conv.cpu_seconds(), time.perf_counter()
            for _ in range(steps):
                conv.step()
            sync(device)
            theirs[which].append(steps * cfg.batch_size / (time.perf_counter() - t0))
            if which == "conventional":
                c1 = conv.cpu_seconds()
                cpu["theirs"] = (c1 - c0) / steps if c0 is not None and c1 is not None else None
        if cpu["theirs"] is not None:
            cpu_ratio.append(cpu["theirs"] / cpu["ours"])
    out = {"normgen_ips": statistics.median(ours), "conventional_ips": statistics.median(theirs["conventional"]),
           **summarize([a / b for a, b in zip(ours, theirs["conventional"], strict=True)], "speedup")}
    if "conventional0" in theirs:  # against num_workers=0, and against the faster loader of each repeat
        out["conventional0_ips"] = statistics.median(theirs["conventional0"])
        out.update(summarize([a / b for a, b in zip(ours, theirs["conventional0"], strict=True)], "speedup_vs_w0"))
        best = [max(a, b) for a, b in zip(theirs["conventional"], theirs["conventional0"], strict=True)]
        out.update(summarize([a / b for a, b in zip(ours, best, strict=True)], "speedup_vs_best"))
    # CPU-seconds per step, DataLoader workers included: robust to other load on a shared machine, but
    # only meaningful with --threads 1 (idle OpenMP threads spin, and spinning counts as CPU time)
    if cpu_ratio:
        out.update(summarize(cpu_ratio, "cpu_time_speedup"))
    log(f"  {name:5s} ({data.name}) normgen {out['normgen_ips']:9.0f} img/s   "
        f"conventional {out['conventional_ips']:9.0f} img/s"
        f"   speed-up x{out['speedup']:.2f} (min {out['speedup_min']:.2f}, max {out['speedup_max']:.2f})"
        + (f"; CPU-time speed-up x{out['cpu_time_speedup']:.2f} (min {out['cpu_time_speedup_min']:.2f}, "
           f"max {out['cpu_time_speedup_max']:.2f})" if cpu_ratio else ""))
    if "conventional0_ips" in out:
        log(f"        conventional, num_workers=0 {out['conventional0_ips']:9.0f} img/s   speed-up "
            f"x{out['speedup_vs_w0']:.2f} (min {out['speedup_vs_w0_min']:.2f}, max {out['speedup_vs_w0_max']:.2f}); "
            f"against the faster loader of each repeat x{out['speedup_vs_best']:.2f} "
            f"(min {out['speedup_vs_best_min']:.2f}, max {out['speedup_vs_best_max']:.2f})")
    return out


def _until_picture(step: Callable[[], None], model, judging: Judging, kind: str, every: int, cap: float,
                   device: torch.device, log_every: int = 50, grids: Path | None = None) -> dict:
    """Train with `step` until FD <= threshold or `cap` training seconds; evaluation is not timed.
    With `grids`, each evaluation also writes the 64-sample grid (seed 0) there, named by step and FD,
    so the threshold can be checked by eye."""
    thr, trained, n, fds = FD_THRESHOLDS[kind], 0.0, 0, []
    while trained < cap:
        t0 = time.perf_counter()
        for _ in range(every):
            step()
            n += 1
            if n % log_every == 0:
                sync(device)
            if trained + time.perf_counter() - t0 >= cap:  # (on a GPU: launch time, close enough)
                break
        sync(device)
        trained += time.perf_counter() - t0
        fd = judging.fd(model)
        fds.append((n, round(trained, 2), round(fd, 2)))
        if grids is not None:
            grids.mkdir(parents=True, exist_ok=True)
            grid_image(sample(model, 64, 0), nrow=8, scale=2).save(grids / f"{kind}_{n:05d}_fd{fd:.0f}.png")
        if fd <= thr:
            return {"seconds": trained, "steps": n, "fd": fd, "reached": True, "trace": fds}
    return {"seconds": trained, "steps": n, "fd": fds[-1][2], "reached": False, "trace": fds}


def bench_time_to_picture(kind: str, data, loader, device: torch.device, judging: Judging, every: int,
                          cap: float, log: Callable[[str], None], grids: Path | None = None) -> dict:
    """Seconds to FD <= FD_THRESHOLDS[kind] from scratch: normgen's trainer vs the conventional loop."""
    cfg = make_config(kind, "mnist")
    t = make_trainer(cfg, data, device)
    step_fn = step_for(kind)
    ours = _until_picture(lambda: step_fn(t), t.model, judging, kind, every, cap, device, cfg.log_every, grids)
    log(f"  {kind:5s} normgen       {_ttp_line(ours, cap)}")
    conv = ConventionalLoop(cfg, loader, device)
    theirs = _until_picture(conv.step, conv.model, judging, kind, every, cap, device)
    log(f"  {kind:5s} conventional  {_ttp_line(theirs, cap)}")
    # a run that did not reach the threshold counts as its cap (a lower bound on its time)
    speedup = theirs["seconds"] / ours["seconds"] if ours["reached"] else None
    return {"threshold": FD_THRESHOLDS[kind], "normgen": ours, "conventional": theirs,
            "speedup": speedup, "speedup_is_lower_bound": bool(ours["reached"] and not theirs["reached"])}


def _ttp_line(r: dict, cap: float) -> str:
    head = f"{r['seconds']:6.1f} s, {r['steps']} steps, FD {r['fd']:.1f}"
    return head if r["reached"] else f"{head} -- threshold not reached within the {cap:g} s cap"


def bench_sweep(k: int, data, device: torch.device, steps: int, repeats: int,
                log: Callable[[str], None]) -> dict:
    """K lambdas batched vs sequential vs one run; metrics of each batched model vs its twin."""
    lams = [0.0] + [0.3 * 10 ** (-3 * i / max(1, k - 2)) for i in range(k - 1)][::-1]
    cfgs = [make_config("gan", "mnist", steps=steps, reg=RegConfig(l1=lam)) for lam in lams]
    single, seq, bat, diffs = [], [], [], []
    sweep(cfgs[:2], data=data, device=device, mode="batched")  # warm-up
    for _ in range(repeats):
        t0 = time.perf_counter()
        train(cfgs[0], data=data, device=device)
        sync(device)
        single.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        s = sweep(cfgs, data=data, device=device, mode="sequential")
        sync(device)
        seq.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = sweep(cfgs, data=data, device=device, mode="batched")
        sync(device)
        bat.append(time.perf_counter() - t0)
        for rs, rb in zip(s, b, strict=True):
            hs, hb = rs.history[-1], rb.history[-1]
            diffs.append(max(abs(hs[m] - hb[m]) / max(abs(hs[m]), 1e-6)
                             for m in ("d_loss", "g_loss", "generator/l1", "generator/near_zero_pct")))
    out = {"k": k, "steps": steps, "single_s": statistics.median(single),
           "sequential_s": statistics.median(seq), "batched_s": statistics.median(bat),
           **summarize([a / b for a, b in zip(seq, bat, strict=True)], "batched_speedup"),
           **summarize([b / a for a, b in zip(single, bat, strict=True)], "batched_vs_one_run"),
           "max_metric_rel_diff": max(diffs)}
    log(f"  K={k}: one run {out['single_s']:.2f} s, {k} sequential {out['sequential_s']:.2f} s, batched "
        f"{out['batched_s']:.2f} s -> batched is x{out['batched_speedup']:.2f} vs sequential "
        f"(min {out['batched_speedup_min']:.2f}, max {out['batched_speedup_max']:.2f}), "
        f"{out['batched_vs_one_run']:.2f}x one run; metrics vs sequential twins: max rel. diff "
        f"{out['max_metric_rel_diff']:.1e}")
    return out


def run_bench(*, quick: bool, device: torch.device, data_root: str | None,
              log: Callable[[str], None] = print, sections: tuple[str, ...] = ("all",),
              grids: Path | None = None, smoke: bool = False, compile_colour: bool = True) -> dict:
    """Run the benchmark; returns the results (everything `--json` prints)."""
    gpu = device.type == "cuda"
    s = {k: _pick(v, gpu) for k, v in (SMOKE if smoke else QUICK if quick else FULL).items()}

    def want(name: str) -> bool:
        return "all" in sections or name in sections

    use_fast_cuda_math(device)  # what every normgen run does on CUDA (make_trainer), set before the baselines
    root = Path(data_root) if data_root else default_data_root()
    res: dict = {"device": str(device), "device_name": torch.cuda.get_device_name(device) if gpu else "cpu",
                 "torch": torch.__version__, "threads": torch.get_num_threads(), "quick": quick,
                 "cpu_count": os.cpu_count(), "load_avg_1min": os.getloadavg()[0],
                 "conventional_loader_workers": WORKERS}
    log(f"normgen bench on {res['device_name']} (torch {res['torch']}, {res['threads']} threads, "
        f"{res['cpu_count']} CPUs, load average {res['load_avg_1min']:.1f}{', quick' if quick else ''});\n"
        "conventional loop = pytorch/examples dcgan style, "
        f"DataLoader(ToTensor, Normalize, shuffle=True, num_workers={WORKERS}), .item() logging per step")
    t_start = time.perf_counter()
    loaded: dict[str, object] = {}

    def data_for(name: str):
        if name not in loaded:
            loaded[name] = load_dataset(name, root=root, device=device, download=False)
        return loaded[name]

    data = data_for("mnist")
    if want("throughput"):
        log(f"1. throughput, batch 64, {s['steps']} steps x {s['repeats']} repeats (median, min-max of ratios); "
            "each family on a dataset of its own shape:")
        res["throughput"] = {}
        for m in BENCH_MODELS:
            ds, bs = bench_dataset(m), make_config(m, bench_dataset(m)).batch_size
            res["throughput"][m] = bench_throughput(
                m, data_for(ds), conventional_loader(ds, root, bs), device, s["steps"], s["repeats"], log,
                best_loader=conventional_loader(ds, root, bs, workers=0))
            res["throughput"][m]["dataset"] = ds
    if want("picture"):
        judging = Judging.for_mnist(root, device, log)
        log(f"2. time to picture (FD of 1,000 samples vs real test; thresholds {FD_THRESHOLDS}; "
            "evaluation not timed):")
        loader = conventional_loader("mnist", root, make_config("gan").batch_size)
        res["time_to_picture"] = {k: bench_time_to_picture(k, data, loader, device, judging, s["eval_every"][k],
                                                           s["ttp_cap"][k], log, grids) for k in FD_THRESHOLDS}
    if want("sweep"):
        log(f"3. batched lambda sweep (GAN, {s['sweep_steps']} steps, {s['sweep_repeats']} repeat(s)):")
        res["sweep"] = {f"k{k}": bench_sweep(k, data, device, s["sweep_steps"], s["sweep_repeats"], log)
                        for k in (4, 8)}
    if want("explore"):
        log(f"4. explore latency (CPU, median of {s['latency_repeats']}):")
        with tempfile.TemporaryDirectory() as tmp:
            res["explore"] = ExploreTimer(Path(tmp), data.to("cpu")).run(s["latency_repeats"], log)
    if want("explore-e2e") and not smoke:
        log("4b. explore end to end: a λ change in the launched app, API and Chromium, a setting's first visitor "
            "vs a later one:")
        res["explore_e2e"] = run_explore_latency(None, str(root), log=log)
        log("4c. explore scrub: a λ step drawn in the page from the slice vs a server round trip per step:")
        res["explore_scrub"] = run_scrub_latency(None, str(root), pairs=tuple(zoo_pairs()), axes=("l1", "l2"),
                                                 steps=16, log=log)
    if want("efficiency"):
        peak = matmul_peak(device)
        log(f"5. efficiency: measured matmul peak {peak / 1e9:.1f} GFLOP/s (float32"
            f"{', TF32 allowed' if gpu else ''}) = the practical peak of this device")
        eff = {"peak_flops": peak}
        for m in BENCH_MODELS:
            ds = bench_dataset(m)
            f = step_flops(make_trainer(make_config(m, ds), data_for(ds), device), step_for(m))
            ips = res.get("throughput", {}).get(m, {}).get("normgen_ips")
            achieved = f * ips / 64 if ips else None
            eff[m] = {"flops_per_step": f, "achieved_flops": achieved,
                      "share_of_peak": achieved / peak if achieved else None}
            log(f"  {m:5s} ({ds}) {f / 1e9:6.2f} GFLOP/step" + (f", achieved {achieved / 1e9:6.1f} GFLOP/s = "
                                                          f"{100 * achieved / peak:.1f}% of peak" if achieved else ""))
        res["efficiency"] = eff
    if want("finetune"):
        log(f"6. fine-tune a new lambda from the zoo's GAN baseline (median of {s['finetune_repeats']}, "
            f"cap {s['finetune_cap']:g} s):")
        res["finetune"] = bench_finetune(data, device, s["finetune_cap"], s["finetune_repeats"], log)
    if want("colour"):
        log(f"7. colour trainer vs the conventional loop at the same width ({s['colour_steps']} steps x "
            f"{s['repeats']} repeats, steps/s; ratios to the loop, median (min-max)):")
        res["colour"] = bench_colour(data_for("cifar10"), root, device, s["colour_steps"], s["repeats"], log,
                                     compile_=compile_colour and not smoke)
    res["total_s"] = time.perf_counter() - t_start
    res["load_avg_1min_end"] = os.getloadavg()[0]
    log(f"done in {res['total_s']:.0f} s")
    return res
