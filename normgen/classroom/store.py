"""The class store: one SQLite file (WAL mode) holding classes, their members and their results.

Where: $NORMGEN_CLASS_DB (a file path) when set; else `/data/normgen-classes.sqlite` when a persistent
`/data` folder exists (a Hugging Face Space with persistent storage); else a file in this process's own
temporary folder (normgen.service.workdir), which vanishes when the server restarts: `Location.durable`
says which, and the Class tab warns on screen when it is not.

Safety: a class code and a member token are `secrets.token_urlsafe` strings (72 and 96 bits); the
teacher token (96 bits) is stored only as its SHA-256 and compared in constant time. Nothing personal is
stored: a member is a random token, an optional nickname (at most NICK_MAX characters), its λ and seed.
Caps: MAX_CLASSES open classes, MAX_MEMBERS members and MAX_RESULTS results per class; a class expires
TTL_S after it was opened (swept whenever a class is opened).

A result is keyed by the run id that produced it: posting the same run twice counts once (`post`
returns False the second time). Every connection is its own (one per call), so threads and processes
can write at once; writes take the database's write lock up front (BEGIN IMMEDIATE) and wait for it.

Schema versions (`PRAGMA user_version`): 1 had no `simulated` and no `pick_value` column on results;
2 adds them (`migrate`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV = "NORMGEN_CLASS_DB"
SPACE_DATA = Path("/data")  # a Space's persistent volume, when attached
FILE_NAME = "normgen-classes.sqlite"
VERSION = 2
MAX_CLASSES = 200  # open (not expired) classes on one server
MAX_MEMBERS = 120  # members of one class
MAX_RESULTS = 400  # results of one class
TTL_S = 24 * 3600.0  # a class expires a day after it was opened
NICK_MAX = 24
DEAL = "deal"  # the λ choice "let the class deal"
BUSY_S = 30.0  # how long a writer waits for the write lock

SCHEMA_V1 = """
CREATE TABLE classes (code TEXT PRIMARY KEY, teacher_hash TEXT NOT NULL, experiment TEXT NOT NULL,
                      created REAL NOT NULL, expires REAL NOT NULL, state TEXT NOT NULL);
CREATE TABLE members (token TEXT PRIMARY KEY, code TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE,
                      nickname TEXT NOT NULL, lam REAL NOT NULL, seed INTEGER NOT NULL, joined REAL NOT NULL);
CREATE TABLE results (run_id TEXT PRIMARY KEY, code TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE,
                      member TEXT NOT NULL, lam REAL NOT NULL, seed INTEGER NOT NULL, value REAL NOT NULL,
                      posted REAL NOT NULL);
CREATE INDEX members_code ON members(code);
CREATE INDEX results_code ON results(code);
"""
MIGRATIONS = {  # version -> the SQL that brings version - 1 to it
    2: """
ALTER TABLE results ADD COLUMN pick_value REAL;
ALTER TABLE results ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0;
""",
}


class ClassError(ValueError):
    """A refused class action, in words the visitor can act on (no server detail)."""


@dataclass(frozen=True)
class Location:
    path: Path
    durable: bool  # False: a temporary folder of this process (results vanish on restart)


@dataclass(frozen=True)
class ClassInfo:
    code: str
    experiment: str
    created: float
    expires: float
    state: str  # open | closed


@dataclass(frozen=True)
class Member:
    token: str
    code: str
    nickname: str
    lam: float
    seed: int


@dataclass(frozen=True)
class Result:
    run_id: str
    member: str
    lam: float
    seed: int
    value: float
    pick_value: float | None
    simulated: bool
    posted: float


def default_location() -> Location:
    """$NORMGEN_CLASS_DB, else the Space's /data volume, else this process's temporary folder."""
    env = os.environ.get(ENV)
    if env:
        return Location(Path(env).expanduser(), True)
    if SPACE_DATA.is_dir() and os.access(SPACE_DATA, os.W_OK):
        return Location(SPACE_DATA / FILE_NAME, True)
    from normgen.service import workdir

    folder = workdir.new_folder("classes-")
    workdir.hold(folder)  # housekeeping's sweeps never remove it; the process's exit does
    return Location(folder / FILE_NAME, False)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_nickname(nick: Any) -> str:
    """The nickname as stored: printable, stripped, at most NICK_MAX characters ('' when none)."""
    if nick is None:
        return ""
    if not isinstance(nick, str):
        raise ClassError(f"Nickname: text of at most {NICK_MAX} characters (or leave it empty).")
    nick = "".join(ch for ch in nick if ch.isprintable()).strip()
    if len(nick) > NICK_MAX:
        raise ClassError(f"Nickname: at most {NICK_MAX} characters (it has {len(nick)}); it may stay empty.")
    return nick


def _code(code: Any) -> str:
    if not isinstance(code, str) or not code.strip():
        raise ClassError("Class code: paste the code your teacher shows (about 12 letters and digits).")
    return code.strip()


@dataclass(frozen=True)
class JoinRequest:
    """A student's join, checked once (make it with `parse`): the class code, the nickname as stored, and the λ
    chosen among the class's (None: the class deals one)."""

    code: str
    nickname: str
    lam: float | None = None

    @classmethod
    def parse(cls, code: Any, nickname: Any, lam: Any, lambdas: list[float] | tuple[float, ...]) -> JoinRequest:
        """From raw values (a form, the API): `lam` is None, "" or DEAL for the class to deal, else one of
        `lambdas` (the class's experiment's), as a number or its text; ClassError names the first bad field."""
        code, nick = _code(code), clean_nickname(nickname)
        if lam is None or lam == "" or lam == DEAL:
            return cls(code, nick)
        bad = ClassError(f"λ: one of {', '.join(f'{v:g}' for v in lambdas)}, or let the class deal ({DEAL!r}).")
        try:
            value = float(lam) if not isinstance(lam, bool) else math.nan
        except (TypeError, ValueError, OverflowError):
            raise bad from None
        match = [v for v in lambdas if abs(value - v) <= 1e-12 * max(1.0, abs(v))]
        if not match:
            raise bad
        return cls(code, nick, match[0])


