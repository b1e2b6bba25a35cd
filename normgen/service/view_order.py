"""Which of a visitor's Explore replies is the latest intent (no gradio).

A λ slider's view that the page asks for once the slider rests (explore_scrub's sync) and a jump to another
setting (a lesson or "Start here" opening a path) are requests of one page; the slower may answer last. A sync
answering after the jump would put the old λ back under sliders that show the jump's, and a sync answering after
a later sync (the visitor rested, moved on, rested again) would put the earlier rest's table and link back. The
page cancels a rest still pending (normgen/app/static/scrub.js); this covers one already on its way: each sync
and each jump takes the session's next ticket (`begin`), and a sync whose ticket is no longer the session's
last answers nothing (`stale`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class ViewOrder:
    """Per session, the ticket of its latest sync or jump, for the `size` most recent sessions."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._last: OrderedDict[str, int] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()

    def begin(self, session: str | None) -> int:
        """Session `session` asks for a view now (a sync or a jump); returns its ticket (0 with no session)."""
        if not session:
            return 0
        with self._lock:
            self._count += 1
            self._last[session] = self._count
            self._last.move_to_end(session)
            while len(self._last) > self.size:
                self._last.popitem(last=False)
            return self._count

    def stale(self, session: str | None, ticket: int) -> bool:
        """True when `session` asked for another view after the one holding `ticket`: this reply is old."""
        if not session:
            return False
        with self._lock:
            return self._last.get(session, ticket) > ticket


VIEW_ORDER = ViewOrder()

__all__ = ["ViewOrder", "VIEW_ORDER"]
