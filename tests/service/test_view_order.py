"""normgen.service.view_order: a slider's view that started before the session jumped to another setting is
stale; one that started after, or another session's, is not."""

from __future__ import annotations

import time

from normgen.service.view_order import ViewOrder


def test_a_view_started_before_the_sessions_last_jump_is_stale():
    order = ViewOrder(size=2)
    before = time.monotonic()
    order.jumped("a")
    assert order.stale("a", before)  # started before the jump, answers after it
    assert not order.stale("a", time.monotonic() + 1)  # started after it
    assert not order.stale("b", before) and not order.stale(None, before)  # other sessions, no session
    order.jumped("b")
    order.jumped("c")  # only the 2 most recent sessions are kept
    assert not order.stale("a", before) and order.stale("c", before)
