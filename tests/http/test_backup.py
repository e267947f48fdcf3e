"""Unattended backups and restore (issue 12, item 2; docs/OPERATIONS.md,
"Backups"): the server's scheduled backups while stories are written (each
verified, single-file and openable, rotation keeping exactly `keep`, other
files in the folder left alone), /metrics and the newsroom's settings page
showing the last one, a failing backup folder reported and counted while
the site keeps serving, `gazette backup FILE` (output, progress on a
terminal, --force), `gazette restore FILE` (refused while a server runs,
content restored when stopped, bad files refused with the database
untouched) and bad [backup] settings refused at start-up."""
import hashlib
import json
import os
import pty
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import unittest

import harness
from test_admin_support import PASSWORD, NewsroomCase

NAME_RE = re.compile(r"^gazette-\d{8}T\d{6}Z\.db$")
EDITOR = "editor@example.org"


def backups(folder):
    return sorted(n for n in os.listdir(folder) if NAME_RE.match(n))


def open_ro(path):
    return sqlite3.connect("file:%s?mode=ro" % path, uri=True)


def check_backup(test, path):
    """A backup is a whole, checked, single-file Gazette database."""
    c = open_ro(path)
    try:
        test.assertEqual(c.execute("PRAGMA integrity_check").fetchone()[0],
                         "ok", path)
        test.assertEqual(c.execute("PRAGMA journal_mode").fetchone()[0],
                         "delete", "%s: not a single-file database" % path)
        test.assertGreater(c.execute(
            "SELECT max(version) FROM schema_migrations").fetchone()[0], 0)
        return {r[0] for r in c.execute("SELECT slug FROM articles")}
    finally:
        c.close()


def metrics(gz):
    r = gz.get("/metrics")
    out = {}
    for line in r.text.splitlines():
        m = re.match(r"^(gazette_backup_\w+) (\S+)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def wait_until(pred, timeout=15.0, step=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def db_digest(gz):
    """What the database holds, as `gazette export` says, plus the stories'
    slugs: equal digests, untouched content."""
    p = gz.cli("export")
    if p.returncode != 0:
        raise AssertionError("export failed: " + p.stderr)
    return hashlib.sha256(p.stdout.encode()).hexdigest()


class BackupServer(NewsroomCase):
    """A newsroom server with [backup] set from BACKUP (environment), the
    folder its own temporary one unless BACKUP names another."""

    BACKUP = {}

    @classmethod
    def setUpClass(cls):
        cls.bk = harness.temp_dir("gz-backups-")
        env = {"GAZETTE_BACKUP_DIR": cls.bk,
               "GAZETTE_BACKUP_INTERVAL": "1s",
               "GAZETTE_BACKUP_KEEP": "3"}
        env.update(cls.BACKUP)
        cls.ENV = env
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.bk, ignore_errors=True)
            raise
        p = cls.gz.cli("token", "create", "--name", "backup-tests", "--user",
                       EDITOR)
        cls.api_token = p.stdout.strip() if p.returncode == 0 else None

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.bk, ignore_errors=True)

    def publish(self, title):
        """A published story through the API; its slug."""
        self.assertTrue(self.api_token, "gazette token create failed")
        r = self.gz.request(
            "POST", "/api/v1/articles",
            {"Authorization": "Bearer " + self.api_token,
             "Content-Type": "application/json"},
            json.dumps({"title": title, "markdown": "Body of " + title,
                        "status": "published"}).encode())
        self.assertEqual(r.status, 201, r.body[:300])
        return r.json()["articles"][0]["slug"]


