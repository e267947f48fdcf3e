"""`gazette export` / `gazette import` move a whole site (SPEC section 8):
settings, users (without password hashes, sessions or API tokens), tags,
media rows, stories of every status, comments with their moderation
status and replies, and subscribers (without their tokens). Import takes
it all back in one transaction, idempotently, and refuses a bad file
naming the item, with nothing written.

Also the feeds: a story without an excerpt is described by its
automatic excerpt in /feed.xml, /tags/SLUG/feed.xml and the meta
descriptions of its page.

The site is the demo plus what readers and the newsroom add through the
real paths (CLI `user add` and `token create`, sign-in, the subscribe
and comment forms); stories and media rows the newsroom would make are
written straight into the database, as the engagement tests do.
"""
import json
import os
import sqlite3
import time
import urllib.parse
import xml.etree.ElementTree as ET

import harness
from test_engage_common import EngageCase, PASSWORD

TABLES = ("users", "tags", "articles", "article_tags", "comments",
          "subscribers", "media", "settings")

NEW_USER = "casey.newman@example.org"
OFF_USER = "dana.gone@example.org"
ACTIVE = "active.reader@example.org"
PENDING = "pending.reader@example.org"
SHA = "ab" * 32


def counts(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return {t: c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                for t in TABLES}
    finally:
        c.close()


def keys_of(doc):
    """Every object key anywhere in a JSON document."""
    out = set()
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.add(k)
            out |= keys_of(v)
    elif isinstance(doc, list):
        for v in doc:
            out |= keys_of(v)
    return out


def by(items, key, value):
    found = [x for x in items if x.get(key) == value]
    return found[0] if found else None


class ExportImport(EngageCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        gz = cls.gz
        # Users with passwords (Argon2id hashes in the database), a
        # session and an API token: none of that may leave.
        cls.add_user(NEW_USER, "Casey Newman", "editor")
        cls.add_user(OFF_USER, "Dana Gone", "author")
        gz.cli_ok("token", "create", "--name", "export test", "--user",
                  NEW_USER)
        r = gz.request("POST", "/admin/login",
                       {"Content-Type": "application/x-www-form-urlencoded"},
                       urllib.parse.urlencode({"email": NEW_USER,
                                               "password": PASSWORD}))
        assert r.status == 303, r.text[:300]
        c = sqlite3.connect(gz.db, timeout=10)
        try:
            with c:
                c.execute("UPDATE users SET disabled = 1 WHERE email = ?",
                          (OFF_USER,))
                author = c.execute("SELECT id FROM users WHERE email = ?",
                                   (NEW_USER,)).fetchone()[0]
                now = int(time.time())
                # A draft (no publication time, no excerpt, comments
                # closed, an image of unknown size, two tags in order) and
                # a scheduled story, as the newsroom saves them.
                c.execute(
                    "INSERT INTO articles (slug, title, excerpt, markdown,"
                    " html, plain, status, author_id, comments_open,"
                    " notified, image_url, image_alt, image_caption,"
                    " created_at, updated_at)"
                    " VALUES ('export-draft', 'An unfinished draft', '',"
                    " 'Draft *body*.', '<p>Draft <em>body</em>.</p>',"
                    " 'Draft body.', 'draft', ?, 0, 0, '/media/%s.png',"
                    " 'Alt text', 'A caption', ?, ?)" % SHA,
                    (author, now - 7200, now - 3600))
                draft = c.execute("SELECT id FROM articles WHERE slug ="
                                  " 'export-draft'").fetchone()[0]
                c.execute("INSERT INTO article_tags (article_id, tag_id,"
                          " position) SELECT ?, id, CASE slug WHEN 'science'"
                          " THEN 0 ELSE 1 END FROM tags WHERE slug IN"
                          " ('science', 'city')", (draft,))
                c.execute(
                    "INSERT INTO articles (slug, title, excerpt, markdown,"
                    " html, plain, status, author_id, notified, created_at,"
                    " updated_at, published_at) VALUES ('export-scheduled',"
                    " 'Coming soon', 'Later.', 'Soon.', '<p>Soon.</p>',"
                    " 'Soon.', 'scheduled', ?, 0, ?, ?, ?)",
                    (author, now - 60, now - 60, now + 30 * 86400))
                c.execute(
                    "INSERT INTO media (sha256, path, mime, bytes, width,"
                    " height, user_id, created_at) VALUES (?, ?,"
                    " 'image/png', 1234, 640, 480, ?, ?)",
                    (SHA, "/media/%s.png" % SHA, author, now - 100))
                c.execute("INSERT OR REPLACE INTO settings (key, value)"
                          " VALUES ('comment_policy', 'approve')")
        finally:
            c.close()

        def post(path, fields):
            return gz.request(
                "POST", path,
                {"Content-Type": "application/x-www-form-urlencoded",
                 "Accept": "application/json"},
                urllib.parse.urlencode(fields),
                source=harness.new_client_address())

        def setting(key, value):
            c = sqlite3.connect(gz.db, timeout=10)
            with c:
                c.execute("INSERT OR REPLACE INTO settings (key, value)"
                          " VALUES (?, ?)", (key, value))
            c.close()

        # Subscribers: one active (no double opt-in without mail), one
        # pending (double opt-in forced on: a confirmation token exists).
        r = post("/subscribe", {"email": ACTIVE, "name": "Active Reader",
                                "website": ""})
        assert r.status == 200, r.text[:300]
        setting("double_opt_in", "on")
        r = post("/subscribe", {"email": PENDING, "name": "", "website": ""})
        assert r.status == 200, r.text[:300]
        setting("double_opt_in", "")
        # Comments: an approved one, then (held) a reply to it and a
        # held comment with an email address.
        slug = "textile-mill-working-museum"
        cls.story = slug
        r = post("/articles/%s/comments" % slug,
                 {"name": "Top Reader", "email": "", "website": "",
                  "body": "An approved comment.", "parent_id": ""})
        assert r.status == 201, r.text[:300]
        top = r.json()["id"]
        setting("comment_policy", "hold")
        r = post("/articles/%s/comments" % slug,
                 {"name": "Reply Person", "email": "", "website": "",
                  "body": "A held reply.", "parent_id": str(top)})
        assert r.status == 202, r.text[:300]
        r = post("/articles/%s/comments" % slug,
                 {"name": "Held Person", "email": "held@example.org",
                  "website": "", "body": "Please hold me.", "parent_id": ""})
        assert r.status == 202, r.text[:300]

    # -- helpers --

    def export(self, gz=None):
        p = (gz or self.gz).cli("export")
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def write(self, doc, name):
        path = os.path.join(self.gz.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return path

    def fresh(self):
        g = harness.Gazette(demo=False)
        self.addCleanup(g.cleanup)
        g.prepare()
        return g

    # -- tests --

    def test_export_has_everything(self):
        doc = json.loads(self.export())
        for k in ("settings", "authors", "tags", "media", "articles",
                  "subscribers"):
            self.assertIn(k, doc)
        self.assertEqual(doc["settings"].get("comment_policy"), "hold")

        u = by(doc["authors"], "email", NEW_USER)
        self.assertIsNotNone(u, "the new user is not exported")
        self.assertEqual(u["name"], "Casey Newman")
        self.assertEqual(u["role"], "editor")
        self.assertIs(u["disabled"], False)
        self.assertRegex(u["created_at"], r"^\d{4}-\d\d-\d\dT")
        self.assertIn("slug", u)
        self.assertIn("bio", u)
        self.assertIs(by(doc["authors"], "email", OFF_USER)["disabled"], True)
        # Demo authors are there too.
        self.assertIsNotNone(by(doc["authors"], "slug", "maren-okafor"))

        draft = by(doc["articles"], "slug", "export-draft")
        self.assertIsNotNone(draft, "the draft is not exported")
        self.assertEqual(draft["status"], "draft")
        self.assertEqual(draft["markdown"], "Draft *body*.")
        self.assertEqual(draft["excerpt"], "")
        self.assertEqual(draft["tags"], ["science", "city"])
        self.assertIs(draft["comments_open"], False)
        self.assertNotIn("published_at", draft)
        self.assertEqual(draft["feature_image"]["url"],
                         "/media/%s.png" % SHA)
        self.assertEqual(draft["feature_image"]["alt"], "Alt text")
        self.assertNotIn("width", draft["feature_image"])
        for k in ("created_at", "updated_at", "author"):
            self.assertIn(k, draft)
        sched = by(doc["articles"], "slug", "export-scheduled")
        self.assertEqual(sched["status"], "scheduled")
        self.assertIn("published_at", sched)

        story = by(doc["articles"], "slug", self.story)
        top = by(story["comments"], "name", "Top Reader")
        self.assertEqual(top["status"], "approved")
        self.assertEqual([(r["name"], r["status"]) for r in top["replies"]],
                         [("Reply Person", "pending")])
        held = by(story["comments"], "name", "Held Person")
        self.assertEqual(held["status"], "pending")
        self.assertEqual(held["email"], "held@example.org")
        self.assertEqual(held["body"], "Please hold me.")
        self.assertIn("created_at", held)

        a = by(doc["subscribers"], "email", ACTIVE)
        p = by(doc["subscribers"], "email", PENDING)
        self.assertEqual(a["status"], "active")
        self.assertEqual(a["name"], "Active Reader")
        self.assertIn("confirmed_at", a)
        self.assertEqual(p["status"], "pending")
        self.assertNotIn("confirmed_at", p)
        self.assertIn("created_at", p)

        m = by(doc["media"], "sha256", SHA)
        self.assertEqual(m, {"sha256": SHA, "path": "/media/%s.png" % SHA,
                             "mime": "image/png", "bytes": 1234,
                             "width": 640, "height": 480,
                             "created_at": m["created_at"]})

    def test_export_holds_no_secrets(self):
        text = self.export()
        self.assertNotIn("$argon2", text)
        self.assertNotIn("hash", text.lower())
        for k in keys_of(json.loads(text)):
            for bad in ("password", "session", "token", "hash", "csrf",
                        "client"):
                self.assertNotIn(bad, k.lower(), "key %r exported" % k)
        # None of the secrets the database holds appears anywhere.
        c = sqlite3.connect("file:%s?mode=ro" % self.gz.db, uri=True)
        try:
            secrets = [r[0] for q in (
                "SELECT password_hash FROM users",
                "SELECT token_hash FROM sessions",
                "SELECT csrf FROM sessions",
                "SELECT token_hash FROM api_tokens",
                "SELECT confirm_hash FROM subscribers",
                "SELECT token_hash FROM outbox") for r in c.execute(q)
                if r[0]]
        finally:
            c.close()
        self.assertGreaterEqual(len(secrets), 5, "the setup made no secrets")
        for s in secrets:
            self.assertNotIn(s, text)

    def test_round_trip_into_a_fresh_database(self):
        text = self.export()
        doc = json.loads(text)
        path = self.write(text, "round.json")
        g = self.fresh()
        self.assertEqual(counts(g.db)["articles"], 0)
        r = g.cli("import", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(self.export(g)), doc,
                         "export(import(export(x))) != export(x)")
        n = counts(g.db)
        mine = counts(self.gz.db)
        for t in TABLES:
            self.assertEqual(n[t], mine[t], t)
        c = sqlite3.connect("file:%s?mode=ro" % g.db, uri=True)
        try:
            # Imported users cannot sign in; no session or token came.
            self.assertEqual(c.execute(
                "SELECT count(*) FROM users WHERE password_hash IS NOT NULL"
            ).fetchone()[0], 0)
            self.assertEqual(c.execute("SELECT count(*) FROM sessions"
                                       " UNION ALL SELECT count(*) FROM"
                                       " api_tokens").fetchall(),
                             [(0,), (0,)])
            self.assertEqual(c.execute(
                "SELECT count(*) FROM subscribers WHERE confirm_hash IS NOT"
                " NULL OR unsub_hash IS NOT NULL").fetchone()[0], 0)
            # Old news is not mailed; the scheduled story will be.
            self.assertEqual(dict(c.execute(
                "SELECT slug, notified FROM articles WHERE slug IN"
                " ('export-scheduled', ?)", (self.story,)).fetchall()),
                {"export-scheduled": 0, self.story: 1})
        finally:
            c.close()
        # The imported user signs in only once given a password.
        r = g.cli("user", "add", "--email", NEW_USER, "--name",
                  "Casey Newman", "--role", "editor", input=PASSWORD + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_import_twice_duplicates_nothing(self):
        text = self.export()
        path = self.write(text, "twice.json")
        g = self.fresh()
        g.cli_ok("import", path)
        once = counts(g.db)
        first = json.loads(self.export(g))
        g.cli_ok("import", path)
        self.assertEqual(counts(g.db), once)
        self.assertEqual(json.loads(self.export(g)), first)
        # Into the site it came from: nothing changes either.
        before = counts(self.gz.db)
        self.gz.cli_ok("import", path)
        self.assertEqual(counts(self.gz.db), before)
        self.assertEqual(json.loads(self.export()), json.loads(text))

    def test_demo_file_still_imports(self):
        g = self.fresh()
        g.cli_ok("import", os.path.join(harness.ROOT, "demo", "demo.json"))
        once = counts(g.db)
        self.assertGreater(once["articles"], 0)
        self.assertGreater(once["comments"], 0)
        g.cli_ok("import", os.path.join(harness.ROOT, "demo", "demo.json"))
        self.assertEqual(counts(g.db), once)

    def broken(self, mutate, need):
        """Imports the export changed by mutate(doc); it must fail with
        one line naming `need`, and leave the database as it was."""
        before_text = self.export()
        before = counts(self.gz.db)
        doc = json.loads(before_text)
        # Valid new things first, so a partial write would show.
        doc["authors"].append({"name": "Not Kept", "slug": "not-kept",
                               "email": "not.kept@example.org"})
        doc["tags"].append({"name": "Not Kept", "slug": "not-kept"})
        doc["subscribers"].insert(0, {"email": "not.kept@example.org",
                                      "status": "active"})
        mutate(doc)
        p = self.gz.cli("import", self.write(doc, "broken.json"))
        self.assertNotEqual(p.returncode, 0)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(need, lines[0], "the bad item is not named")
        self.assertEqual(counts(self.gz.db), before)
        self.assertEqual(json.loads(self.export()), json.loads(before_text),
                         "a failed import changed the database")
        return lines[0]

    def test_broken_article_author(self):
        def mutate(doc):
            i = [a["slug"] for a in doc["articles"]].index("export-draft")
            doc["articles"][i]["author"] = "nobody-at-all"
            mutate.i = i
        line = self.broken(mutate, "articles[")
        self.assertIn("articles[%d].author" % mutate.i, line)
        self.assertIn("nobody-at-all", line)

    def test_broken_subscriber(self):
        def mutate(doc):
            doc["subscribers"].append({"email": "no at sign",
                                       "status": "active"})
            mutate.i = len(doc["subscribers"]) - 1
        self.broken(mutate, "subscribers[")

    def test_broken_items(self):
        cases = [
            (lambda d: d["subscribers"].append(
                {"email": "x@example.org", "status": "maybe"}),
             "].status"),
            (lambda d: d["media"].append(
                {"sha256": SHA, "path": "/media/../../etc/passwd",
                 "mime": "image/png", "bytes": 1}), "media[1].path"),
            (lambda d: d["authors"].append(
                {"name": "Clash", "slug": "maren-okafor",
                 "email": "someone.else@example.org"}), ".slug"),
            (lambda d: d["authors"][0].update(disabled="yes"),
             "authors[0].disabled"),
            (lambda d: by(d["articles"], "slug", self.story)["comments"]
             .append({"name": "", "body": "x"}), ".name"),
            # the site's time zone (issue 10): a tz database name only
            (lambda d: d["settings"].update(timezone="../../etc/passwd"),
             "settings.timezone"),
            (lambda d: d["settings"].update(timezone="Mars/Olympus"),
             "settings.timezone"),
        ]
        for mutate, need in cases:
            with self.subTest(need=need):
                self.broken(mutate, need)


class FeedExcerpts(harness.ServerTestCase):
    """A published story without an excerpt is described by the start of
    its text in the feeds and its page's meta descriptions."""

    BODY = ("The harbour board met on Monday evening to decide the future "
            "of the old ferry slip. ") * 8

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        doc = {"articles": [
            {"slug": "no-excerpt-story", "title": "A story with no excerpt",
             "markdown": cls.BODY, "author": "maren-okafor",
             "tags": ["city"], "status": "published", "published_at": t},
            {"slug": "with-excerpt-story", "title": "A story with one",
             "excerpt": "Written by hand.", "markdown": "Body text here.",
             "author": "maren-okafor", "tags": ["city"],
             "status": "published", "published_at": t}]}
        path = os.path.join(cls.gz.tmp, "feeds.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        cls.gz.cli_ok("import", path)

    def descriptions(self, path):
        r = self.get_ok(path, ctype=None)
        root = ET.fromstring(r.body)
        return {i.findtext("title"): i.findtext("description") or ""
                for i in root.iter("item")}

    def test_feeds(self):
        for path in ("/feed.xml", "/tags/city/feed.xml"):
            with self.subTest(path=path):
                d = self.descriptions(path)
                got = d.get("A story with no excerpt")
                self.assertIsNotNone(got, "the story is not in %s" % path)
                self.assertTrue(got.strip(), "empty <description> in " + path)
                self.assertTrue(got.startswith("The harbour board met"), got)
                self.assertLessEqual(len(got), 320)
                self.assertNotIn("<", got)
                self.assertEqual(d.get("A story with one"), "Written by hand.")

    def test_meta_descriptions(self):
        _, doc = self.page("/articles/no-excerpt-story")
        for key in ("description", "og:description", "twitter:description"):
            v = doc.meta(key)
            self.assertTrue(v and v.startswith("The harbour board met"),
                            "%s: %r" % (key, v))
        _, doc = self.page("/articles/with-excerpt-story")
        for key in ("description", "og:description", "twitter:description"):
            self.assertEqual(doc.meta(key), "Written by hand.", key)

    def ld(self, slug):
        _, doc = self.page("/articles/" + slug)
        return json.loads(doc.find("script", type="application/ld+json").text)

    def test_jsonld_description(self):
        d = self.ld("no-excerpt-story")["description"]
        self.assertTrue(d.startswith("The harbour board met"),
                        "JSON-LD description: %r" % d)
        self.assertEqual(self.ld("with-excerpt-story")["description"],
                         "Written by hand.")
