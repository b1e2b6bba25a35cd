"""The training progress bar of `train` and `sweep`: tqdm, with ETA, the step count and the latest
losses and near-zero weights per part as formatted numbers.

It draws on stdout, where the runs' other lines go (the header, the result, "wrote ...", the
reproduce command), so that the progress and the result stay in order in one stream; `--quiet`
switches it off. It redraws at each metrics record (every `--log-every` steps), the only moments
the trainer reports, so every record appears even when a run is faster than tqdm's refresh rate."""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm

from normgen.losses import LOSS_LABELS

BAR = "{desc} {n:>6}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}"
NEAR_ZERO = "/near_zero_pct"  # "<part>/near_zero_pct": % of a part's weights with |w| < 1e-3


def summary(record: dict[str, float]) -> str:
    """'d_loss=0.693 g_loss=0.712, near-zero generator 1.0% discriminator 2.3%' from a metrics row."""
    losses = " ".join(f"{k}={record[k]:.3f}" for k in LOSS_LABELS if k in record)
    parts = " ".join(f"{k.removesuffix(NEAR_ZERO)} {v:.1f}%" for k, v in record.items() if k.endswith(NEAR_ZERO))
    return ", ".join(s for s in (losses, parts and f"near-zero {parts}") if s)


class StepBar:
    """A bar over `total` steps: `show(done, text)` moves it to `done` with `text` as the postfix.

    A context manager: leaving it ends the bar's line, so what is printed next starts a new one."""

    def __init__(self, total: int, desc: str = "step", *, quiet: bool = False) -> None:
        self._bar = tqdm(total=total, desc=desc, bar_format=BAR, file=sys.stdout, disable=quiet,
                         dynamic_ncols=True, mininterval=0.5)

    def show(self, done: int, text: str) -> None:
        self._bar.set_postfix_str(text, refresh=False)
        if not self._bar.update(done - self._bar.n):  # True: tqdm has just redrawn it
            self._bar.refresh()

    def __enter__(self) -> StepBar:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bar.close()