class ScheduledBackups(BackupServer):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A file of someone else's in the folder, which rotation must not
        # touch, and an old backup-like name with another pattern.
        for name in ("README.txt", "gazette-manual.db"):
            with open(os.path.join(cls.bk, name), "w") as f:
                f.write("not one of ours\n")

    def test_backups_while_writing_are_verified_and_rotated(self):
        written, errors, seen = [], [], set()
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    written.append(self.publish("Backup load story %d" % i))
                except Exception as e:  # reported after the loop
                    errors.append(repr(e))
                    return

        t = threading.Thread(target=writer)
        t.start()
        try:
            deadline = time.monotonic() + 20
            while len(seen) < 5 and time.monotonic() < deadline:
                seen.update(backups(self.bk))
                time.sleep(0.1)
        finally:
            stop.set()
            t.join(30)
        self.assertEqual(errors, [], "writes failed during backups")
        self.assertGreater(len(written), 5, "too few writes went through")
        self.assertGreaterEqual(len(seen), 5,
                                "backups every second: %r" % sorted(seen))
        # The next backup, taken after the last write, holds every story.
        last = backups(self.bk)[-1]
        newest = wait_until(lambda: [n for n in backups(self.bk)
                                     if n > last], timeout=10)
        self.assertTrue(newest, "no backup after the writes ended")
        time.sleep(0.3)
        names = wait_until(lambda: (lambda b: b if len(b) == 3 else None)(
            backups(self.bk)), timeout=5, step=0.05)
        self.assertEqual(len(names or backups(self.bk)), 3,
                         "rotation keeps exactly keep=3")
        # Each is whole and openable (one rotated away meanwhile, as a
        # backup a second goes on, is skipped; the newest is copied first).
        newest_copy = os.path.join(self.gz.tmp, "newest-copy.db")
        shutil.copyfile(os.path.join(self.bk, names[-1]), newest_copy)
        for n in names[:-1]:
            path = os.path.join(self.bk, n)
            try:
                slugs = check_backup(self, path)
            except sqlite3.OperationalError:
                if os.path.exists(path):
                    raise
                continue
            self.assertIn("otters-return-to-alder-river", slugs)
        slugs = check_backup(self, newest_copy)
        self.assertIn("otters-return-to-alder-river", slugs)
        missing = [s for s in written if s not in slugs]
        self.assertEqual(missing, [], "the newest backup lacks stories")
        # Other files stay; no temporary file is left behind in a pause.
        left = sorted(os.listdir(self.bk))
        self.assertIn("README.txt", left)
        self.assertIn("gazette-manual.db", left)
        stray = [n for n in left if n not in names and
                 n not in ("README.txt", "gazette-manual.db")]
        self.assertTrue(all(n.startswith(".gazette-") for n in stray),
                        "unexpected files: %r" % stray)

    def test_metrics_show_the_last_backup(self):
        self.assertTrue(wait_until(lambda: backups(self.bk)),
                        "no backup within 15 s")
        m = metrics(self.gz)
        for k in ("gazette_backup_last_success_timestamp_seconds",
                  "gazette_backup_last_size_bytes",
                  "gazette_backup_failures_total",
                  "gazette_backup_last_duration_seconds"):
            self.assertIn(k, m, "/metrics lacks " + k)
        self.assertEqual(m["gazette_backup_enabled"], 1)
        self.assertLessEqual(
            abs(m["gazette_backup_last_success_timestamp_seconds"] -
                time.time()), 30)
        self.assertGreater(m["gazette_backup_last_size_bytes"], 50000)
        self.assertGreater(m["gazette_backup_last_duration_seconds"], 0)
        self.assertEqual(m["gazette_backup_failures_total"], 0)
        r = self.gz.get("/metrics")
        self.assertIn("# TYPE gazette_backup_failures_total counter", r.text)
        self.assertIn("# TYPE gazette_backup_last_size_bytes gauge", r.text)

    def test_newsroom_settings_show_the_last_backup(self):
        self.assertTrue(wait_until(lambda: len(backups(self.bk)) >= 2))
        r, doc = self.admin().page("/admin/settings")
        self.assertEqual(r.status, 200)
        p = doc.find(cls="nr-backup-summary")
        self.assertIsNotNone(p, "no backup line on the settings page")
        text = harness.norm_text(p.text)
        self.assertRegex(text, r"Last backup: \d{4}-\d\d-\d\d \d\d:\d\d UTC,"
                         r" [\d.]+ (kB|MB), \d kept in " + re.escape(self.bk))
        self.assertIn("every 1 second", text)
        self.assertIsNone(doc.find(cls="nr-backup-failure"))


