"""The command line around a running server (SPEC sections 8 and 9):
backup while serving, export/import round trip, a broken import that
changes nothing, --version and --help."""
import json
import os
import sqlite3
import threading
import unittest

import harness
from harness import Content


def count(db, sql="SELECT count(*) FROM articles"):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return c.execute(sql).fetchone()[0]
    finally:
        c.close()


class CliWhileServing(harness.ServerTestCase):
    FIXTURES = ("extra.json",)

    def test_backup_while_serving(self):
        stop = threading.Event()
        errors = []

        def load():
            while not stop.is_set():
                try:
                    for p in ("/", "/feed.xml", "/search?q=harbour"):
                        if self.get(p).status != 200:
                            errors.append(p)
                except Exception as e:   # keep the load going, report later
                    errors.append(repr(e))

        t = threading.Thread(target=load)
        t.start()
        try:
            out = os.path.join(self.gz.tmp, "backup.db")
            p = self.gz.cli("backup", out)
        finally:
            stop.set()
            t.join()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(errors, [], "requests failed during the backup")
        c = sqlite3.connect(out)
        try:
            self.assertEqual(c.execute("PRAGMA integrity_check").fetchone()[0],
                             "ok")
            n = c.execute("SELECT count(*) FROM articles").fetchone()[0]
            tables = {r[0] for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            c.close()
        self.assertEqual(n, len(Content(self.FIXTURES).articles))
        self.assertEqual(n, count(self.gz.db))
        for t in ("articles", "tags", "comments", "users", "settings"):
            self.assertIn(t, tables)
        # The copy is a working Gazette database.
        p = self.gz.cli("--db", out, "export")
        self.assertEqual(p.returncode, 0, p.stderr)
        live = self.gz.cli("export")
        self.assertEqual(json.loads(p.stdout), json.loads(live.stdout))
        self.assertEqual(self.get("/healthz").status, 200)

    def test_export_import_round_trip(self):
        p = self.gz.cli("export")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        content = Content(self.FIXTURES)
        self.assertEqual(sorted(a["slug"] for a in doc["articles"]),
                         sorted(content.articles))
        self.assertEqual(sorted(t["slug"] for t in doc["tags"]),
                         sorted(content.tags))
        dump = os.path.join(self.gz.tmp, "export.json")
        with open(dump, "w") as f:
            f.write(p.stdout)
        fresh = harness.Gazette(demo=False)
        try:
            fresh.prepare()
            self.assertEqual(count(fresh.db), 0)
            r = fresh.cli("import", dump)
            self.assertEqual(r.returncode, 0, r.stderr)
            for sql in ("SELECT count(*) FROM articles",
                        "SELECT count(*) FROM comments",
                        "SELECT count(*) FROM tags",
                        "SELECT count(*) FROM article_tags",
                        "SELECT count(*) FROM articles WHERE status = "
                        "'published'",
                        "SELECT group_concat(slug || ':' || html, '|') FROM "
                        "(SELECT slug, html FROM articles ORDER BY slug)"):
                self.assertEqual(count(fresh.db, sql), count(self.gz.db, sql),
                                 sql)
            again = fresh.cli("export")
            self.assertEqual(json.loads(again.stdout), doc,
                             "export -> import -> export changed the content")
        finally:
            fresh.cleanup()

    def test_broken_import_changes_nothing(self):
        before = count(self.gz.db)
        home = self.get("/").body
        p = self.gz.cli("import", harness.fixture("broken.json"))
        self.assertNotEqual(p.returncode, 0)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("articles[1]", lines[0], "the bad item is not named")
        self.assertIn("author", lines[0], "the bad field is not named")
        self.assertEqual(count(self.gz.db), before)
        self.assertEqual(count(self.gz.db, "SELECT count(*) FROM articles "
                               "WHERE slug LIKE 'broken-import-%'"), 0,
                         "the valid story before the bad one was kept")
        self.assertEqual(self.get("/articles/broken-import-valid-story").status,
                         404)
        self.assertEqual(self.get("/").body, home)

    def test_import_of_malformed_json(self):
        before = count(self.gz.db)
        bad = os.path.join(self.gz.tmp, "bad.json")
        for text in ('{"articles": [ {"slug": "x", ', "", "[]",
                     '{"articles": {"slug": "x"}}',
                     '{"articles": [{"slug": "Bad Slug", "title": "t", '
                     '"author": "maren-okafor", "status": "draft"}]}'):
            with open(bad, "w") as f:
                f.write(text)
            p = self.gz.cli("import", bad)
            self.assertNotEqual(p.returncode, 0, text)
            self.assertGreater(p.returncode, 0, text)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertEqual(count(self.gz.db), before)
        self.assertIn("slug", lines[0])
        p = self.gz.cli("import", "/nonexistent/file.json")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("/nonexistent/file.json", p.stderr)


class CliBasics(unittest.TestCase):

    def run_gz(self, *args):
        gz = harness.Gazette()
        try:
            return gz.cli(*args, db=False)
        finally:
            gz.cleanup()

    def test_version(self):
        p = self.run_gz("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout.strip(), r"^gazette \d+\.\d+\.\d+")

    def test_help(self):
        p = self.run_gz("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage", p.stdout.lower())
        for cmd in ("serve", "init", "migrate", "backup", "export", "import",
                    "render"):
            self.assertRegex(p.stdout, r"\b%s\b" % cmd)

    def test_unknown_command(self):
        p = self.run_gz("frobnicate")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("usage", p.stderr.lower())
        self.assertEqual(p.stdout, "")
