"""How long a run will take, measured, never guessed: a speed probe of the real training loop on a
small batch (`measure_step_time`, one at a time, never beside a training run), the expected wall time
from the pace of the runs that ended here or that probe (`estimate`, normgen.service.pace), the sentence
the Train tab shows (`estimate_text`), and how often a run reports, set from its speed (`prepare`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import torch

from normgen.config import TrainConfig
from normgen.data import Dataset, make_shapes
from normgen.engine.train import train
from normgen.models import GenerativeModel, family
from normgen.service.admission import admission
from normgen.service.pace import BOOK
from normgen.service.train_plan import RunPlan, device_description
from normgen.service.zerogpu import zero_gpu
from normgen.service.zoo_access import get_index, zoo_problem
from normgen.zoo.steps_curve import scratch_note

_SPEED: dict[tuple, float] = {}
_DEVICE_LOCK = threading.Lock()
PROBE_WAIT_S = 20.0  # how long an estimate waits for another visitor's speed probe to end


def measure_step_time(cfg: TrainConfig, device: str, init: GenerativeModel | None = None) -> float | None:
    """Seconds per training step, measured now with the real loop on a small batch of shapes:
    3 warm-up steps, then 6 timed ones (weight statistics included), in a worker thread like a real
    run. Cached per model / device. None while another run holds the device (not measurable now)."""
    key = (cfg.model, cfg.batch_size, cfg.reg.target, cfg.reg.variant, bool(cfg.reg.l1), bool(cfg.reg.l2), device)
    if key in _SPEED:
        return _SPEED[key]
    times: dict[int, float] = {}
    data = make_shapes(max(cfg.batch_size, 64), seed=0, size=cfg.model.image_shape[1])
    grey = data.images.shape[1:] == cfg.model.image_shape
    if not grey:  # a colour model: zeros of its shape (the config keeps its own dataset, which fits it)
        data = Dataset("shapes", torch.zeros(len(data), *cfg.model.image_shape), data.labels)
    # train_size 0: the probe's 64 shapes are all it has; a step costs the same whatever the training set's size
    probe = replace(cfg, dataset="shapes" if grey else cfg.dataset, steps=9, max_seconds=0.0, log_every=3,
                    sample_every=10**6, train_size=0)
    # another visitor's probe (a second or two) is waited for, not a run: a class pressing Start at once each
    # gets an estimate
    if not _DEVICE_LOCK.acquire(timeout=PROBE_WAIT_S):
        return None
    if key in _SPEED:  # the probe it waited for was this setting's
        _DEVICE_LOCK.release()
        return _SPEED[key]
    if not admission().try_measure():  # a run trains: a measurement beside it would be wrong (and slow it)
        _DEVICE_LOCK.release()
        return None
    try:
        # in a worker thread, as real runs train: on a busy 2-core machine a run in a worker thread
        # was measured ~4x faster per step than the same loop in the main thread (thread-pool contention)
        th = threading.Thread(target=lambda: train(probe, data=data, device=device, init=init,
                                                   progress=lambda p: times.__setitem__(p.step, p.elapsed)))
        th.start()
        th.join()
    finally:
        admission().end_measure()
        _DEVICE_LOCK.release()
    _SPEED[key] = (times[9] - times[3]) / 6
    return _SPEED[key]


def stream_intervals(s_per_step: float, steps: int) -> tuple[int, int]:
    """(log_every, sample_every): a metrics row about every 0.3 s and a grid about every 1 s."""
    log_every = max(1, min(50, round(0.3 / max(s_per_step, 1e-6)), max(1, steps // 20)))
    sample_every = log_every * max(1, round(1.0 / (log_every * max(s_per_step, 1e-6))))
    return log_every, min(sample_every, max(log_every, steps))


def pace_kind(plan: RunPlan) -> tuple:
    """What a run's pace is learned per (normgen.service.pace): model, dataset, start and device."""
    data = "upload" if plan.upload is not None else plan.cfg.dataset
    return (plan.cfg.model.name, data, plan.start, plan.device)


def estimate(plan: RunPlan) -> dict[str, float] | None:
    """The expected wall time from the run's turn to its downloads (normgen.service.pace: the runs that
    ended here, else a speed probe measured now), with its parts; None while another run trains and no
    run of this kind has ended yet (the probe cannot be measured fairly then)."""
    kind = pace_kind(plan)
    # ZeroGPU: this process has no GPU outside a run, so no probe; the pace is learned from ended runs
    probe = None if zero_gpu() else measure_step_time(plan.cfg, plan.device, plan.init)
    if probe is None and not BOOK.knows(kind):
        return None
    e = BOOK.estimate(kind, steps=plan.cfg.steps, max_seconds=plan.cfg.max_seconds, probe_s_per_step=probe)
    return {**e, "probe_s_per_step": probe}


def refiner(plan: RunPlan) -> Callable[[], float | None]:
    """What the pace book says of `plan`'s run as the line waits (admission.Ticket.refine): its kind's ended runs,
    else (with its own probe) the start-up of a run that trains now; None while it knows nothing new."""
    kind, cfg, probe = pace_kind(plan), plan.cfg, plan.probe_s_per_step

    def refine() -> float | None:
        if BOOK.knows(kind):
            return BOOK.estimate(kind, steps=cfg.steps, max_seconds=cfg.max_seconds, probe_s_per_step=None)["seconds"]
        if probe is not None and BOOK.has_startups():
            return BOOK.estimate(kind, steps=cfg.steps, max_seconds=cfg.max_seconds, probe_s_per_step=probe)["seconds"]
        return None

    return refine


def estimate_text(plan: RunPlan) -> str:
    e = estimate(plan)
    if e is None and zero_gpu():
        return "A GPU is attached when the run starts; the time is estimated once a run has ended here."
    if e is None:
        return ("Another run is training on this server right now, so the speed cannot be measured "
                "fairly; runs wait in line, and the live status shows the real pace.")
    limit = ("" if e["steps"] >= plan.cfg.steps
             else f" (the {plan.cfg.max_seconds:g} s budget ends it near step {e['steps']})")
    how = "fine-tuning the zoo baseline" if plan.start == "finetune" else "from scratch"
    return (f"**≈ {e['seconds']:.0f} s** on {device_description(plan.device)}, {how}: about "
            f"{e['overhead_s']:.0f} s to start and save, and {plan.cfg.steps} steps × "
            f"{1000 * e['s_per_step']:.0f} ms{limit} (from {e['source']}). The machine is shared, so a busy "
            "server is slower." + scratch_colour_note(plan, e["s_per_step"]))


def scratch_colour_note(plan: RunPlan, s_per_step: float | None) -> str:
    """For a colour family from scratch, how long it needs before it draws anything (normgen.zoo.steps_curve)."""
    if plan.start != "scratch" or family(plan.cfg.model.name).image_channels != 3 or zoo_problem(plan.root):
        return ""
    return scratch_note(get_index(plan.root), plan.cfg.dataset, plan.cfg.steps, s_per_step)


def prepare(plan: RunPlan) -> RunPlan:
    """Set how often the run reports (from the estimated speed), so the UI updates about every 0.3 s, and
    the run's expected wall time (what the line ahead of later runs is estimated from)."""
    e = estimate(plan)
    log_every, sample_every = stream_intervals(e["s_per_step"] if e else 0.2, plan.cfg.steps)
    return replace(plan, cfg=replace(plan.cfg, log_every=log_every, sample_every=sample_every),
                   expected_s=e["seconds"] if e else None, probe_s_per_step=e["probe_s_per_step"] if e else None)
