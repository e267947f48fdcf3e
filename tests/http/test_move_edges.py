"""Moving a site in and out when the files are broken (issue 12): a
WordPress export whose comments' parents go round in a loop, and a
restore over a database too damaged for SQLite to read, which is when a
restore is most needed.
"""
import os
import re
import sqlite3

import harness


class LoopedCommentParents(harness.ServerTestCase):
    """Comment 101 names itself as its parent, and 102 names 103 while 103
    names 102: each becomes a comment of its own, none is lost, and the
    report says so."""

    DEMO = False

    def test_comments_whose_parents_loop_are_kept_and_reported(self):
        with open(harness.fixture("wordpress-export.xml"),
                  encoding="utf-8") as f:
            text = f.read()
        # 101 -> 101; 102 -> 103 -> 102
        text, n1 = re.subn(r"(<wp:comment_id>101</wp:comment_id>.*?"
                           r"<wp:comment_parent>)0(</wp:comment_parent>)",
                           r"\g<1>101\2", text, count=1, flags=re.S)
        text, n2 = re.subn(r"(<wp:comment_id>102</wp:comment_id>.*?"
                           r"<wp:comment_parent>)101(</wp:comment_parent>)",
                           r"\g<1>103\2", text, count=1, flags=re.S)
        self.assertEqual((n1, n2), (1, 1), "the fixture changed shape")
        path = os.path.join(self.gz.tmp, "looped.xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        before = self.count()
        p = self.gz.cli("import", "--from", "wordpress", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("loop", p.stdout)
        con = sqlite3.connect(self.gz.db)
        try:
            rows = dict(con.execute(
                "SELECT id, parent_id FROM comments").fetchall())
        finally:
            con.close()
        self.assertGreaterEqual(self.count() - before, 3,
                                "comments of a loop were lost")
        self.assertFalse([k for k, v in rows.items() if v == k],
                         "a comment hangs under itself")

    def count(self):
        con = sqlite3.connect(self.gz.db)
        try:
            return con.execute("SELECT count(*) FROM comments").fetchone()[0]
        finally:
            con.close()


class RestoreOverADamagedDatabase(harness.ServerTestCase):
    """The database's header is overwritten: restore still puts the
    backup in place, and keeps the damaged files."""

    def test_restore_replaces_a_database_sqlite_cannot_read(self):
        backup = os.path.join(self.gz.tmp, "good.db")
        self.gz.cli_ok("backup", backup)
        self.gz.stop()
        try:
            with open(self.gz.db, "r+b") as f:
                f.write(b"this is no longer a database" * 4)
            p = self.gz.cli("restore", backup)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            kept = [n for n in os.listdir(self.gz.tmp)
                    if n.startswith("gazette.db.before-restore-")]
            self.assertTrue(kept, "the damaged database was not kept")
        finally:
            self.gz.start(prepare=False)
        r = self.get("/")
        self.assertEqual(r.status, 200)
        self.assertIn("<article", r.text)