class Store:
    """The classes of one SQLite file; safe to share between threads (one connection per call)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            migrate(db)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_S, isolation_level=None)
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed row survives a process crash
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    # -- classes ------------------------------------------------------------------------------------
    def open_class(self, experiment: str, now: float | None = None) -> tuple[str, str]:
        """A new open class of `experiment`: (its code, the teacher token). Sweeps expired classes first;
        ClassError past MAX_CLASSES."""
        now = time.time() if now is None else now
        code, teacher = secrets.token_urlsafe(9), secrets.token_urlsafe(12)
        with self._write() as db:
            db.execute("DELETE FROM classes WHERE expires <= ?", (now,))
            (n,) = db.execute("SELECT COUNT(*) FROM classes").fetchone()
            if n >= MAX_CLASSES:
                raise ClassError(f"This server holds {MAX_CLASSES} classes already, its most: try again once "
                                 "an old one has expired (a day after it was opened).")
            db.execute("INSERT INTO classes VALUES (?, ?, ?, ?, ?, 'open')",
                       (code, _hash(teacher), experiment, now, now + TTL_S))
        return code, teacher

    def get_class(self, code: Any, now: float | None = None) -> ClassInfo:
        """The class of `code` (ClassError: unknown or expired, in the same words: nothing is revealed)."""
        now = time.time() if now is None else now
        code = _code(code)
        with self._read() as db:
            row = db.execute("SELECT code, experiment, created, expires, state FROM classes WHERE code = ?",
                             (code,)).fetchone()
        if row is None or row[3] <= now:
            raise ClassError("Class code: no open class has this code (check it, or it has expired).")
        return ClassInfo(*row)

    def check_teacher(self, code: Any, teacher: Any) -> ClassInfo:
        """The class, when `teacher` is its teacher token; ClassError otherwise."""
        info = self.get_class(code)
        with self._read() as db:
            (h,) = db.execute("SELECT teacher_hash FROM classes WHERE code = ?", (info.code,)).fetchone()
        if not isinstance(teacher, str) or not hmac.compare_digest(h, _hash(teacher.strip())):
            raise ClassError("Teacher token: this is not the teacher token of this class.")
        return info

    def set_state(self, code: str, teacher: str, state: str) -> None:
        """Close or reopen the class (teacher only)."""
        if state not in ("open", "closed"):
            raise ClassError("state: open or closed")
        info = self.check_teacher(code, teacher)
        with self._write() as db:
            db.execute("UPDATE classes SET state = ? WHERE code = ?", (state, info.code))

    def reset(self, code: str, teacher: str) -> int:
        """Remove every result of the class (teacher only; members keep their λ and seed); how many."""
        info = self.check_teacher(code, teacher)
        with self._write() as db:
            return db.execute("DELETE FROM results WHERE code = ?", (info.code,)).rowcount

    # -- members ------------------------------------------------------------------------------------
    def join(self, req: JoinRequest, lambdas: list[float] | tuple[float, ...]) -> Member:
        """A new member of an open class, dealt the λ of `lambdas` (the class's) with the fewest members (or the
        one the student chose, `req.lam`) and the next seed at that λ (0, 1, 2, ...): the grid fills evenly."""
        info = self.get_class(req.code)
        if info.state != "open":
            raise ClassError("This class is closed: the teacher is no longer taking new students.")
        token, lambdas = secrets.token_urlsafe(12), list(lambdas)
        with self._write() as db:
            (n,) = db.execute("SELECT COUNT(*) FROM members WHERE code = ?", (info.code,)).fetchone()
            if n >= MAX_MEMBERS:
                raise ClassError(f"This class is full ({MAX_MEMBERS} students).")
            counts = dict(db.execute("SELECT lam, COUNT(*) FROM members WHERE code = ? GROUP BY lam",
                                     (info.code,)).fetchall())
            lam = req.lam
            if lam is None:  # the fewest members; ties: the first in the axis's order
                lam = min(lambdas, key=lambda v: (counts.get(v, 0), lambdas.index(v)))
            seed = counts.get(lam, 0)
            db.execute("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?)",
                       (token, info.code, req.nickname, lam, seed, time.time()))
        return Member(token, info.code, req.nickname, lam, seed)

    def member(self, code: Any, token: Any) -> Member:
        """The member of class `code` with `token` (ClassError otherwise)."""
        info = self.get_class(code)
        if not isinstance(token, str):
            raise ClassError("Join the class first (your place in it is kept in this page).")
        with self._read() as db:
            row = db.execute("SELECT token, code, nickname, lam, seed FROM members WHERE token = ? AND code = ?",
                             (token, info.code)).fetchone()
        if row is None:
            raise ClassError("Join the class first (your place in it is kept in this page).")
        return Member(*row)

    def members(self, code: str) -> int:
        with self._read() as db:
            return db.execute("SELECT COUNT(*) FROM members WHERE code = ?", (code,)).fetchone()[0]

    # -- results ------------------------------------------------------------------------------------
    def post(self, member: Member, run_id: str, value: float, pick_value: float | None = None,
             simulated: bool = False) -> bool:
        """Add the result of run `run_id` for `member` at its λ and seed; False when that run was posted
        already (it counts once). ClassError when the class is closed, expired or full."""
        info = self.get_class(member.code)
        if info.state != "open":
            raise ClassError("This class is closed: its chart takes no more results.")
        with self._write() as db:
            if db.execute("SELECT 1 FROM results WHERE run_id = ?", (run_id,)).fetchone():
                return False
            (n,) = db.execute("SELECT COUNT(*) FROM results WHERE code = ?", (info.code,)).fetchone()
            if n >= MAX_RESULTS:
                raise ClassError(f"This class has {MAX_RESULTS} results, its most.")
            db.execute("INSERT INTO results (run_id, code, member, lam, seed, value, posted, pick_value, simulated) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (run_id, info.code, member.token, member.lam, member.seed, float(value), time.time(),
                        None if pick_value is None else float(pick_value), int(simulated)))
        return True

    def results(self, code: str) -> list[Result]:
        with self._read() as db:
            rows = db.execute("SELECT run_id, member, lam, seed, value, pick_value, simulated, posted FROM results "
                              "WHERE code = ? ORDER BY posted, run_id", (code,)).fetchall()
        return [Result(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows]

    def version(self, code: str) -> tuple:
        """What changes whenever the class's chart does (its results, its state): a cheap poll."""
        with self._read() as db:
            n, last = db.execute("SELECT COUNT(*), MAX(posted) FROM results WHERE code = ?", (code,)).fetchone()
            row = db.execute("SELECT state FROM classes WHERE code = ?", (code,)).fetchone()
        return (n, last, row[0] if row else None)

    def nicknames(self, code: str) -> dict[str, str]:
        with self._read() as db:
            return dict(db.execute("SELECT token, nickname FROM members WHERE code = ?", (code,)).fetchall())


