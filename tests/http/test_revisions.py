"""Revisions and the trash (issue 10, item 2): every save keeps a revision
with who and when; the history lists them; two compare as a word diff;
one restores as a new revision; deleting moves a story to the trash, out
of every public page, feed, search and API list, from which an editor
restores it; the purge deletes it after 30 days; ids are never reused;
and migration 0012 upgrades a database with content."""
import glob
import json
import os
import re
import sqlite3
import time
import unittest

import harness
from test_api_read import ApiCase


class Revisions(ApiCase):

    def revisions(self, sid):
        return self.query("SELECT n, user_id, created_at, title, excerpt,"
                          " markdown, tags, image_url FROM story_revisions"
                          " WHERE article_id = ? ORDER BY n", sid)

    def user_id(self, email):
        return self.query("SELECT id FROM users WHERE email = ?", email)[0][0]

    # -- revisions ------------------------------------------------------------

    def test_each_save_makes_a_revision_with_who_and_when(self):
        ed, au = self.editor(), self.author()
        t0 = int(time.time())
        r, sid = self.create_story(au, "Revision one title",
                                   markdown="The quick brown fox.",
                                   tags="Harbour, Ferries")
        self.assertEqual(r.status, 303)
        revs = self.revisions(sid)
        self.assertEqual(len(revs), 1)
        self.assertEqual(revs[0]["n"], 1)
        self.assertEqual(revs[0]["user_id"],
                         self.user_id("author@example.org"))
        self.assertGreaterEqual(revs[0]["created_at"], t0 - 1)
        self.assertEqual(json.loads(revs[0]["tags"]), ["Harbour", "Ferries"])
        self.assertEqual(self.update_story(ed, sid,
                                           markdown="The slow brown fox.")
                         .status, 303)
        revs = self.revisions(sid)
        self.assertEqual([x["n"] for x in revs], [1, 2])
        self.assertEqual(revs[1]["user_id"],
                         self.user_id("editor@example.org"))
        self.assertEqual(revs[1]["markdown"], "The slow brown fox.")
        # A save that changes nothing of the text (here: publishing) keeps
        # no copy of the same content (docs/DECISIONS.md).
        self.assertEqual(self.update_story(ed, sid, action="publish").status,
                         303)
        self.assertEqual(len(self.revisions(sid)), 2)
        # The API's saves keep revisions too.
        r = self.api("PATCH", "/articles/%d" % sid, {"title": "Via the API"},
                     token=self.token("editor"))
        self.assertEqual(r.status, 200, r.text)
        revs = self.revisions(sid)
        self.assertEqual(len(revs), 3)
        self.assertEqual(revs[2]["title"], "Via the API")

    def test_history_lists_revisions_and_compares_words(self):
        ed = self.editor()
        _, sid = self.create_story(ed, "History story",
                                   markdown="Line one.\nThe quick brown fox."
                                            "\nLine three.")
        self.update_story(ed, sid, markdown="Line one.\nThe slow brown fox."
                                            "\nLine three.\nA new line.",
                          title="History story, updated")
        r, doc = ed.page("/admin/stories/%d/history" % sid)
        self.assertEqual(r.status, 200)
        self.assertIsNotNone(doc.find("table", cls="nr-history"))
        nums = [td.text for td in doc.find_all("td", cls="nr-table__title")]
        self.assertEqual(len(nums), 2)
        self.assertIn("#2", nums[0])
        self.assertIn("Current", nums[0])
        self.assertIn("#1", nums[1])
        self.assertIn("Eddie Editor", r.text)
        sums = [td.text for td in
                doc.find_all("td", cls="nr-history__summary")]
        self.assertIn("Title changed", sums[0])
        self.assertIn("Body: 2 lines added, 1 removed", sums[0])
        self.assertIn("First version", sums[1])
        links = [a.get("href") for a in doc.find_all("a", cls="nr-action")]
        link = "/admin/stories/%d/history?from=1&to=2" % sid
        self.assertEqual(links, [link])
        # The newest revision is the story: nothing to restore there.
        self.assertEqual([f.get("action") for f in
                          doc.find_all("form", cls="nr-inline")],
                         ["/admin/stories/%d/history/1/restore" % sid])
        r = ed.get(link)
        self.assertEqual(r.status, 200)
        self.assertIn("The <del>quick</del><ins>slow</ins> brown fox.", r.text)
        self.assertIn("<ins>A new line.</ins>", r.text)
        self.assertIn("History <del>story</del><ins>story, updated</ins>",
                      r.text)
        # Unknown revisions and bad numbers are 404.
        for q in ("?from=1&to=9", "?from=0&to=1", "?from=x", "?from=7"):
            self.assertEqual(ed.get("/admin/stories/%d/history%s" % (sid, q))
                             .status, 404, q)
        self.assertEqual(ed.get("/admin/stories/999999/history").status, 404)

    def test_diff_escapes_everything(self):
        ed = self.editor()
        _, sid = self.create_story(ed, "Escape <b>me</b>",
                                   markdown="Hello <script>alert(1)</script>")
        self.update_story(ed, sid, markdown="Hi <img src=x onerror=alert(1)>",
                          title="Escaped \"<i>x</i>\"")
        r = ed.get("/admin/stories/%d/history?from=1&to=2" % sid)
        self.assertEqual(r.status, 200)
        self.assertNotIn("<script>alert", r.text)
        self.assertNotIn("<img src=x", r.text)
        self.assertIn("&lt;script&gt;", r.text)
        self.assertIn("&lt;img", r.text)
        self.assertNotIn("<b>me</b>", r.text)

    def test_restore_makes_a_new_revision_and_the_page_shows_it(self):
        ed = self.editor()
        _, sid = self.create_story(ed, "Restore me", action="publish",
                                   markdown="The original wording.",
                                   tags="Harbour")
        self.update_story(ed, sid, markdown="A worse wording.", tags="City")
        slug = self.story_row(id=sid)["slug"]
        self.assertIn("A worse wording.", self.get("/articles/" + slug).text)
        url = "/admin/stories/%d/history/1/restore" % sid
        self.assertEqual(ed.post(url, csrf=False).status, 403)
        self.assertEqual(len(self.revisions(sid)), 2)
        r = ed.post(url)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"),
                         "/admin/stories/%d/history?done=restored" % sid)
        revs = self.revisions(sid)
        self.assertEqual([x["n"] for x in revs], [1, 2, 3])
        self.assertEqual(revs[2]["markdown"], "The original wording.")
        self.assertEqual(json.loads(revs[2]["tags"]), ["Harbour"])
        row = self.story_row(id=sid)
        self.assertEqual(row["status"], "published")
        self.assertEqual(row["slug"], slug)
        page = self.get("/articles/" + slug).text
        self.assertIn("The original wording.", page)
        self.assertNotIn("A worse wording.", page)
        self.assertIn("Restored.", ed.get(r.header("Location")).text)
        for bad in ("/admin/stories/%d/history/9/restore" % sid,
                    "/admin/stories/%d/history/x/restore" % sid,
                    "/admin/stories/999999/history/1/restore"):
            self.assertEqual(ed.post(bad).status, 404, bad)

    def test_authors_follow_the_edit_rules(self):
        au, au2, ed = self.author(), self.author2(), self.editor()
        _, sid = self.create_story(au, "Ann's own draft",
                                   markdown="First words.")
        self.update_story(au, sid, markdown="Second words.")
        # Another author: neither the history nor a restore.
        self.assertEqual(au2.get("/admin/stories/%d/history" % sid).status,
                         403)
        self.assertEqual(au2.post("/admin/stories/%d/history/1/restore"
                                  % sid).status, 403)
        self.assertEqual(len(self.revisions(sid)), 2)
        # The author, on her own draft: both.
        self.assertEqual(au.get("/admin/stories/%d/history" % sid).status,
                         200)
        self.assertEqual(au.post("/admin/stories/%d/history/1/restore"
                                 % sid).status, 303)
        self.assertEqual(self.story_row(id=sid)["markdown"], "First words.")
        # Once an editor published it, only an editor restores.
        self.update_story(ed, sid, action="publish")
        r, doc = au.page("/admin/stories/%d/history" % sid)
        self.assertEqual(r.status, 200)
        self.assertIsNone(doc.find("form", cls="nr-inline"))
        self.assertEqual(au.post("/admin/stories/%d/history/2/restore"
                                 % sid).status, 403)
        self.assertEqual(ed.post("/admin/stories/%d/history/2/restore"
                                 % sid).status, 303)
        self.assertEqual(self.story_row(id=sid)["markdown"], "Second words.")

    # -- the trash ------------------------------------------------------------

    def public_everywhere(self, slug, word):
        """Where a published story shows: (home, feed, sitemap, search,
        API list, API search, API story)."""
        api_list = [s["slug"] for s in
                    self.all_items("/articles?limit=100", "articles")]
        api_search = self.get_api("/search?q=" + word)
        return {
            "page": self.get("/articles/" + slug).status == 200,
            "home": ("/articles/" + slug) in self.get("/").text,
            "feed": ("/articles/" + slug) in self.get("/feed.xml").text,
            "sitemap": ("/articles/" + slug) in self.get("/sitemap.xml").text,
            "search": ("/articles/" + slug) in
                      self.get("/search?q=" + word).text,
            "api_list": slug in api_list,
            "api_search": slug in api_search.text,
            "api_story": self.get_api("/articles/" + slug).status == 200,
        }

    def test_delete_trash_restore(self):
        ed, au = self.editor(), self.author()
        _, sid = self.create_story(ed, "Zanzibarish trash story",
                                   action="publish", tags="Harbour",
                                   markdown="Zanzibarish words here.")
        slug = self.story_row(id=sid)["slug"]
        seen = self.public_everywhere(slug, "zanzibarish")
        self.assertTrue(all(seen.values()), seen)
        before = self.query("SELECT max(id) FROM page_changes")[0][0]
        r = ed.post("/admin/stories/%d/delete" % sid)
        self.assertEqual(r.status, 303)
        row = self.story_row(id=sid)
        self.assertIsNotNone(row, "the row stays, in the trash")
        self.assertIsNotNone(row["deleted_at"])
        self.assertEqual(row["trashed_status"], "published")
        # The same keys a delete logs, so every cache lets it go.
        keys = {k[0] for k in self.query(
            "SELECT key FROM page_changes WHERE id > ?", before)}
        for k in ("story-%d" % sid, "slug-" + slug, "home", "feeds",
                  "tag-harbour", "author-eddie-editor"):
            self.assertIn(k, keys)
        seen = self.public_everywhere(slug, "zanzibarish")
        self.assertFalse(any(seen.values()), seen)
        self.assertEqual(ed.get("/admin/stories/%d" % sid).status, 404)
        self.assertNotIn(slug, ed.get("/admin/stories").text)
        self.assertEqual(self.get_api("/articles/" + slug,
                                      token=self.token("editor")).status, 404)
        # The trash lists it with the days left; only editors restore.
        r, doc = ed.page("/admin/trash")
        self.assertEqual(r.status, 200)
        self.assertIn("Zanzibarish trash story", r.text)
        cell = doc.find("td", cls="nr-trash__left")
        self.assertEqual(cell.get("data-days-left"), "30")
        self.assertIn("30 days left", cell.text)
        form = doc.find("form", action="/admin/trash/%d/restore" % sid)
        self.assertIsNotNone(form)
        r, doc = au.page("/admin/trash")
        self.assertEqual(r.status, 200)
        self.assertNotIn("Zanzibarish", r.text, "not the author's story")
        self.assertEqual(au.post("/admin/trash/%d/restore" % sid).status, 403)
        self.assertEqual(ed.post("/admin/trash/%d/restore" % sid,
                                 csrf=False).status, 403)
        r = ed.post("/admin/trash/%d/restore" % sid)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin/trash?done=restored")
        row = self.story_row(id=sid)
        self.assertIsNone(row["deleted_at"])
        self.assertEqual(row["status"], "published")
        seen = self.public_everywhere(slug, "zanzibarish")
        self.assertTrue(all(seen.values()), seen)
        self.assertEqual(ed.post("/admin/trash/%d/restore" % sid).status, 404)
        self.assertEqual(ed.post("/admin/trash/abc/restore").status, 404)

    def test_api_delete_goes_to_the_trash(self):
        r = self.api("POST", "/articles", {"title": "API trash story",
                                           "markdown": "x",
                                           "status": "published"},
                     token=self.token("editor"))
        s = self.one(r, "articles", 201)
        r = self.api("DELETE", "/articles/%d" % s["id"],
                     token=self.token("editor"))
        self.assertEqual(r.status, 204)
        row = self.story_row(id=s["id"])
        self.assertIsNotNone(row["deleted_at"])
        self.assertNotIn(s["slug"], [x["slug"] for x in self.all_items(
            "/articles?limit=100&filter=status:[draft,published,scheduled]",
            "articles", token=self.token("editor"))])
        self.assertIn("API trash story", self.editor().get("/admin/trash").text)

    def test_trash_withdraws_queued_mail(self):
        ed = self.editor()
        _, sid = self.create_story(ed, "Mail then trash", action="publish")
        con = self.db()
        try:
            for i, status in enumerate(("queued", "sent")):
                con.execute(
                    "INSERT INTO outbox (kind, recipient, subject, body_text,"
                    " article_id, status, next_try_at, created_at)"
                    " VALUES ('notify', ?, 'News', 'text', ?, ?,"
                    " unixepoch() + 86400, unixepoch())",
                    ("trashreader%d@example.org" % i, sid, status))
            con.commit()
        finally:
            con.close()
        self.assertEqual(ed.post("/admin/stories/%d/delete" % sid).status, 303)
        rows = self.query("SELECT status FROM outbox WHERE article_id = ?"
                          " ORDER BY id", sid)
        self.assertEqual([x["status"] for x in rows], ["failed", "sent"])

    def test_author_deletes_own_draft_to_the_trash(self):
        au = self.author()
        _, sid = self.create_story(au, "Author's doomed draft")
        self.assertEqual(au.post("/admin/stories/%d/delete" % sid).status, 303)
        r = au.get("/admin/trash")
        self.assertIn("Author&#39;s doomed draft", r.text)
        self.assertNotIn("/admin/trash/%d/restore" % sid, r.text)

    def test_purge_after_30_days(self):
        ed = self.editor()
        _, old = self.create_story(ed, "Old trash", action="publish")
        _, new = self.create_story(ed, "New trash")
        self.query("INSERT INTO comments (article_id, name, body, status,"
                   " created_at) VALUES (?, 'R', 'c', 'approved', 0)", old)
        for sid in (old, new):
            self.assertEqual(ed.post("/admin/stories/%d/delete" % sid).status,
                             303)
        con = self.db()
        con.execute("UPDATE articles SET deleted_at = deleted_at - 31 * 86400"
                    " WHERE id = ?", (old,))
        con.commit()
        con.close()
        r, doc = ed.page("/admin/trash")
        self.assertIn("Deleted for good soon", r.text)
        p = self.gz.cli_ok("trash", "purge")
        self.assertIn("purged 1 story", p.stdout)
        self.assertIsNone(self.story_row(id=old))
        self.assertEqual(self.query("SELECT count(*) FROM comments WHERE"
                                    " article_id = ?", old)[0][0], 0)
        self.assertEqual(self.query("SELECT count(*) FROM story_revisions"
                                    " WHERE article_id = ?", old)[0][0], 0)
        self.assertIsNotNone(self.story_row(id=new))
        p = self.gz.cli("trash", "purge", "--older-than", "x")
        self.assertNotEqual(p.returncode, 0)
        p = self.gz.cli_ok("trash", "purge", "--older-than", "0")
        self.assertIsNone(self.story_row(id=new))
        self.assertNotIn("New trash", ed.get("/admin/trash").text)

    def test_ids_are_never_reused(self):
        ed = self.editor()
        _, sid = self.create_story(ed, "The newest story of all")
        self.assertEqual(self.query("SELECT max(id) FROM articles")[0][0], sid)
        ed.post("/admin/stories/%d/delete" % sid)
        self.gz.cli_ok("trash", "purge", "--older-than", "0")
        self.assertIsNone(self.story_row(id=sid))
        _, sid2 = self.create_story(ed, "A story after the purge")
        self.assertGreater(sid2, sid)
        # The API and imports take fresh ids too.
        ed.post("/admin/stories/%d/delete" % sid2)
        self.gz.cli_ok("trash", "purge", "--older-than", "0")
        s = self.one(self.api("POST", "/articles", {"title": "API after",
                                                    "markdown": "x"},
                              token=self.token("editor")), "articles", 201)
        self.assertGreater(s["id"], sid2)
        # An INSERT that lets SQLite choose an old id is refused.
        con = self.db()
        try:
            con.execute("DELETE FROM articles WHERE id = ?", (s["id"],))
            con.commit()
            with self.assertRaises(sqlite3.IntegrityError):
                con.execute(
                    "INSERT INTO articles (author_id, slug, title, updated_at,"
                    " created_at) VALUES (1, 'reuse-attempt', 'x', 0, 0)")
        finally:
            con.rollback()
            con.close()


