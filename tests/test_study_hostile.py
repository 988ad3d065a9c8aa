"""Hostile input for study and export: odd output targets, a locked, full or tampered
progress database, a closed stdin."""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest
from conftest import acu_exe, run_acu
from test_study_support import db_path, load_kb, log_count, study_data  # noqa: F401


def a_channel(kb) -> str:
    return sorted({p["channel"] for p in kb.points if p["channel"] != "EX"})[0]


def count_of(kb, ch) -> int:
    return sum(1 for p in kb.points if p["channel"] == ch)


# ------------------------------------------------------------ export targets


def test_dash_means_stdout(cli, tmp_path):
    kb = load_kb()
    ch = a_channel(kb)
    r = cli("export", "cards", "-m", ch, "-o", "-", "--format", "tsv")
    assert r.exit_code == 0, r.output
    assert len(r.stdout.splitlines()) == count_of(kb, ch) + 1
    assert not (Path.cwd() / "-").exists()
    r = subprocess.run([acu_exe(), "export", "anki", "-m", ch, "-o", "-"], capture_output=True,
                       env=os.environ.copy(), cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(io.BytesIO(r.stdout)) as z:
        assert "collection.anki2" in z.namelist()
    assert list(tmp_path.iterdir()) == []


def test_a_fifo_is_written_straight(cli, tmp_path):
    kb = load_kb()
    ch = a_channel(kb)
    for what in ("cards", "anki"):
        fifo = tmp_path / f"{what}.fifo"
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda f=fifo: got.append(Path(f).read_bytes()))
        reader.start()
        args = ("export", what, "-m", ch, "-o", str(fifo)) + (("--format", "tsv") if what == "cards" else ())
        r = cli(*args)
        reader.join(20)
        assert r.exit_code == 0, r.output
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not replaced by a file
        if what == "cards":
            assert len(got[0].decode().splitlines()) == count_of(kb, ch) + 1
        else:
            assert zipfile.ZipFile(io.BytesIO(got[0])).testzip() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anki.fifo", "cards.fifo"]


def test_a_character_device_is_written_straight(cli):
    kb = load_kb()
    ch = a_channel(kb)
    master, slave = os.openpty()
    try:
        name = os.ttyname(slave)
        out = []

        def drain():
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                out.append(chunk)

        t = threading.Thread(target=drain, daemon=True)
        t.start()
        r = cli("export", "cards", "-m", ch, "-o", name, "--format", "tsv")
        assert r.exit_code == 0, r.output
        time.sleep(0.3)
        assert stat.S_ISCHR(os.stat(name).st_mode)
        assert b"front\tback\tid\ttags" in b"".join(out)
        # /dev/full is a device too: its "no space" is an error (exit 2), not a traceback
        if os.path.exists("/dev/full"):
            r = cli("export", "cards", "-m", ch, "-o", "/dev/full", "--format", "tsv")
            assert r.exit_code == 2 and "cannot write" in r.stderr
            assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    finally:
        os.close(master)
        os.close(slave)


