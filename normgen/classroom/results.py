"""From a finished run to a dot on the class chart, checked on the server.

A client never sends a number: the server reads the result from the `Run` it trained itself for that
visitor's session (normgen.service.runs), as a `RunRecord` (`record_of`), and `verify` checks it against
the member's dealt setting and the class's experiment: the run finished all of the experiment's steps,
with the experiment's model, data, part and size, at the member's λ and seed, no λ moved while it trained,
and the metric was measured. Only then does `post_run` add it, once per run id (normgen.classroom.store).

`simulated_record` (the load test only, behind NORMGEN_CLASS_SIMULATE=1) makes the record a run of that
setting would give without training it: its numbers are the zoo's entries at that λ (the seed's own entry
where the zoo has it, else the mean of its seeds) plus a seeded wobble of the zoo's seed spread. It goes
through the same `verify` and `post` and is stored marked `simulated` (drawn hollow on the chart).
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from typing import Any

from normgen.classroom.experiments import Experiment
from normgen.classroom.store import ClassError, Member, Store

SIMULATE_ENV = "NORMGEN_CLASS_SIMULATE"


@dataclass(frozen=True)
class RunRecord:
    """What the server knows of one of its runs, as the class checks it."""

    run_id: str
    model: str
    dataset: str
    target: str
    lambdas: dict[str, float]  # l1, l2, group, act as the run ended
    seed: int
    train_size: int
    steps: int  # steps trained
    status: str  # finished | stopped | diverged | error | ...
    changed_mid_run: bool
    measured: dict[str, float] = field(default_factory=dict)
    simulated: bool = False


def measured(generalization: dict[str, float], last_row: dict[str, float], target: str) -> dict[str, float]:
    """The numbers a class can chart: the run's generalization scores (ELBO, D gap, memorization) and the
    penalized part's weight statistics of its last logged step (near_zero_pct, ...)."""
    out = {k: float(v) for k, v in generalization.items()}
    prefix = f"{target}/"
    out.update({k[len(prefix):]: float(v) for k, v in last_row.items() if k.startswith(prefix)})
    return out


def record_of(run: Any) -> RunRecord:
    """The record of a `normgen.service.runs.Run` (its config, what it trained, what it measured)."""
    cfg, reg = run.cfg, run.current_reg()
    res = run.result
    rows = res.history if res is not None and res.history else run.history
    return RunRecord(run_id=run.id, model=cfg.model.name, dataset=cfg.dataset, target=reg.target,
                     lambdas={k: float(getattr(reg, k)) for k in ("l1", "l2", "group", "act")}, seed=int(cfg.seed),
                     train_size=int(cfg.train_size), steps=int(res.steps if res is not None else run.step),
                     status=str(res.status if res is not None else run.status),
                     changed_mid_run=bool(run.live.changes),
                     measured=measured(run.generalization, rows[-1] if rows else {}, reg.target))


def verify(rec: RunRecord, member: Member, exp: Experiment) -> tuple[float, float | None]:
    """(the chart's value, the pick criterion's value) of `rec` for `member`; ClassError saying what
    does not match otherwise."""
    want = {k: 0.0 for k in rec.lambdas} | {exp.axis: member.lam}
    problems = []
    if rec.status != "finished" or rec.steps != exp.steps:
        problems.append(f"it did not finish its {exp.steps} steps ({rec.status} after {rec.steps})")
    if (rec.model, rec.dataset, rec.target, rec.train_size) != (exp.model, exp.dataset, exp.target, exp.train_size):
        problems.append("it is not this experiment's model, data, part or training-set size")
    if any(abs(rec.lambdas.get(k, 0.0) - v) > 1e-12 for k, v in want.items()) or rec.seed != member.seed:
        problems.append(f"it is not your dealt setting ({exp.axis.upper()} λ {member.lam:g}, seed {member.seed})")
    if rec.changed_mid_run:
        problems.append("a λ was moved while it trained")
    value = rec.measured.get(exp.metric)
    pick = rec.measured.get(exp.pick.key) if exp.pick is not None else None
    unmeasured = value is None or not math.isfinite(value)
    if unmeasured or (exp.pick is not None and (pick is None or not math.isfinite(pick))):
        problems.append("its score was not measured")
    if problems:
        raise ClassError("This run does not count for the class: " + "; ".join(problems) + ".")
    return float(value), (None if pick is None else float(pick))  # type: ignore[arg-type]


def post_run(store: Store, rec: RunRecord, member: Member, exp: Experiment) -> bool:
    """Verify `rec` and add it for `member` (False: that run was posted already)."""
    value, pick = verify(rec, member, exp)
    return store.post(member, rec.run_id, value, pick, simulated=rec.simulated)