_shared: tuple[Store, Location] | None = None
_shared_lock = threading.Lock()


def shared() -> tuple[Store, Location]:
    """This server's store (made on first use at `default_location()`) and where it is."""
    global _shared
    with _shared_lock:
        if _shared is None:
            loc = default_location()
            _shared = (Store(loc.path), loc)
        return _shared


def migrate(db: sqlite3.Connection) -> int:
    """Bring the file's schema to VERSION (a new file: version 1's tables, then each migration), in one
    write transaction (two processes opening a new file at once: the second finds it made); the version."""
    db.execute("BEGIN IMMEDIATE")
    try:
        (v,) = db.execute("PRAGMA user_version").fetchone()
        if v == 0 and not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'classes'").fetchone():
            _run(db, SCHEMA_V1)
            v = 1
        if v > VERSION:
            raise RuntimeError(f"{FILE_NAME} has schema version {v}, newer than this normgen's {VERSION}")
        for target in range(v + 1, VERSION + 1):
            _run(db, MIGRATIONS[target])
        db.execute(f"PRAGMA user_version = {VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return VERSION


def _run(db: sqlite3.Connection, script: str) -> None:
    for stmt in (s.strip() for s in script.split(";")):
        if stmt:
            db.execute(stmt)


__all__ = ["Store", "ClassError", "ClassInfo", "Member", "Result", "Location", "default_location", "migrate",
           "clean_nickname", "shared", "SCHEMA_V1", "VERSION", "MAX_CLASSES", "MAX_MEMBERS", "MAX_RESULTS", "TTL_S"]
