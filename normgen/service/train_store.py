"""A browser session's Train state (the value of its gr.State): the latest run it started, the visitor's
own images, its key for the per-visitor cap of the admission, when each λ slider last moved, and its
seat in a class. Replacing a run stops the old one and drops its files.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from normgen.service.uploads import Upload

if TYPE_CHECKING:
    from normgen.service.runs import Run


class TrainStore:
    """Per-session holder of the latest run (the value of a gr.State). Gradio deep-copies a State's
    initial value for every new session: a copy is a fresh, empty store."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.upload: Upload | None = None  # the visitor's own images (normgen.service.uploads), if any
        self.key = uuid.uuid4().hex  # this session, for the per-visitor cap of the admission
        self.slider_moved: dict[str, float] = {}  # λ name -> when its slider last moved (monotonic s)
        self.seat: Any = None  # this session's place in a class (normgen.classroom.results.Seat), if it joined one

    def __deepcopy__(self, memo: dict) -> TrainStore:
        return TrainStore()

    def replace_run(self, run: Run | None) -> Run | None:
        """Stop this session's previous run (if any), drop its files, and hold the new one."""
        old = self.run
        if old is not None:
            old.stop_event.set()
            old.cleanup()
        self.run = run
        return run

    def set_upload(self, upload: Upload | None) -> None:
        """Hold `upload` (None: none) for the next runs; the previous one's folder is removed (a run
        that trained on it has its images in memory already)."""
        old, self.upload = self.upload, upload
        if old is not None and old is not upload:
            old.remove()

    def cleanup(self) -> None:
        self.replace_run(self.run)  # stops the run and drops its files; store.run stays that run
        self.set_upload(None)

