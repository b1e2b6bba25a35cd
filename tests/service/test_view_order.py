"""normgen.service.view_order: a view is stale once its session asked for another (a later sync or a jump);
another session's request, or no session, changes nothing."""

from __future__ import annotations

from normgen.service.view_order import ViewOrder


def test_a_view_is_stale_once_its_session_asks_for_another():
    order = ViewOrder(size=2)
    first = order.begin("a")
    assert not order.stale("a", first)  # still the latest
    second = order.begin("a")  # the visitor rested again, or jumped to a lesson
    assert order.stale("a", first) and not order.stale("a", second)
    order.begin("b")
    assert not order.stale("a", second)  # another session's request
    assert order.begin(None) == 0 and not order.stale(None, 0)


def test_only_the_most_recent_sessions_are_kept():
    order = ViewOrder(size=2)
    old = order.begin("a")
    order.begin("a")
    order.begin("b")
    c = order.begin("c")  # "a" is forgotten: its old view is no longer known to be stale
    assert not order.stale("a", old)
    order.begin("c")
    assert order.stale("c", c)