class Upgrade(unittest.TestCase):
    """Migration 0012 on a database made by the migrations before it, with
    content: the stories survive, get a first revision, and the trash and
    the id guard work."""

    @classmethod
    def setUpClass(cls):
        cls.gz = harness.Gazette(demo=False)

    @classmethod
    def tearDownClass(cls):
        cls.gz.cleanup()

    def test_upgrade_keeps_content(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        con = sqlite3.connect(self.gz.db)
        con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY"
                    " KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
        for path in sorted(glob.glob(os.path.join(root, "sql", "*.sql"))):
            base = os.path.basename(path)
            version = int(base.split("_", 1)[0])
            if version >= 12:
                continue
            with open(path) as f:
                con.executescript(f.read())
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)",
                        (version, base[:-4]))
        con.execute("INSERT INTO users (id, email, name, slug, role,"
                    " created_at) VALUES (1, 'w@example.org', 'Wanda',"
                    " 'wanda', 'editor', 0)")
        con.execute("INSERT INTO tags (id, slug, name, created_at) VALUES"
                    " (1, 'harbour', 'Harbour', 0)")
        for i in (1, 2, 5):
            con.execute("INSERT INTO articles (id, status, author_id,"
                        " published_at, updated_at, created_at, slug, title,"
                        " markdown) VALUES (?, 'published', 1, 100, 200, 100,"
                        " ?, ?, ?)", (i, "old-%d" % i, "Old %d" % i,
                                      "Body %d" % i))
        con.execute("INSERT INTO article_tags VALUES (5, 1, 0)")
        con.commit()
        con.close()
        self.gz.cli_ok("migrate")
        con = sqlite3.connect(self.gz.db)
        try:
            rows = con.execute("SELECT id, title, deleted_at FROM articles"
                               " ORDER BY id").fetchall()
            self.assertEqual(rows, [(1, "Old 1", None), (2, "Old 2", None),
                                    (5, "Old 5", None)])
            revs = con.execute("SELECT article_id, n, user_id, created_at,"
                               " title, markdown, tags FROM story_revisions"
                               " ORDER BY article_id").fetchall()
            self.assertEqual(revs[2], (5, 1, 1, 200, "Old 5", "Body 5",
                                       '["Harbour"]'))
            self.assertEqual(len(revs), 3)
            self.assertEqual(con.execute("SELECT high FROM article_id_high")
                             .fetchone()[0], 5)
            self.assertIn(12, [r[0] for r in con.execute(
                "SELECT version FROM schema_migrations")])
        finally:
            con.close()