def test_a_package_is_not_written_to_a_terminal():
    master, slave = os.openpty()
    try:
        r = subprocess.run([acu_exe(), "export", "anki", "-m", "LU", "-o", "-"], stdout=slave,
                           stderr=subprocess.PIPE, env=os.environ.copy(), timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert r.returncode == 2 and b"terminal" in r.stderr


@pytest.mark.parametrize("link", ["/proc/self/fd/1", "/dev/stdout"])
def test_fd_links_go_to_the_process_stdout(tmp_path, link):
    if not os.path.exists(link):
        pytest.skip(f"no {link} here")
    kb = load_kb()
    ch = a_channel(kb)
    r = run_acu("export", "cards", "-m", ch, "-o", link, "--format", "tsv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == count_of(kb, ch) + 1
    # stdout redirected to a file: the file gets the rows
    target = tmp_path / "redirected.tsv"
    with open(target, "w") as fh:
        r = subprocess.run([acu_exe(), "export", "cards", "-m", ch, "-o", link, "--format", "tsv"],
                           stdout=fh, stderr=subprocess.PIPE, text=True, env=os.environ.copy(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(target.read_text().splitlines()) == count_of(kb, ch) + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["redirected.tsv"]


def test_a_symlink_is_written_through(cli, tmp_path):
    kb = load_kb()
    ch = a_channel(kb)
    real = tmp_path / "real.tsv"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.tsv"
    link.symlink_to(real.name)
    r = cli("export", "cards", "-m", ch, "-o", str(link))
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and os.readlink(link) == real.name
    assert len(real.read_text().splitlines()) == count_of(kb, ch) + 1
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the file keeps its permissions
    apkg_link = tmp_path / "deck.apkg"
    (tmp_path / "sub").mkdir()
    apkg_link.symlink_to(tmp_path / "sub" / "real.apkg")  # dangling: the file is created where it points
    assert cli("export", "anki", "-m", ch, "-o", str(apkg_link)).exit_code == 0
    assert apkg_link.is_symlink() and zipfile.is_zipfile(tmp_path / "sub" / "real.apkg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.apkg", "link.tsv", "real.tsv", "sub"]


def test_what_is_not_a_file_a_device_or_a_pipe_is_refused(cli, tmp_path):
    kb = load_kb()
    ch = a_channel(kb)
    sock_path = tmp_path / "s.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(str(sock_path))
        for what in ("cards", "anki"):
            r = cli("export", what, "-m", ch, "-o", str(sock_path))
            assert r.exit_code == 2, r.output
            assert "refusing" in r.stderr
            assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    finally:
        s.close()
    for what in ("cards", "anki"):
        r = cli("export", what, "-m", ch, "-o", str(tmp_path))
        assert r.exit_code == 2 and "directory" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sock"]


def test_stale_temporary_files_are_removed_and_live_ones_kept(cli, tmp_path, monkeypatch):
    import tempfile

    kb = load_kb()
    ch = a_channel(kb)
    dead = 2 ** 22 + 12345  # above any pid_max: never a running process
    stale = tmp_path / f".acu-tmp-{dead}-abcd-cards.tsv"
    stale.write_text("half")
    live = tmp_path / ".acu-tmp-1-abcd-cards.tsv"  # pid 1 runs
    live.write_text("busy")
    other = tmp_path / ".acu-tmp-notapid"
    other.write_text("not ours")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    (tmpdir / f"acu-apkg-{dead}-xyz").mkdir()
    (tmpdir / f"acu-apkg-{dead}-xyz" / "collection.anki2").write_bytes(b"x" * 100)
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    assert cli("export", "cards", "-m", ch, "-o", str(tmp_path / "cards.tsv")).exit_code == 0
    assert not stale.exists() and live.exists() and other.exists()
    assert cli("export", "anki", "-m", ch, "-o", str(tmp_path / "deck.apkg")).exit_code == 0
    assert list(tmpdir.iterdir()) == []  # the stale build directory and our own are gone
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".acu-tmp-1-abcd-cards.tsv", ".acu-tmp-notapid", "cards.tsv", "deck.apkg", "tmp"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(cli, tmp_path, monkeypatch):
    from acucli.study import outfile

    kb = load_kb()
    ch = a_channel(kb)
    target = tmp_path / "cards.tsv"
    target.write_text("old\n")

    def broken(fh, produce, binary):
        fh.write(b"part")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outfile, "_produce_into", broken)
    r = cli("export", "cards", "-m", ch, "-o", str(target))
    assert r.exit_code == 2 and "No space left on device" in r.stderr
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["cards.tsv"]


def test_export_anki_with_a_sqlite_io_error_is_exit_2(cli, tmp_path, monkeypatch):
    import genanki

    def io_error(*a, **k):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(genanki.Package, "write_to_db", io_error)
    r = cli("export", "anki", "-m", "LU", "-o", str(tmp_path / "x.apkg"))
    assert r.exit_code == 2, r.output
    assert "disk I/O error" in r.stderr and "internal error" not in r.stderr
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------- the study database


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=5)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def _read_until(stream, text: bytes, timeout: float = 20) -> bytes:
    got = b""
    done = threading.Event()

    def pump():
        nonlocal got
        while text not in got:
            chunk = stream.read1(4096) if hasattr(stream, "read1") else stream.read(1)
            if not chunk:
                break
            got += chunk
        done.set()

    threading.Thread(target=pump, daemon=True).start()
    done.wait(timeout)
    return got


def test_a_locked_database_is_waited_for_and_said_so_before_asking(isolated):
    from acucli.study.store import Store

    Store.open().close()
    path = db_path(isolated)
    holder = _hold_write_lock(path)
    kb = load_kb()
    proc = subprocess.Popen([acu_exe(), "study", "--self", "-k", "code-name", "-m", a_channel(kb), "--new", "3"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=os.environ.copy())
    try:
        err = _read_until(proc.stderr, b"waiting for the progress database")
        assert b"waiting for the progress database" in err
        time.sleep(0.3)
        assert proc.poll() is None  # still waiting: nothing asked, nothing lost
        holder.execute("ROLLBACK")
        out, rest = proc.communicate(input=b"g\ng\ng\n", timeout=30)
    finally:
        holder.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert out.index(b"Type q") >= 0 and b"3 answers saved" in out
    assert log_count(isolated) >= 3


def test_the_wait_is_interruptible(isolated):
    from acucli.study.store import Store

    Store.open().close()
    holder = _hold_write_lock(db_path(isolated))
    kb = load_kb()
    proc = subprocess.Popen([acu_exe(), "study", "--self", "-k", "code-name", "-m", a_channel(kb)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=os.environ.copy())
    try:
        assert b"waiting" in _read_until(proc.stderr, b"waiting for the progress database")
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
        assert time.monotonic() - start < 3  # not SQLite's long busy timeout
    finally:
        holder.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert b"Traceback" not in proc.stderr.read()


def test_an_answer_that_cannot_be_saved_is_reported(cli, isolated, monkeypatch):
    from acucli.study import store as store_mod

    store_mod.Store.open().close()
    monkeypatch.setattr(store_mod, "WAIT_LIMIT", 0.3)
    holder = None
    real_review = store_mod.Store.review

    def review_under_lock(self, *a, **k):
        nonlocal holder
        holder = _hold_write_lock(db_path(isolated))  # another acu takes the lock just now
        return real_review(self, *a, **k)

    monkeypatch.setattr(store_mod.Store, "review", review_under_lock)
    try:
        r = cli("study", "--self", "-k", "code-name", "-m", "LU", "--new", "3", input="g\ng\n")
    finally:
        if holder:
            holder.close()
    assert r.exit_code == 2, r.output
    assert "was not saved" in r.stderr and "point:LU" in r.stderr
    assert "0 answers saved" in r.stdout and "not saved: the answer to" in r.stdout
    assert log_count(isolated) == 0


def test_unit_review_under_a_lock_names_the_card(isolated, monkeypatch):
    from acucli.errors import StoreError
    from acucli.study import store as store_mod

    monkeypatch.setattr(store_mod, "WAIT_LIMIT", 0.2)
    told = []
    with store_mod.Store.open(notify=told.append) as s:
        holder = _hold_write_lock(db_path(isolated))
        try:
            with pytest.raises(StoreError) as e:
                s.review("point:KI3:code", 3)
        finally:
            holder.close()
        assert "point:KI3:code was not saved" in e.value.message
        assert told == [store_mod.WAIT_MESSAGE]
        s.review("point:KI3:code", 3)  # and once the lock is gone, it is
    assert log_count(isolated) == 1


def _tampered(home, sql: str, *args) -> bytes:
    from acucli.study.store import Store

    with Store.open() as s:
        s.review("point:LU1:name", 3)
        s.review("point:LU2:name", 4)
    conn = sqlite3.connect(db_path(home))
    conn.execute(sql, args)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for extra in ("-wal", "-shm"):
        p = Path(str(db_path(home)) + extra)
        if p.exists() and p.stat().st_size == 0:
            p.unlink()
    return db_path(home).read_bytes()


@pytest.mark.parametrize("sql,args", [
    ("UPDATE cards SET due = ? WHERE id = 'point:LU1:name'", ("abc",)),
    ("UPDATE cards SET due = ? WHERE id = 'point:LU1:name'", (1e300,)),
    ("UPDATE cards SET due = ? WHERE id = 'point:LU1:name'", (float("inf"),)),
    ("UPDATE cards SET state = ? WHERE id = 'point:LU2:name'", (9,)),
    ("UPDATE cards SET stability = ? WHERE id = 'point:LU2:name'", ("x",)),
    ("UPDATE review_log SET rating = ? WHERE id = 1", (7,)),
])
def test_tampered_values_are_damage_and_the_file_is_kept(cli, isolated, tmp_path, sql, args):
    before = _tampered(isolated, sql, *args)
    listing = sorted(os.listdir(isolated))
    cmds = [("stats",), ("stats", "--format", "json")]
    if "review_log" not in sql:  # only stats reads the review log; the rest read the cards
        cmds += [("study", "-k", "code-name", "-m", "LU"), ("study", "--cram", "-k", "code-name", "-m", "LU"),
                 ("export", "anki", "-m", "LU", "--progress", "-o", str(tmp_path / "p.apkg"))]
    for cmd in cmds:
        r = cli(*cmd, input="LU1\n")
        assert r.exit_code == 2, (cmd, r.output, r.stderr)
        assert "damaged" in r.stderr and str(db_path(isolated)) in r.stderr
        assert "internal error" not in r.stderr
    assert db_path(isolated).read_bytes() == before
    assert sorted(os.listdir(isolated)) == listing
    assert not (tmp_path / "p.apkg").exists()


def test_disk_full_while_opening_reports_the_real_error(isolated, monkeypatch):
    """SQLite rolls back by itself after an I/O error; the COMMIT that followed used to
    replace the real error with 'cannot commit - no transaction is active'."""
    from acucli.errors import StoreError
    from acucli.study import store as store_mod

    store_mod.Store.open().close()
    real_connect = sqlite3.connect

    class Failing:
        def __init__(self, conn):
            self._conn = conn

        def execute(self, sql, *a):
            if sql.startswith("PRAGMA user_version"):
                raise sqlite3.OperationalError("disk I/O error")
            if sql == "COMMIT":
                raise sqlite3.OperationalError("cannot commit - no transaction is active")
            return self._conn.execute(sql, *a)

        def __getattr__(self, name):
            return getattr(self._conn, name)

    monkeypatch.setattr(store_mod.sqlite3, "connect", lambda *a, **k: Failing(real_connect(*a, **k)))
    with pytest.raises(StoreError) as e:
        store_mod.Store.open()
    assert "disk I/O error" in e.value.message and "cannot commit" not in e.value.message


def test_a_full_disk_for_real(tmp_path):
    """On a tiny tmpfs (needs root and mount; skipped elsewhere)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    mnt = tmp_path / "full"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        try:
            with open(mnt / "fill", "wb") as fh:
                while True:
                    fh.write(b"\0" * 4096)
                    fh.flush()
        except OSError:
            pass  # full
        r = run_acu("study", "-n", "1", env={"ACU_HOME": str(mnt / "home")}, input="")
        assert r.returncode == 2, r.stderr
        assert "full" in r.stderr or "I/O" in r.stderr
        assert "no transaction is active" not in r.stderr and "Traceback" not in r.stderr
        for what in ("anki", "cards"):
            out = mnt / f"deck.{what}"
            r = run_acu("export", what, "-m", "LU", "-o", str(out))
            assert r.returncode == 2, r.stderr
            assert "No space left" in r.stderr and "internal error" not in r.stderr
            assert not out.exists()
            assert sorted(p.name for p in mnt.iterdir()) == ["fill", "home"]  # no temporary left
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


# ------------------------------------------------------------ closed stdin


@pytest.mark.parametrize("args", [("quiz", "-n", "2", "--seed", "1"), ("study", "-n", "2", "-k", "code-name")])
def test_closed_stdin_is_end_of_input(isolated, args):
    r = subprocess.run([acu_exe(), *args], capture_output=True, text=True, env=os.environ.copy(),
                       stdin=None, preexec_fn=lambda: os.close(0), timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    if args[0] == "quiz":
        assert "Score: 0/2" in r.stdout
    else:
        assert "0 answers saved" in r.stdout