class MissingBackupFolder(BackupServer):
    """The folder does not exist at first: every backup fails, is logged
    and counted, the site keeps serving; once it exists, backups work."""

    @classmethod
    def setUpClass(cls):
        cls.missing = os.path.join(harness.temp_dir("gz-nobk-"), "later")
        cls.BACKUP = {"GAZETTE_BACKUP_DIR": cls.missing}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(os.path.dirname(cls.missing), ignore_errors=True)

    def test_failures_counted_then_recovered(self):
        fails = wait_until(lambda: metrics(self.gz).get(
            "gazette_backup_failures_total", 0) >= 2)
        self.assertTrue(fails, "failures are not counted")
        self.assertEqual(self.gz.get("/healthz").status, 200)
        self.assertEqual(self.gz.get("/").status, 200)
        self.assertEqual(
            metrics(self.gz)["gazette_backup_last_success_timestamp_seconds"],
            0)
        self.assertRegex(self.gz.stderr_text(),
                         r"backup into \S*later failed: the backup directory "
                         r"\S*later: does not exist")
        r, doc = self.admin().page("/admin/settings")
        fail = doc.find(cls="nr-backup-failure")
        self.assertIsNotNone(fail, "the newsroom does not show the failure")
        self.assertIn("does not exist", fail.text)
        self.assertIn("No backup yet", doc.find(cls="nr-backup-summary").text)
        # The folder appears (a disk mounted late): the next try works.
        os.mkdir(self.missing)
        self.assertTrue(wait_until(lambda: backups(self.missing)),
                        "no backup once the folder exists")
        ok = wait_until(lambda: metrics(self.gz).get(
            "gazette_backup_last_success_timestamp_seconds", 0) > 0)
        self.assertTrue(ok)
        r, doc = self.admin().page("/admin/settings")
        self.assertIsNone(doc.find(cls="nr-backup-failure"))
        self.assertIn("Last backup:", doc.find(cls="nr-backup-summary").text)


class UnwritableBackupFolder(BackupServer):
    """A folder the server may not write in. Root writes anywhere, so
    under root the folder is /sys, which refuses new files to everyone."""

    @classmethod
    def setUpClass(cls):
        cls.ro = harness.temp_dir("gz-robk-")
        if os.geteuid() == 0:
            cls.BACKUP = {"GAZETTE_BACKUP_DIR": "/sys"}
        else:
            os.chmod(cls.ro, 0o555)
            cls.BACKUP = {"GAZETTE_BACKUP_DIR": cls.ro}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            os.chmod(cls.ro, 0o755)
            shutil.rmtree(cls.ro, ignore_errors=True)

    def test_unwritable_folder_reported_and_counted(self):
        folder = self.BACKUP["GAZETTE_BACKUP_DIR"]
        self.assertTrue(wait_until(lambda: metrics(self.gz).get(
            "gazette_backup_failures_total", 0) >= 2),
            "failures are not counted")
        self.assertEqual(self.gz.get("/").status, 200)
        self.assertRegex(self.gz.stderr_text(),
                         r"backup into %s failed: cannot create \S+: "
                         r"Permission denied" % re.escape(folder))
        r, doc = self.admin().page("/admin/settings")
        fail = doc.find(cls="nr-backup-failure")
        self.assertIsNotNone(fail)
        self.assertIn("Permission denied", fail.text)
        if folder != "/sys":
            self.assertEqual(os.listdir(folder), [])


class BackupsOff(NewsroomCase):

    def test_off_by_default(self):
        m = metrics(self.gz)
        self.assertEqual(m.get("gazette_backup_enabled"), 0)
        self.assertEqual(m.get("gazette_backup_failures_total"), 0)
        r, doc = self.admin().page("/admin/settings")
        p = doc.find(cls="nr-backup-summary")
        self.assertIsNotNone(p)
        self.assertIn("Backups are off", p.text)


