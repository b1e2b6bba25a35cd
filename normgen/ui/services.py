"""The app's plain (gradio-free) functions in one place, for scripts and tests.

    from normgen.ui.services import explore, plan_run, start_run, stream, stop
    r = explore("gan", "mnist", "none", 1e-3, 0.0, "generator", "loss", seed=0)
    r.baseline_image, r.selected_image, r.headline, r.stats      # PIL images, a sentence, numbers

Bad input raises `InputError` (a ValueError) with what is allowed. The modules behind it:
inputs (validation, choices, zoo index cache), explorer + report (Explore), sessions (planning,
measured speed) and runs (a training run in a worker thread).
"""

from .explorer import ExploreResult, explore, select
from .inputs import InputError, dataset_status, get_index, parse_lambda, parse_query, parse_seed, zoo_problem
from .runs import Run, Snapshot, TrainStore, compare_samples, start_run, stop, stream
from .sessions import RunPlan, caps, estimate, estimate_text, finetune_source, measure_step_time, plan_run, prepare

__all__ = ["ExploreResult", "explore", "select", "InputError", "dataset_status", "get_index", "parse_lambda",
           "parse_query", "parse_seed", "zoo_problem", "Run", "Snapshot", "TrainStore", "compare_samples",
           "start_run", "stop", "stream", "RunPlan", "caps", "estimate", "estimate_text", "finetune_source",
           "measure_step_time", "plan_run", "prepare"]