class BackgroundPurge(unittest.TestCase):
    """The server's background thread purges the trash at start (and
    every ten minutes): a story deleted 31 days ago goes, one deleted a day
    ago stays."""

    def test_server_purges_old_trash(self):
        gz = harness.Gazette()
        try:
            gz.prepare()
            con = sqlite3.connect(gz.db)
            ids = [r[0] for r in con.execute(
                "SELECT id FROM articles WHERE status = 'published'"
                " ORDER BY id LIMIT 2")]
            for sid, days in zip(ids, (31, 1)):
                con.execute("UPDATE articles SET trashed_status = status,"
                            " status = 'draft', deleted_at = unixepoch() -"
                            " ? * 86400 WHERE id = ?", (days, sid))
            con.commit()
            con.close()
            gz.start(prepare=False)

            def gone():
                c = sqlite3.connect(gz.db, timeout=10)
                try:
                    return c.execute("SELECT count(*) FROM articles WHERE"
                                     " id = ?", (ids[0],)).fetchone()[0] == 0
                finally:
                    c.close()
            deadline = time.monotonic() + 10
            while not gone() and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertTrue(gone(), "the 31-day-old story is purged")
            c = sqlite3.connect(gz.db, timeout=10)
            try:
                self.assertEqual(c.execute(
                    "SELECT count(*) FROM articles WHERE id = ?",
                    (ids[1],)).fetchone()[0], 1)
            finally:
                c.close()
            self.assertEqual(gz.stop(), 0)
        finally:
            gz.cleanup()