class BackupCommand(harness.ServerTestCase):
    """`gazette backup FILE` beside a running server."""

    def test_backup_output_and_result(self):
        out = os.path.join(self.gz.tmp, "copy.db")
        p = self.gz.cli("backup", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^backup written to %s: .*integrity ok" %
                         re.escape(out))
        self.assertEqual(p.stderr, "", "no progress when not a terminal")
        check_backup(self, out)
        self.assertEqual(oct(os.stat(out).st_mode & 0o777), "0o600")
        self.assertEqual([n for n in os.listdir(self.gz.tmp)
                          if ".tmp-" in n], [])
        # An existing FILE is kept unless --force.
        before = os.stat(out).st_mtime_ns
        with open(out, "ab"):
            pass
        p = self.gz.cli("backup", out)
        self.assertEqual(p.returncode, 1)
        self.assertIn("already exists", p.stderr)
        self.assertIn("--force", p.stderr)
        self.assertEqual(os.stat(out).st_mtime_ns, before)
        p = self.gz.cli("backup", out, "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        check_backup(self, out)
        # A folder that does not exist: a clear error, nothing left.
        p = self.gz.cli("backup", os.path.join(self.gz.tmp, "no", "x.db"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot create", p.stderr)
        self.assertIn("No such file or directory", p.stderr)

    def test_progress_on_a_terminal(self):
        out = os.path.join(self.gz.tmp, "tty.db")
        master, slave = pty.openpty()
        cmd = [harness.gazette_bin(), "--config", self.gz.conf, "--db",
               self.gz.db, "backup", out]
        try:
            p = subprocess.run(cmd, cwd=harness.ROOT, env=harness.base_env(),
                               stdout=subprocess.PIPE, stderr=slave,
                               text=True, timeout=60)
        finally:
            os.close(slave)
        seen = b""
        while True:
            try:
                d = os.read(master, 65536)
            except OSError:
                break
            if not d:
                break
            seen += d
        os.close(master)
        self.assertEqual(p.returncode, 0)
        text = seen.decode()
        self.assertRegex(text, r"\rbackup: copying 100% \((\d+) of \1 pages\)")
        self.assertIn("\rbackup: checking the copy (PRAGMA integrity_check)",
                      text)
        self.assertIn("backup written to", p.stdout)


class RestoreWhileServing(harness.ServerTestCase):

    def test_restore_refused_while_a_server_runs(self):
        out = os.path.join(self.gz.tmp, "b.db")
        self.gz.cli_ok("backup", out)
        before = db_digest(self.gz)
        p = self.gz.cli("restore", out)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertEqual(p.stderr.strip(),
                         "gazette: a server (pid %d) is using %s; stop it "
                         "first" % (self.gz.proc.pid, self.gz.db))
        self.assertEqual(db_digest(self.gz), before)
        self.assertFalse([n for n in os.listdir(self.gz.tmp)
                          if "before-restore" in n])
        self.assertEqual(self.get("/healthz").status, 200)


class Restore(BackupServer):
    """Restore with the server stopped, then started again."""

    BACKUP = {"GAZETTE_BACKUP_DIR": ""}

    def test_restore_brings_back_the_backup(self):
        kept_slug = self.publish("Story from before the backup")
        out = os.path.join(self.gz.tmp, "before.db")
        self.gz.cli_ok("backup", out)
        gone_slug = self.publish("Story written after the backup")
        self.assertEqual(self.gz.stop(), 0)
        p = self.gz.cli("restore", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("restored %s into %s" % (out, self.gz.db), p.stdout)
        m = re.search(r"kept in (\S+)", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        keep = m.group(1)
        self.assertTrue(keep.startswith(self.gz.db + ".before-restore-"))
        # The database as it was is kept, with the later story.
        c = open_ro(keep)
        try:
            slugs = {r[0] for r in c.execute("SELECT slug FROM articles")}
        finally:
            c.close()
        self.assertIn(gone_slug, slugs)
        self.gz.start(prepare=False)
        self.assertEqual(self.gz.get("/articles/" + kept_slug).status, 200)
        self.assertEqual(self.gz.get("/articles/" + gone_slug).status, 404)
        self.assertEqual(self.gz.get("/articles/otters-return-to-alder-river"
                                     ).status, 200)
        # The restored database is in WAL mode again and whole.
        c = open_ro(self.gz.db)
        try:
            self.assertEqual(c.execute("PRAGMA journal_mode").fetchone()[0],
                             "wal")
            self.assertEqual(c.execute("PRAGMA integrity_check").fetchone()[0],
                             "ok")
        finally:
            c.close()


class RestoreRefusesBadFiles(unittest.TestCase):
    """No server: every bad FILE is refused with a clear line, exit 1,
    and the database's bytes and content are as they were."""

    @classmethod
    def setUpClass(cls):
        cls.gz = harness.Gazette()
        try:
            cls.gz.prepare()
            cls.good = os.path.join(cls.gz.tmp, "good.db")
            cls.gz.cli_ok("backup", cls.good)
        except BaseException:
            cls.gz.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gz.cleanup()

    def file(self, name, data=None, from_good=False):
        path = os.path.join(self.gz.tmp, name)
        if from_good:
            shutil.copyfile(self.good, path)
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        return path

    def refused(self, path, message):
        with open(self.gz.db, "rb") as f:
            before = hashlib.sha256(f.read()).hexdigest()
        digest = db_digest(self.gz)
        p = self.gz.cli("restore", path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(message, lines[0])
        self.assertIn(path, lines[0])
        with open(self.gz.db, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), before,
                             "the database file changed")
        self.assertEqual(db_digest(self.gz), digest)
        self.assertFalse([n for n in os.listdir(self.gz.tmp)
                          if "before-restore" in n])
        return lines[0]

    def test_text_file(self):
        line = self.refused(self.file("notes.txt", b"hello, not a db\n" * 50),
                            "is not an SQLite database")
        self.assertIn("is untouched", line)

    def test_other_sqlite_database(self):
        path = os.path.join(self.gz.tmp, "other.db")
        c = sqlite3.connect(path)
        c.execute("CREATE TABLE notes (body TEXT)")
        c.commit()
        c.close()
        self.refused(path, "is an SQLite database but not a Gazette one")

    def test_corrupt_backup(self):
        path = self.file("corrupt.db", from_good=True)
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            # Garbage over pages in the middle, header left whole.
            f.seek(4096 * 3)
            f.write(bytes((i * 37 + 11) % 256 for i in range(
                min(4096 * 8, size - 4096 * 4))))
        self.refused(path, "is damaged")

    def test_newer_schema(self):
        path = self.file("newer.db", from_good=True)
        c = sqlite3.connect(path)
        c.execute("INSERT INTO schema_migrations (version, name, applied_at)"
                  " VALUES (9999, '9999_future.sql', 0)")
        c.commit()
        c.close()
        self.refused(path, "was made by a newer Gazette")

    def test_missing_file(self):
        self.refused(os.path.join(self.gz.tmp, "nowhere.db"),
                     "No such file or directory")


class BackupConfig(unittest.TestCase):
    """Bad [backup] values stop start-up with one line naming the key."""

    BAD = [
        ({"GAZETTE_BACKUP_INTERVAL": "0"}, "GAZETTE_BACKUP_INTERVAL"),
        ({"GAZETTE_BACKUP_INTERVAL": "-5"}, "GAZETTE_BACKUP_INTERVAL"),
        ({"GAZETTE_BACKUP_INTERVAL": "0h"}, "GAZETTE_BACKUP_INTERVAL"),
        ({"GAZETTE_BACKUP_INTERVAL": "40d"}, "GAZETTE_BACKUP_INTERVAL"),
        ({"GAZETTE_BACKUP_INTERVAL": "6x"}, "GAZETTE_BACKUP_INTERVAL"),
        ({"GAZETTE_BACKUP_INTERVAL": "h"}, "GAZETTE_BACKUP_INTERVAL"),
        ({"GAZETTE_BACKUP_KEEP": "0"}, "GAZETTE_BACKUP_KEEP"),
        ({"GAZETTE_BACKUP_KEEP": "lots"}, "GAZETTE_BACKUP_KEEP"),
    ]

    @classmethod
    def setUpClass(cls):
        cls.gz = harness.Gazette(demo=False)
        try:
            cls.gz.prepare()
        except BaseException:
            cls.gz.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gz.cleanup()

    def test_bad_values_refused(self):
        for env, key in self.BAD:
            with self.subTest(env=env):
                p = self.gz.cli("--port", str(harness.free_port()), "serve",
                                env=dict(env, GAZETTE_BACKUP_DIR=self.gz.tmp),
                                timeout=10)
                self.assertGreater(p.returncode, 0)
                lines = p.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertIn(key, lines[0])
                self.assertIn("backup.", lines[0])
        p = self.gz.cli("--set", "backup.interval=0", "serve", timeout=10)
        self.assertGreater(p.returncode, 0)
        self.assertIn("backup.interval: expected a duration", p.stderr)

    def test_server_refuses_to_start_during_a_restore(self):
        # What `gazette restore` holds: an exclusive POSIX lock on DB.lock.
        import fcntl
        fd = os.open(self.gz.db + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            p = self.gz.cli("--port", str(harness.free_port()), "serve",
                            timeout=10)
        finally:
            os.close(fd)
        self.assertEqual(p.returncode, 1)
        self.assertIn("is being restored", p.stderr)

    def test_help_config_lists_the_keys(self):
        p = self.gz.cli("--help-config", db=False)
        self.assertEqual(p.returncode, 0)
        for key in ("GAZETTE_BACKUP_DIR", "GAZETTE_BACKUP_INTERVAL",
                    "GAZETTE_BACKUP_KEEP"):
            self.assertIn(key, p.stdout)
        with open(os.path.join(harness.ROOT, "config", "gazette.conf")) as f:
            conf = f.read()
        self.assertIn("[backup]", conf)
        for key in ("GAZETTE_BACKUP_DIR", "GAZETTE_BACKUP_INTERVAL",
                    "GAZETTE_BACKUP_KEEP"):
            self.assertIn(key, conf)

    def test_good_interval_forms(self):
        for value in ("90", "90s", "30m", "6h", "1d", "31d"):
            with self.subTest(value=value):
                p = self.gz.cli("--set", "backup.interval=" + value,
                                "migrate")
                self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