def zoo_rows(entries: list[Any], exp: Experiment, lam: float) -> list[Any]:
    """The zoo entries of `exp`'s setting at `lam`: its model, data, size and steps-independent; its part
    (at λ = 0 any part: nothing is penalized), every other λ 0, no dropout, the default loss."""
    def ok(e: Any) -> bool:
        lams = {"l1": e.l1, "l2": e.l2, "group": e.group, "act": e.act}
        return (e.model == exp.model and e.dataset == exp.dataset and e.train_size == exp.train_size
                and e.dropout == 0.0 and e.g_norm == "none" and e.variant == "loss" and e.setting[0] == "ns"
                and (lam == 0.0 or e.target == exp.target)
                and all(abs(v - (lam if k == exp.axis else 0.0)) <= 1e-12 for k, v in lams.items()))
    return [e for e in entries if ok(e)]


def zoo_value(e: Any, key: str, target: str) -> float | None:
    """`key` of a zoo entry: its metrics, else its penalized part's weight statistics."""
    v = e.metrics.get(key)
    if v is None:
        v = e.weights.get(target, {}).get(key)
    return None if v is None else float(v)


def simulated_record(entries: list[Any], exp: Experiment, member: Member, salt: str) -> RunRecord:
    """The record a run of `member`'s setting would give, from the zoo (see the module's docstring)."""
    rows = zoo_rows(entries, exp, member.lam)
    keys = [exp.metric] + ([exp.pick.key] if exp.pick is not None else [])
    rng = random.Random(int(hashlib.sha256(f"{member.token}:{salt}".encode()).hexdigest()[:12], 16))
    out: dict[str, float] = {}
    for k in keys:
        vals = [v for v in (zoo_value(e, k, exp.target) for e in rows) if v is not None]
        if not vals:
            raise ClassError(f"the zoo has no {k} at {exp.axis} λ {member.lam:g} to simulate from")
        own = [zoo_value(e, k, exp.target) for e in rows if e.seed == member.seed]
        spread = (max(vals) - min(vals)) or abs(sum(vals) / len(vals)) * 0.05
        base = own[0] if own and own[0] is not None else sum(vals) / len(vals)
        out[k] = base + rng.gauss(0.0, spread / 2)
    run_id = "sim-" + hashlib.sha256(f"{member.token}:{salt}".encode()).hexdigest()[:16]
    return RunRecord(run_id, exp.model, exp.dataset, exp.target, {"l1": 0.0, "l2": 0.0, "group": 0.0, "act": 0.0,
                                                                  exp.axis: member.lam},
                     member.seed, exp.train_size, exp.steps, "finished", False, out, simulated=True)


@dataclass(frozen=True)
class Seat:
    """A session's place in a class (held by its TrainStore): the class code and the member token."""

    code: str
    token: str


def class_run(seat: Seat | None, cfg: Any, store: Store | None = None) -> bool:
    """Whether a run of `cfg` is the seat's class experiment at the member's own λ and seed: such a run keeps the
    experiment's time budget when others wait (a run cut short by the shared budget would not count)."""
    from normgen.classroom import experiments
    from normgen.classroom.store import shared

    if seat is None:
        return False
    store = store or shared()[0]
    try:
        member = store.member(seat.code, seat.token)
        exp = experiments.get(store.get_class(seat.code).experiment)
    except (ClassError, ValueError):
        return False
    lams = {k: float(getattr(cfg.reg, k)) for k in ("l1", "l2", "group", "act")}
    return ((cfg.model.name, cfg.dataset, cfg.reg.target, cfg.train_size, cfg.steps, cfg.seed)
            == (exp.model, exp.dataset, exp.target, exp.train_size, exp.steps, member.seed)
            and all(abs(v - (member.lam if k == exp.axis else 0.0)) <= 1e-12 for k, v in lams.items()))


def post_finished(seat: Seat | None, run: Any, store: Store | None = None) -> str:
    """Post a finished run of the seat's experiment for its member; a sentence saying what happened ('' when
    there is no seat or the run is not of the class's experiment: a run of something else is not the
    class's business)."""
    from normgen.classroom import experiments
    from normgen.classroom.store import shared

    if seat is None or run is None:
        return ""
    store = store or shared()[0]
    try:
        member = store.member(seat.code, seat.token)
        exp = experiments.get(store.get_class(seat.code).experiment)
        rec = record_of(run)
        if (rec.model, rec.dataset, rec.target, rec.train_size) != (exp.model, exp.dataset, exp.target,
                                                                    exp.train_size):
            return ""
        new = post_run(store, rec, member, exp)
    except ClassError as exc:
        return f"**Class:** {exc}"
    return ("**Class:** your result is on the class chart" if new else
            "**Class:** this run is on the class chart already (it counts once)") + (
        f" ({exp.axis.upper()} λ {member.lam:g}, seed {member.seed}).")


__all__ = ["Seat", "class_run", "post_finished", "RunRecord", "record_of", "measured", "verify", "post_run",
           "zoo_rows", "zoo_value", "simulated_record", "SIMULATE_ENV"]
