"""The class store: concurrent writers (threads and processes), idempotent posting, migration from schema 1,
expiry, caps, tokens and refusals."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import threading
import time

import pytest

from normgen.classroom import store as S
from normgen.classroom.store import ClassError, JoinRequest, Store

LAMS = [0.0, 1e-4, 1e-3, 1e-2]


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "c.sqlite")



def join(store: Store, code, nickname, lam=None):
    return store.join(JoinRequest.parse(code, nickname, lam, LAMS), LAMS)

def test_new_file_is_wal_at_the_current_version(store):
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == S.VERSION


def test_codes_and_tokens_are_long_and_distinct(store):
    pairs = [store.open_class("vae-small-l2") for _ in range(20)]
    codes, teachers = {c for c, _ in pairs}, {t for _, t in pairs}
    assert len(codes) == len(teachers) == 20
    assert all(len(c) >= 12 for c in codes)  # token_urlsafe(9): 72 bits in 12 characters
    m = join(store, pairs[0][0], "", None)
    assert len(m.token) >= 16 and m.token not in teachers


def test_dealing_fills_the_grid_evenly_with_distinct_seeds(store):
    code, _ = store.open_class("vae-small-l2")
    ms = [join(store, code, None) for _ in range(10)]
    counts = {lam: sum(m.lam == lam for m in ms) for lam in LAMS}
    assert sorted(counts.values()) == [2, 2, 3, 3]
    for lam in LAMS:
        seeds = [m.seed for m in ms if m.lam == lam]
        assert seeds == list(range(len(seeds)))
    chosen = join(store, code, "Ada", 1e-2)
    assert chosen.lam == 1e-2 and chosen.seed == counts[1e-2] and chosen.nickname == "Ada"
    with pytest.raises(ClassError, match="λ: one of"):
        join(store, code, None, 0.5)


def test_posting_the_same_run_twice_counts_once(store):
    code, _ = store.open_class("vae-small-l2")
    m = join(store, code, None)
    assert store.post(m, "run-a", 1.5) is True
    assert store.post(m, "run-a", 9.9) is False
    rs = store.results(code)
    assert [(r.run_id, r.value) for r in rs] == [("run-a", 1.5)]


def test_wrong_teacher_token_and_unknown_code_are_refused(store):
    code, teacher = store.open_class("vae-small-l2")
    other_code, other_teacher = store.open_class("vae-small-l2")
    with pytest.raises(ClassError, match="Teacher token"):
        store.set_state(code, other_teacher, "closed")
    with pytest.raises(ClassError, match="Teacher token"):
        store.reset(code, "")
    with pytest.raises(ClassError, match="Class code"):
        join(store, "not-a-code", None)
    with pytest.raises(ClassError, match="Class code"):
        store.check_teacher(None, teacher)
    store.set_state(code, teacher, "closed")
    assert store.get_class(code).state == "closed" and store.get_class(other_code).state == "open"


def test_closed_class_takes_no_members_or_results_and_reset_clears(store):
    code, teacher = store.open_class("vae-small-l2")
    m = join(store, code, None)
    store.post(m, "r1", 1.0)
    store.set_state(code, teacher, "closed")
    with pytest.raises(ClassError, match="closed"):
        join(store, code, None)
    with pytest.raises(ClassError, match="closed"):
        store.post(m, "r2", 1.0)
    store.set_state(code, teacher, "open")
    assert store.reset(code, teacher) == 1 and store.results(code) == []


def test_member_of_another_class_is_refused(store):
    a, _ = store.open_class("vae-small-l2")
    b, _ = store.open_class("vae-small-l2")
    m = join(store, a, None)
    with pytest.raises(ClassError, match="Join the class first"):
        store.member(b, m.token)
    assert store.member(a, m.token) == m


def test_nickname_is_optional_and_bounded(store):
    code, _ = store.open_class("vae-small-l2")
    assert join(store, code, "  Bo\x00b ", None).nickname == "Bob"
    with pytest.raises(ClassError, match="Nickname: at most 24"):
        join(store, code, "x" * 25, None)


def test_caps(store, monkeypatch):
    monkeypatch.setattr(S, "MAX_CLASSES", 2)
    monkeypatch.setattr(S, "MAX_MEMBERS", 3)
    monkeypatch.setattr(S, "MAX_RESULTS", 2)
    code, _ = store.open_class("vae-small-l2")
    store.open_class("vae-small-l2")
    with pytest.raises(ClassError, match="2 classes already"):
        store.open_class("vae-small-l2")
    ms = [join(store, code, None) for _ in range(3)]
    with pytest.raises(ClassError, match="full"):
        join(store, code, None)
    store.post(ms[0], "a", 1.0)
    store.post(ms[1], "b", 1.0)
    with pytest.raises(ClassError, match="2 results"):
        store.post(ms[2], "c", 1.0)


def test_old_classes_expire(store):
    t0 = time.time()
    code, _ = store.open_class("vae-small-l2", now=t0 - S.TTL_S - 1)  # opened over a day ago
    with pytest.raises(ClassError, match="expired"):
        store.get_class(code)
    store.open_class("vae-small-l2")  # opening sweeps the expired one, with its members and results
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT COUNT(*) FROM classes WHERE code = ?", (code,)).fetchone()[0] == 0


def test_concurrent_threads_each_post_lands_once(store):
    code, _ = store.open_class("vae-small-l2")
    ms = [join(store, code, None) for _ in range(40)]
    errors: list[BaseException] = []

    def post(k: int) -> None:
        try:
            for rep in range(3):  # every run posted three times, from threads racing each other
                store.post(ms[k], f"run-{k}", float(k) + rep)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(k,)) for k in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rs = store.results(code)
    assert sorted(r.run_id for r in rs) == sorted(f"run-{k}" for k in range(40))
    assert all(r.value == float(int(r.run_id.split("-")[1])) for r in rs)  # the first post of each counts


def _process_writer(path: str, code: str, k: int) -> None:
    s = Store(path)
    for i in range(10):
        m = join(s, code, f"p{k}", None)
        s.post(m, f"proc{k}-{i}", float(i))
        s.post(m, f"proc{k}-{i}", -1.0)


def test_concurrent_processes_share_one_file(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    code, _ = Store(path).open_class("vae-small-l2")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(path, code, k)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    s = Store(path)
    rs = s.results(code)
    assert len(rs) == 40 and all(r.value >= 0 for r in rs)
    assert s.members(code) == 40


def test_migration_from_schema_1_keeps_every_row(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(S.SCHEMA_V1)
    db.execute("PRAGMA user_version = 1")
    now = time.time()
    db.execute("INSERT INTO classes VALUES ('oldcode12345', ?, 'vae-small-l2', ?, ?, 'open')",
               (S._hash("teach"), now, now + 3600))
    db.execute("INSERT INTO members VALUES ('tok', 'oldcode12345', '', 0.001, 2, ?)", (now,))
    db.execute("INSERT INTO results VALUES ('run-old', 'oldcode12345', 'tok', 0.001, 2, 3.5, ?)", (now,))
    db.commit()
    db.close()
    s = Store(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == S.VERSION
    (r,) = s.results("oldcode12345")
    assert (r.run_id, r.value, r.seed, r.pick_value, r.simulated) == ("run-old", 3.5, 2, None, False)
    s.check_teacher("oldcode12345", "teach")
    m = s.member("oldcode12345", "tok")
    assert s.post(m, "run-new", 1.0, pick_value=-0.2, simulated=True) is True
    assert Store(path).results("oldcode12345")[1].pick_value == -0.2  # reopened: no second migration


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    Store(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {S.VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="newer"):
        Store(path)


def test_results_survive_reopening(tmp_path):
    path = tmp_path / "r.sqlite"
    s = Store(path)
    code, _ = s.open_class("vae-small-l2")
    m = join(s, code, None)
    s.post(m, "r", 2.0)
    del s
    assert [r.value for r in Store(path).results(code)] == [2.0]


def test_default_location(monkeypatch, tmp_path):
    monkeypatch.setenv(S.ENV, str(tmp_path / "x.sqlite"))
    assert S.default_location() == S.Location(tmp_path / "x.sqlite", True)
    monkeypatch.delenv(S.ENV)
    monkeypatch.setattr(S, "SPACE_DATA", tmp_path / "absent")
    loc = S.default_location()
    assert not loc.durable and loc.path.name == S.FILE_NAME


def test_a_join_is_checked_once_into_its_request_every_bad_field_named():
    req = JoinRequest.parse("  abc  ", " Ada\x00 ", "0.01", LAMS)
    assert req == JoinRequest("abc", "Ada", 1e-2)  # the class's own value, from its text
    for deal in (None, "", "deal"):
        assert JoinRequest.parse("abc", None, deal, LAMS).lam is None
    for bad in ("0.5", "abc", True, float("nan"), [1e-2], "1e999"):
        with pytest.raises(ClassError, match=r"λ: one of 0, 0\.0001, 0\.001, 0\.01, or let the class deal"):
            JoinRequest.parse("abc", None, bad, LAMS)
    with pytest.raises(ClassError, match="Class code: paste"):
        JoinRequest.parse("   ", None, None, LAMS)
    with pytest.raises(ClassError, match="Nickname: at most 24"):
        JoinRequest.parse("abc", "x" * 25, None, LAMS)
