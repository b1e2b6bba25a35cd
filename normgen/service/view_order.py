"""Which of a visitor's Explore replies is the latest intent (no gradio).

A λ slider's view that the page asks for once the slider rests (explore_scrub's sync) and a jump to another
setting (a lesson or "Start here" opening a path) are two requests of one page; the slower may answer last, and a
sync answering after the jump would put the old λ back under sliders that show the jump's. The page cancels a
rest still pending (normgen/app/static/scrub.js); this covers a sync already on its way: each jump is recorded
per session (`jumped`), and a sync that started before the session's last jump answers nothing (`stale`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class ViewOrder:
    """Per session, when Explore last jumped to another setting (monotonic seconds), for the `size` most recent
    sessions."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._jumps: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def jumped(self, session: str | None) -> None:
        """Session `session` moved Explore to another setting now."""
        if not session:
            return
        with self._lock:
            self._jumps[session] = time.monotonic()
            self._jumps.move_to_end(session)
            while len(self._jumps) > self.size:
                self._jumps.popitem(last=False)

    def stale(self, session: str | None, started: float) -> bool:
        """True when `session` jumped after `started` (a monotonic time): a reply computed since then is old."""
        if not session:
            return False
        with self._lock:
            return self._jumps.get(session, float("-inf")) >= started


VIEW_ORDER = ViewOrder()

__all__ = ["ViewOrder", "VIEW_ORDER"]
