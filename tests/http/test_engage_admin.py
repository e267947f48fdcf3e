"""The newsroom's side of readers (SPEC section 3): the comment
moderation queue (approve, spam, delete, one or in bulk) and the
subscribers (list, status filter, search, pagination, delete, CSV export
with formula injection neutralised, mailing progress), for editors and
admins only, with CSRF on every change.
"""
import csv
import io
import re
import time
import unittest

import harness
from test_engage_common import EngageCase, wait_until

HOSTILE = "<script>alert(1)</script>"


class ModerationTests(EngageCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_user("ed@example.com", "Ed Itor", "editor")
        cls.add_user("au@example.com", "Au Thor", "author")
        cls.add_user("ad@example.com", "Ad Min", "admin")

    def setUp(self):
        if not hasattr(type(self), "editor"):
            type(self).editor = self.login("ed@example.com")

    def held(self, slug, name="Held Person", body="Please approve me.",
             email=""):
        self.set_setting("comment_policy", "hold")
        r = self.post("/articles/%s/comments" % slug,
                      {"name": name, "body": body, "email": email},
                      json_accept=True, source=harness.new_client_address())
        self.assertEqual(r.status, 202, r.text)
        return r.json()["id"]

    def status(self, cid):
        return self.one("SELECT status FROM comments WHERE id = ?", (cid,))

    # -- access ------------------------------------------------------------------

    def test_only_editors_and_admins(self):
        for path in ("/admin/comments", "/admin/subscribers",
                     "/admin/subscribers.csv"):
            r = self.get(path)
            self.assertEqual(r.status, 303, path)
            self.assertTrue(r.header("Location").startswith(
                "/admin/login?next="), path)
            cookie, _ = self.login("au@example.com")
            self.assertEqual(self.get_as(path, cookie).status, 403, path)
            cookie, _ = self.login("ad@example.com")
            self.assertEqual(self.get_as(path, cookie).status, 200, path)
            self.assertEqual(self.get_as(path, self.editor[0]).status, 200,
                             path)
        cookie, csrf = self.login("au@example.com")
        slug = self.published_slug()
        cid = self.held(slug)
        r = self.admin_post("/admin/comments", {"do": "approve:%d" % cid},
                            cookie, csrf)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.status(cid), "pending")

    def test_csrf_required(self):
        cookie, csrf = self.editor
        cid = self.held(self.published_slug())
        r = self.admin_post("/admin/comments", {"do": "approve:%d" % cid},
                            cookie, None)
        self.assertEqual(r.status, 403)
        r = self.admin_post("/admin/comments", {"do": "approve:%d" % cid},
                            cookie, "0" * 64)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.status(cid), "pending")
        sid = self.sql("INSERT INTO subscribers (email, status, created_at)"
                       " VALUES ('keep@example.com', 'active', 1)"
                       " RETURNING id")[0][0]
        r = self.admin_post("/admin/subscribers/%d/delete" % sid, {}, cookie,
                            None)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.one("SELECT count(*) FROM subscribers WHERE"
                                  " id = ?", (sid,)), 1)

    # -- the queue ------------------------------------------------------------------

    def test_queue_shows_held_comments(self):
        cookie, csrf = self.editor
        slug = self.published_slug()
        title = self.one("SELECT title FROM articles WHERE slug = ?", (slug,))
        cid = self.held(slug, name=HOSTILE, body="Body with <b>tags</b>\nand"
                        " a second line", email="held.mail@example.com")
        r = self.get_as("/admin/comments", cookie)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        doc = harness.parse_html(r.text)
        self.assertEqual(doc.find("h1").text.strip(), "Comments")
        row = doc.find("tr", id="comment-%d" % cid)
        self.assertIsNotNone(row)
        self.assertIn(HOSTILE, row.text)           # shown as text...
        self.assertNotIn(HOSTILE, r.text)          # ...escaped
        self.assertNotIn("<b>tags</b>", r.text)
        self.assertIn("held.mail@example.com", row.text)  # moderators see it
        self.assertIn(title, row.text)
        self.assertIsNotNone(doc.find("input", name="id_%d" % cid))
        self.assertIsNotNone(doc.find("button", value="approve:%d" % cid))
        self.assertIsNotNone(doc.find("input", name="csrf", value=csrf))
        cur = [a for a in doc.find_all("a", cls="nr-tabs__link")
               if a.get("aria-current") == "page"]
        self.assertEqual(cur[0].get("href"), "/admin/comments?status=pending")
        # JSON, same model.
        j = self.get_as("/admin/comments?status=pending", cookie,
                        json_accept=True).json()
        self.assertEqual(j["status"], "pending")
        self.assertIn(cid, [c["id"] for c in j["comments"]])
        self.assertGreaterEqual(j["counts"]["pending"], 1)
        self.assertEqual(self.get_as("/admin/comments?status=nope",
                                     cookie).status, 400)
        self.assertEqual(self.get_as("/admin/comments?page=0",
                                     cookie).status, 400)

    def test_approve_one_shows_it_on_the_story_at_once(self):
        cookie, csrf = self.editor
        slug = self.published_slug()
        before = self.get("/articles/" + slug).text  # now cached
        cid = self.held(slug, body="Worth approving")
        self.assertNotIn("Worth approving", self.get("/articles/" + slug).text)
        count = int(re.search(r'comments__count">(\d+)<', before).group(1))
        r = self.admin_post("/admin/comments",
                            {"do": "approve:%d" % cid, "status": "pending"},
                            cookie, csrf)
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(r.header("Location"),
                         "/admin/comments?status=pending&done=approve&n=1")
        self.assertEqual(self.status(cid), "approved")
        page = self.get("/articles/" + slug).text
        self.assertIn("Worth approving", page)
        self.assertIn('comments__count">%d<' % (count + 1), page)
        doc = harness.parse_html(self.get_as(r.header("Location"),
                                             cookie).text)
        self.assertIn("1 comment approved",
                      doc.find("p", cls="nr-notice").text)
        # Spam takes it off the page again.
        self.admin_post("/admin/comments", {"do": "spam:%d" % cid}, cookie,
                        csrf)
        self.assertEqual(self.status(cid), "spam")
        self.assertNotIn("Worth approving", self.get("/articles/" + slug).text)
        j = self.get_as("/admin/comments?status=spam", cookie,
                        json_accept=True).json()
        self.assertIn(cid, [c["id"] for c in j["comments"]])

    def test_bulk_actions(self):
        cookie, csrf = self.editor
        slug = self.published_slug()
        a, b, c = (self.held(slug, body="bulk %d" % i) for i in range(3))
        r = self.admin_post("/admin/comments",
                            {"id_%d" % a: "on", "id_%d" % b: "on",
                             "action": "spam", "status": "pending"},
                            cookie, csrf)
        self.assertEqual(r.status, 303)
        self.assertIn("done=spam&n=2", r.header("Location"))
        self.assertEqual([self.status(x) for x in (a, b, c)],
                         ["spam", "spam", "pending"])
        # A comma list works too (scripts); delete removes them.
        r = self.admin_post("/admin/comments",
                            {"ids": "%d,%d" % (a, c), "action": "delete"},
                            cookie, csrf, json_accept=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"ok": True, "action": "delete",
                                    "changed": 2})
        self.assertEqual([self.status(x) for x in (a, b, c)],
                         [None, "spam", None])
        # Nothing selected: back with a hint, nothing changes.
        r = self.admin_post("/admin/comments",
                            {"action": "approve", "status": "spam"},
                            cookie, csrf)
        self.assertEqual(r.status, 303)
        self.assertIn("status=spam&done=none", r.header("Location"))
        self.assertEqual(self.status(b), "spam")
        # Unknown actions are refused.
        r = self.admin_post("/admin/comments",
                            {"id_%d" % b: "on", "action": "publish"},
                            cookie, csrf)
        self.assertEqual(r.status, 400)
        r = self.admin_post("/admin/comments", {"do": "approve:x"}, cookie,
                            csrf)
        self.assertEqual(r.status, 400)
        self.assertEqual(self.status(b), "spam")

    def test_deleting_a_comment_deletes_its_replies(self):
        cookie, csrf = self.editor
        slug = self.published_slug()
        self.set_setting("comment_policy", "approve")
        top = self.post("/articles/%s/comments" % slug,
                        {"name": "T", "body": "top"}, json_accept=True,
                        source=harness.new_client_address()).json()["id"]
        rep = self.post("/articles/%s/comments" % slug,
                        {"name": "R", "body": "reply", "parent_id": top},
                        json_accept=True,
                        source=harness.new_client_address()).json()["id"]
        self.admin_post("/admin/comments", {"do": "delete:%d" % top}, cookie,
                        csrf)
        self.assertIsNone(self.status(top))
        self.assertIsNone(self.status(rep))

    # -- subscribers ----------------------------------------------------------------

    def add_subscribers(self, rows):
        with self.db() as c:
            for email, name, status in rows:
                c.execute("INSERT INTO subscribers (email, name, status,"
                          " created_at) VALUES (?, ?, ?, unixepoch())",
                          (email, name, status))

    def test_subscriber_list_filter_search_pages(self):
        cookie, _ = self.editor
        self.add_subscribers([("list%02d@example.net" % i, "Lister %d" % i,
                               ("active", "pending", "unsubscribed")[i % 3])
                              for i in range(60)])
        self.add_subscribers([("findme@example.org", "Zora Q. Findable",
                               "active")])
        j = self.get_as("/admin/subscribers", cookie, json_accept=True).json()
        total = j["counts"]["total"]
        self.assertGreaterEqual(total, 61)
        self.assertEqual(len(j["subscribers"]), 50)
        self.assertEqual(j["pagination"]["pages"], (total + 49) // 50)
        self.assertTrue(j["pagination"]["next_url"].endswith("page=2"))
        j2 = self.get_as(j["pagination"]["next_url"], cookie,
                         json_accept=True).json()
        self.assertEqual(len(j2["subscribers"]), total - 50)
        seen = {s["email"] for s in j["subscribers"] + j2["subscribers"]}
        self.assertEqual(len(seen), total)
        j = self.get_as("/admin/subscribers?status=pending", cookie,
                        json_accept=True).json()
        self.assertTrue(j["subscribers"])
        self.assertEqual({s["status"] for s in j["subscribers"]},
                         {"pending"})
        for q in ("findme", "FINDABLE", "zora q"):
            j = self.get_as("/admin/subscribers?q=" +
                            q.replace(" ", "+"), cookie,
                            json_accept=True).json()
            self.assertEqual([s["email"] for s in j["subscribers"]],
                             ["findme@example.org"], q)
        # % and _ are plain characters in a search.
        j = self.get_as("/admin/subscribers?q=%25", cookie,
                        json_accept=True).json()
        self.assertEqual(j["subscribers"], [])
        j = self.get_as("/admin/subscribers?status=active&q=findme", cookie,
                        json_accept=True).json()
        self.assertEqual(len(j["subscribers"]), 1)
        self.assertEqual(j["csv_url"],
                         "/admin/subscribers.csv?status=active&q=findme")
        # The page.
        r = self.get_as("/admin/subscribers?q=findme", cookie)
        doc = harness.parse_html(r.text)
        self.assertIn("findme@example.org", r.text)
        form = [f for f in doc.find_all("form")
                if (f.get("action") or "").endswith("/delete")]
        self.assertEqual(len(form), 1)
        self.assertEqual(form[0].get("method"), "post")
        self.assertEqual(self.get_as("/admin/subscribers?status=x",
                                     cookie).status, 400)

    def test_subscriber_delete(self):
        cookie, csrf = self.editor
        self.add_subscribers([("delete.me@example.com", "", "active")])
        sid = self.one("SELECT id FROM subscribers WHERE email ="
                       " 'delete.me@example.com'")
        self.sql("INSERT INTO outbox (kind, recipient, subject, body_text,"
                 " subscriber_id, status, next_try_at, created_at)"
                 " VALUES ('notify', 'delete.me@example.com', 's', 't', ?,"
                 " 'queued', unixepoch() + 3600, unixepoch())", (sid,))
        r = self.admin_post("/admin/subscribers/%d/delete" % sid,
                            {"back": "/admin/subscribers?status=active"},
                            cookie, csrf)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"),
                         "/admin/subscribers?status=active&deleted=1")
        self.assertIsNone(self.one("SELECT id FROM subscribers WHERE id = ?",
                                   (sid,)))
        self.assertEqual(self.one("SELECT count(*) FROM outbox WHERE"
                                  " recipient = 'delete.me@example.com'"), 0)
        r = self.admin_post("/admin/subscribers/%d/delete" % sid, {}, cookie,
                            csrf)
        self.assertEqual(r.status, 404)
        r = self.admin_post("/admin/subscribers/abc/delete", {}, cookie, csrf)
        self.assertEqual(r.status, 404)
        # An outside "back" is not followed.
        self.add_subscribers([("delete.two@example.com", "", "active")])
        sid = self.one("SELECT id FROM subscribers WHERE email ="
                       " 'delete.two@example.com'")
        r = self.admin_post("/admin/subscribers/%d/delete" % sid,
                            {"back": "//evil.example/"}, cookie, csrf)
        self.assertEqual(r.header("Location"), "/admin/subscribers?deleted=1")

    def test_csv_export(self):
        cookie, _ = self.editor
        tricky = [
            ("csv1@example.com", '=HYPERLINK("http://evil.example")',
             "active"),
            ("csv2@example.com", "+1 555", "active"),
            ("csv3@example.com", "-2+3", "active"),
            ("csv4@example.com", "@SUM(A1)", "active"),
            ("csv5@example.com", 'Comma, "Quoted" Name', "active"),
            ("csv6@example.com", "Two\nLines", "pending"),
            ("csv7@example.com", "Ünïcode", "unsubscribed"),
        ]
        self.add_subscribers(tricky)
        r = self.get_as("/admin/subscribers.csv?q=csv", cookie)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.ctype, "text/csv")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertTrue(r.body.startswith(
            b"email,name,status,created_at,confirmed_at\r\n"))
        rows = list(csv.reader(io.StringIO(r.text, newline="")))
        self.assertEqual(rows[0], ["email", "name", "status", "created_at",
                                   "confirmed_at"])
        got = {row[0]: row for row in rows[1:]}
        self.assertEqual(set(got), {t[0] for t in tricky})
        self.assertEqual(got["csv1@example.com"][1],
                         "'=HYPERLINK(\"http://evil.example\")")
        self.assertEqual(got["csv2@example.com"][1], "'+1 555")
        self.assertEqual(got["csv3@example.com"][1], "'-2+3")
        self.assertEqual(got["csv4@example.com"][1], "'@SUM(A1)")
        self.assertEqual(got["csv5@example.com"][1], 'Comma, "Quoted" Name')
        self.assertEqual(got["csv6@example.com"][1], "Two\nLines")
        self.assertEqual(got["csv7@example.com"][1], "Ünïcode")
        self.assertEqual(got["csv7@example.com"][2], "unsubscribed")
        self.assertRegex(got["csv1@example.com"][3],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIn(b'"Comma, ""Quoted"" Name"', r.body)
        # No bare formula anywhere.
        for row in rows[1:]:
            for v in row:
                self.assertFalse(v[:1] in ("=", "+", "-", "@"), row)
        # Filters apply.
        r = self.get_as("/admin/subscribers.csv?status=pending&q=csv", cookie)
        rows = list(csv.reader(io.StringIO(r.text, newline="")))
        self.assertEqual([row[0] for row in rows[1:]], ["csv6@example.com"])

    def test_mailing_progress(self):
        cookie, _ = self.editor
        aid = self.new_story("progress-story", "Progress story", notified=1)
        with self.db() as c:
            for i, status in enumerate(["sent"] * 3 + ["queued"] * 2 +
                                       ["failed"]):
                c.execute("INSERT INTO outbox (kind, recipient, subject,"
                          " body_text, article_id, status, attempts,"
                          " next_try_at, created_at, last_error)"
                          " VALUES ('notify', ?, 's', 't', ?, ?, 1,"
                          " unixepoch() + 3600, unixepoch(), ?)",
                          ("p%d@example.com" % i, aid, status,
                           "550 no such user" if status == "failed"
                           else None))
        j = self.get_as("/admin/subscribers", cookie, json_accept=True).json()
        p = [x for x in j["progress"] if x["article_id"] == aid][0]
        self.assertEqual((p["total"], p["sent"], p["queued"], p["failed"]),
                         (6, 3, 2, 1))
        self.assertEqual(p["percent"], 50)
        self.assertFalse(p["done"])
        self.assertEqual(p["last_error"], "550 no such user")
        self.assertEqual(p["title"], "Progress story")
        r = self.get_as("/admin/subscribers", cookie)
        doc = harness.parse_html(r.text)
        prog = [e for e in doc.find_all("progress")]
        self.assertTrue(any(e.get("max") == "6" and e.get("value") == "3"
                            for e in prog))
        self.assertIn("3 of 6", r.text)

    def test_real_mailing_shows_in_progress(self):
        """A story published while subscribers are active: its mailing
        appears, and completes (no SMTP here: logged and marked sent)."""
        cookie, _ = self.editor
        self.add_subscribers([("real%d@example.com" % i, "", "active")
                              for i in range(4)])
        aid = self.new_story("real-progress", "Real progress")
        self.assertTrue(wait_until(lambda: self.one(
            "SELECT count(*) FROM outbox WHERE article_id = ? AND"
            " status = 'sent'", (aid,)) >= 4))
        j = self.get_as("/admin/subscribers", cookie, json_accept=True).json()
        p = [x for x in j["progress"] if x["article_id"] == aid][0]
        self.assertEqual(p["sent"], p["total"])
        self.assertTrue(p["done"])
        self.assertGreaterEqual(p["total"], 4)


if __name__ == "__main__":
    unittest.main()
