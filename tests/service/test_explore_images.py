"""normgen.service.explore_images.Lru: the one kind of in-memory cache Explore keeps (samples, pixel changes, the
data views, the scrubbed slices): least recently used first out, a read counts as a use, safe across threads."""

from __future__ import annotations

import threading

from normgen.service.explore_images import Lru


def test_the_least_recently_used_goes_first_and_a_read_counts_as_a_use():
    c = Lru(2)
    assert c.put(("a",), 1) == 1 and c.put(("b",), 2) == 2
    assert c.get(("a",)) == 1  # a is now the newer of the two
    c.put(("c",), 3)
    assert c.get(("b",)) is None and c.get(("a",)) == 1 and c.get(("c",)) == 3
    c.clear()
    assert c.get(("a",)) is None


def test_threads_putting_at_once_leave_it_at_its_size():
    c = Lru(50)

    def fill(t: int) -> None:
        for i in range(500):
            c.put((t, i), i)
            c.get((t, i // 2))

    threads = [threading.Thread(target=fill, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(c.items) == 50 and all(c.get(k) == k[1] for k in list(c.items))
