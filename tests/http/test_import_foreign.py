"""`gazette import --from ghost|wordpress FILE [--media-dir DIR]`
(docs/IMPORT.md): a Ghost JSON export and a WordPress WXR 1.2 file, both
written by hand in their real shape with the tricky cases (unicode, HTML
entities, a post without an author, comment replies, pending/spam/trash
comments, pingbacks, a scheduled post, a draft, a page, a table and an
embed, a feature image), are imported into a fresh database; the site then
shows them, the old URLs answer 301 to the new ones, a second run
duplicates nothing, and bad files leave the database untouched with a
one-line error.
"""
import hashlib
import json
import os
import pty
import select
import sqlite3
import struct
import subprocess
import zlib

import harness

GHOST = harness.fixture("ghost-export.json")
WXR = harness.fixture("wordpress-export.xml")
TABLES = ("users", "tags", "articles", "article_tags", "comments", "media",
          "redirects")


def png(w, h):
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))

    def chunk(t, d):
        return (struct.pack(">I", len(d)) + t + d +
                struct.pack(">I", zlib.crc32(t + d)))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def counts(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return {t: c.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                for t in TABLES}
    finally:
        c.close()


def query(db, sql, *args):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


class ImportCase(harness.ServerTestCase):
    """A fresh database (no demo), the import run twice, then the server."""
    FROM = None
    FILE = None
    MEDIA = {}  # path under --media-dir -> bytes

    @classmethod
    def setUpClass(cls):
        gz = cls.gz = harness.Gazette(demo=False)
        try:
            gz.extra_env["GAZETTE_DATA_DIR"] = os.path.join(gz.tmp, "data")
            gz.cli_ok("init")
            args = ["import", "--from", cls.FROM, cls.FILE]
            if cls.MEDIA:
                media = os.path.join(gz.tmp, "export-media")
                for rel, data in cls.MEDIA.items():
                    p = os.path.join(media, rel)
                    os.makedirs(os.path.dirname(p), exist_ok=True)
                    with open(p, "wb") as f:
                        f.write(data)
                args += ["--media-dir", media]
            cls.first = gz.cli_ok(*args)
            cls.after_first = counts(gz.db)
            cls.second = gz.cli_ok(*args)
            cls.after_second = counts(gz.db)
            gz.start(prepare=False)
        except BaseException:
            gz.cleanup()
            raise

    def redirects_to(self, old, new):
        r = self.get(old)
        self.assertEqual(r.status, 301, "GET %s: %d" % (old, r.status))
        loc = r.header("Location") or ""
        self.assertTrue(loc.endswith(new), "GET %s: Location %r, expected "
                        "%s" % (old, loc, new))
        # and the new URL is the story's page
        self.assertEqual(self.get(new).status, 200, new)

    def api(self, path):
        r = self.get(path)
        self.assertEqual(r.status, 200, "%s: %d %s" % (path, r.status,
                                                        r.body[:200]))
        return r.json()


class GhostImport(ImportCase):
    FROM = "ghost"
    FILE = GHOST
    MEDIA = {"content/images/2024/05/cafe.png": png(3, 2)}

    def test_report_counts_skips_and_losses(self):
        out = self.first.stdout
        self.assertIn("stories: 5 imported, 0 updated, 2 skipped", out)
        self.assertIn('skipped page "About us"', out)
        self.assertIn("a page, not a post", out)
        self.assertIn('skipped tag "#hidden"', out)
        # The table stays a table (sanitized HTML): not a loss any more;
        # the embed, which no story may hold, is.
        self.assertRegex(out, r'Election night.*embedded media \(kept as a '
                              r'link\)')
        self.assertNotIn("table (", out)
        self.assertNotIn("figure caption", out)
        self.assertRegex(out, r'Unsigned letter.*no author in the export '
                              r'\(attributed to zoe\)')
        self.assertRegex(out, r'Half-written draft.*co-authors')
        self.assertIn("1 images stored", out)

    def test_second_run_duplicates_nothing(self):
        self.assertIn("stories: 0 imported, 5 updated", self.second.stdout)
        self.assertEqual(self.after_first, self.after_second)
        self.assertEqual(self.after_first["articles"], 5)
        self.assertEqual(self.after_first["media"], 1)

    def test_story_html_entities_and_unicode(self):
        r, doc = self.page("/articles/cafe-society")
        body = r.text
        self.assertIn("Café society: “quotes” &amp; ampersands", body)
        self.assertIn("Crème brûlée at the café costs €5 &amp; it’s worth "
                      "it.\u00a0Really.", body)
        self.assertIn("<h2>A <em>second</em> look</h2>", body)
        self.assertIn('href="https://example.org/review?id=1&amp;x=2"', body)
        self.assertIn("<strong>bold *stars*</strong>", body)
        self.assertIn("<code>a_b</code>", body)
        self.assertIn("<blockquote>", body)
        # a captioned figure stays a figure (its image in the media store)
        self.assertRegex(body, r'<figure><img src="/media/[0-9a-f]{64}\.png" '
                               r'alt="A café" width="2" height="2" />'
                               r'<figcaption>The café at dawn</figcaption>'
                               r'</figure>')

    def test_api_author_tags_excerpt(self):
        a = self.api("/api/v1/articles/cafe-society")["articles"][0]
        self.assertEqual(a["primary_author"]["slug"], "zoe")
        self.assertEqual(a["primary_author"]["name"], "Zoë Écrivain")
        self.assertEqual([t["slug"] for t in a["tags"]], ["food-drink"])
        self.assertEqual(a["tags"][0]["name"], "Food & Drink")
        self.assertEqual(a["custom_excerpt"], "Prices, pastries & people.")
        self.assertEqual(a["published_at"], "2024-05-01T10:00:00Z")
        u = self.api("/api/v1/articles/unsigned-letter")["articles"][0]
        self.assertEqual(u["primary_author"]["slug"], "zoe")

    def test_feature_and_body_images_in_media_store(self):
        a = self.api("/api/v1/articles/cafe-society")["articles"][0]
        sha = hashlib.sha256(self.MEDIA["content/images/2024/05/cafe.png"]
                             ).hexdigest()
        path = "/media/%s.png" % sha
        self.assertTrue(a["feature_image"]["url"].endswith(path), a)
        self.assertEqual(a["feature_image"]["alt"], "The café")
        self.assertEqual(a["feature_image"]["caption"], "Morning at the café")
        self.assertIn('src="%s"' % path, a["html"])
        self.assertNotIn("__GHOST_URL__", a["html"])
        r = self.get(path)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(query(self.gz.db, "SELECT width, height FROM media"),
                         [(3, 2)])

    def test_table_kept_and_embed_converted_visibly(self):
        a = self.api("/api/v1/articles/election-night")["articles"][0]
        self.assertIn("<table><thead><tr><th>Party</th><th>Seats</th></tr>"
                      "</thead><tbody><tr><td>Blue</td><td>42</td></tr><tr>"
                      "<td>Green</td><td>17</td></tr></tbody></table>",
                      a["html"])
        self.assertIn('href="https://www.youtube.com/embed/abc123?feature='
                      'oembed"', a["html"])
        self.assertNotIn("<iframe", a["html"])
        # the story page shows the real table, cells and all
        r, doc = self.page("/articles/election-night")
        self.assertEqual(len(doc.find_all("table")), 1)
        self.assertEqual([td.text for td in doc.find_all("td")],
                         ["Blue", "42", "Green", "17"])
        self.assertEqual([th.text for th in doc.find_all("th")],
                         ["Party", "Seats"])
        # and its text is searchable
        r = self.get("/search?q=Green")
        self.assertIn("/articles/election-night", r.text)

    def test_statuses(self):
        rows = dict(query(self.gz.db, "SELECT slug, status FROM articles"))
        self.assertEqual(rows, {"cafe-society": "published",
                                "election-night": "published",
                                "budget-preview": "scheduled",
                                "unsigned-letter": "published",
                                "half-written": "draft"})
        self.assertEqual(self.get("/articles/budget-preview").status, 404)
        self.assertEqual(self.get("/articles/half-written").status, 404)
        self.assertEqual(self.get("/articles/about").status, 404)

    def test_old_urls_redirect(self):
        self.redirects_to("/cafe-society/", "/articles/cafe-society")
        self.redirects_to("/cafe-society", "/articles/cafe-society")
        self.redirects_to("/election-night/", "/articles/election-night")
        self.redirects_to("/tag/food-drink/", "/tags/food-drink")
        self.redirects_to("/author/rory/", "/authors/rory")
        r = self.head("/cafe-society/")
        self.assertEqual(r.status, 301)

    def test_unpublished_and_unknown_old_urls_are_404(self):
        self.assertEqual(self.get("/budget-preview/").status, 404)
        self.assertEqual(self.get("/half-written/").status, 404)
        self.assertEqual(self.get("/about/").status, 404)
        self.assertEqual(self.get("/tag/hash-hidden/").status, 404)
        self.assertEqual(self.get("/no-such-post/").status, 404)
        r = self.request("POST", "/cafe-society/", body=b"")
        self.assertNotEqual(r.status, 301)

    def test_redirect_follows_a_later_slug_change(self):
        c = sqlite3.connect(self.gz.db)
        try:
            c.execute("UPDATE articles SET slug = 'cafe-society-2024' WHERE"
                      " slug = 'cafe-society'")
            c.commit()
        finally:
            c.close()
        try:
            self.redirects_to("/cafe-society/", "/articles/cafe-society-2024")
        finally:
            c = sqlite3.connect(self.gz.db)
            c.execute("UPDATE articles SET slug = 'cafe-society' WHERE"
                      " slug = 'cafe-society-2024'")
            c.commit()
            c.close()

    def test_export_keeps_redirects_and_round_trips(self):
        p = self.gz.cli_ok("export")
        doc = json.loads(p.stdout)
        paths = {r["path"]: r for r in doc["redirects"]}
        self.assertEqual(paths["/cafe-society"], {"path": "/cafe-society",
                                                  "article": "cafe-society"})
        self.assertEqual(paths["/tag/food-drink"]["tag"], "food-drink")
        other = harness.Gazette(demo=False)
        try:
            other.cli_ok("init")
            f = os.path.join(other.tmp, "site.json")
            with open(f, "w") as fh:
                fh.write(p.stdout)
            other.cli_ok("import", f)
            self.assertEqual(
                sorted(query(other.db, "SELECT path FROM redirects")),
                sorted((k,) for k in paths))
        finally:
            other.cleanup()


class WordPressImport(ImportCase):
    FROM = "wordpress"
    FILE = WXR

    def test_report_counts_skips_and_losses(self):
        out = self.first.stdout
        self.assertIn("stories: 5 imported, 0 updated, 4 skipped", out)
        self.assertIn('skipped page "Contact" (id 2): a page, not a post', out)
        self.assertIn('skipped nav_menu_item "Home" (id 30)', out)
        self.assertRegex(out, r"skipped comment 106 .*: in the trash")
        self.assertRegex(out, r"skipped comment 107 .*: a pingback")
        self.assertRegex(out, r'Letter from nobody.*no author in the export '
                              r'\(attributed to admin\)')
        self.assertRegex(out, r'slug "caf%c3%a9-au-lait" is now '
                              r'"cafe-au-lait"')
        self.assertIn("0 images stored", out)

    def test_second_run_duplicates_nothing(self):
        self.assertIn("stories: 0 imported, 5 updated", self.second.stdout)
        self.assertEqual(self.after_first, self.after_second)
        self.assertEqual(self.after_first["comments"], 5)

    def test_story_autop_entities_unicode(self):
        a = self.api("/api/v1/articles/cafe-au-lait")["articles"][0]
        self.assertEqual(a["title"], "Café au lait: a “proper” guide")
        self.assertIn("<p>Milk &amp; coffee, it’s that simple.\u00a0Almost."
                      "<br />\nSecond line of the first paragraph.</p>",
                      a["html"])
        self.assertIn("3 * 2 = 6 &lt;cheap&gt; and 1. not a list.", a["html"])
        self.assertIn("<li>Milk</li>", a["html"])
        self.assertNotIn("[caption", a["html"])
        self.assertEqual(a["custom_excerpt"], "Milk and coffee.")
        self.assertEqual(a["primary_author"]["name"], "Jürgen Doe")
        self.assertEqual([t["slug"] for t in a["tags"]],
                         ["world", "europe", "coffee"])
        self.assertEqual(a["tags"][0]["name"], "World & Europe")
        self.assertEqual(a["published_at"], "2024-05-02T08:30:00Z")
        # no --media-dir: the feature image stays at its URL
        self.assertEqual(a["feature_image"]["url"],
                         "https://press.example.com/wp-content/uploads/2024/"
                         "05/coffee.png")
        self.assertEqual(a["feature_image"]["alt"], "A steaming café au lait")

    def test_gutenberg_code_table_embed(self):
        a = self.api("/api/v1/articles/election-results")["articles"][0]
        self.assertIn("<h2>What next</h2>", a["html"])
        self.assertIn("if (a &lt; b) { return &quot;x&quot;; }\n\ndone();",
                      a["html"])
        self.assertIn("<table><tbody><tr><td>Blue</td><td>42</td></tr><tr>"
                      "<td>Green</td><td>17</td></tr></tbody></table>",
                      a["html"])
        self.assertIn("https://www.youtube.com/embed/xyz", a["html"])
        self.assertNotIn("<iframe", a["html"])
        r, doc = self.page("/articles/election-results")
        self.assertEqual([td.text for td in doc.find_all("td")],
                         ["Blue", "42", "Green", "17"])
        self.assertFalse(a["comments_open"])

    def test_comments_threading_and_approval(self):
        c = self.api("/api/v1/articles/cafe-au-lait/comments")["comments"]
        self.assertEqual([x["name"] for x in c],
                         ["Marie Curieuse", "Jürgen Doe", "Marie Curieuse"])
        self.assertEqual(c[0]["body"], "Lovely piece & très utile!")
        self.assertIsNone(c[0]["parent_id"])
        # a reply, and a reply to the reply (one level in Gazette)
        self.assertEqual(c[1]["parent_id"], c[0]["id"])
        self.assertEqual(c[1]["body"], "Thanks Marie, merci!")
        self.assertEqual(c[2]["parent_id"], c[0]["id"])
        rows = dict(query(self.gz.db, "SELECT name, status FROM comments"
                          " WHERE status != 'approved'"))
        self.assertEqual(rows, {"Waiting Reader": "pending",
                                "Cheap Pills": "spam"})
        r, doc = self.page("/articles/cafe-au-lait")
        self.assertIn("Lovely piece &amp; très utile!", r.text)
        self.assertNotIn("Still in moderation", r.text)
        self.assertNotIn("Buy now", r.text)
        self.assertNotIn("Deleted one", r.text)

    def test_statuses_and_slugs(self):
        rows = dict(query(self.gz.db, "SELECT slug, status FROM articles"))
        self.assertEqual(rows, {"cafe-au-lait": "published",
                                "election-results": "published",
                                "budget-2099": "scheduled",
                                "notes-for-later": "draft",
                                "letter-from-nobody": "published"})

    def test_permalinks_redirect(self):
        self.redirects_to("/2024/05/02/caf%C3%A9-au-lait/",
                          "/articles/cafe-au-lait")
        self.redirects_to("/?p=21", "/articles/cafe-au-lait")
        self.redirects_to("/archives/22", "/articles/election-results")
        self.redirects_to("/2024/05/06/letter-from-nobody/",
                          "/articles/letter-from-nobody")
        self.redirects_to("/category/world/", "/tags/world")
        self.redirects_to("/category/world/europe/", "/tags/europe")
        self.redirects_to("/category/europe/", "/tags/europe")
        self.redirects_to("/tag/coffee/", "/tags/coffee")
        self.redirects_to("/author/jdoe/", "/authors/jdoe")

    def test_export_round_trip_keeps_comments_and_redirects(self):
        p = self.gz.cli_ok("export")
        other = harness.Gazette(demo=False)
        try:
            other.cli_ok("init")
            f = os.path.join(other.tmp, "site.json")
            with open(f, "w") as fh:
                fh.write(p.stdout)
            other.cli_ok("import", f)
            for sql in ("SELECT a.slug, c.name, c.status, c.body,"
                        " (SELECT name FROM comments WHERE id = c.parent_id)"
                        " FROM comments c JOIN articles a"
                        " ON a.id = c.article_id ORDER BY c.id",
                        "SELECT r.path, a.slug, t.slug, u.slug FROM"
                        " redirects r LEFT JOIN articles a ON a.id ="
                        " r.article_id LEFT JOIN tags t ON t.id = r.tag_id"
                        " LEFT JOIN users u ON u.id = r.user_id"
                        " ORDER BY r.path"):
                self.assertEqual(query(other.db, sql), query(self.gz.db, sql))
        finally:
            other.cleanup()

    def test_unpublished_short_links_show_the_home_page(self):
        for p in ("/?p=23", "/?p=24", "/?p=999", "/?p=abc"):
            r = self.get(p)
            self.assertEqual(r.status, 200, p)
        self.assertEqual(self.get("/contact/").status, 404)


class BadFiles(harness.ServerTestCase):
    """Bad exports: one clear line on stderr, exit 1, nothing written. And
    an import into a running site: an old URL that was a 404 redirects
    right after (no stale cached answer)."""

    def bad(self, kind, content, expect, binary=False):
        f = os.path.join(self.gz.tmp, "bad-export")
        with open(f, "wb" if binary else "w") as fh:
            fh.write(content)
        before = counts(self.gz.db)
        p = self.gz.cli("import", "--from", kind, f)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("gazette: %s: " % f), lines[0])
        self.assertIn(expect, lines[0])
        self.assertEqual(counts(self.gz.db), before)
        return lines[0]

    def test_ghost_not_json(self):
        self.bad("ghost", "<rss></rss>", "not a Ghost export: invalid JSON")

    def test_ghost_wrong_shape(self):
        self.bad("ghost", '{"posts": []}', "not a Ghost export")

    def test_ghost_wrong_version(self):
        with open(GHOST) as fh:
            doc = json.load(fh)
        doc["db"][0]["meta"]["version"] = "1.25.0"
        self.bad("ghost", json.dumps(doc), "Ghost export version 1.25.0 is "
                 "not supported")

    def test_wxr_not_xml(self):
        self.bad("wordpress", '{"db": []}', "not a WordPress export: the XML "
                 "is not well-formed")

    def test_wxr_truncated(self):
        with open(WXR, "rb") as fh:
            data = fh.read()
        self.bad("wordpress", data[: len(data) // 2], "not well-formed",
                 binary=True)

    def test_wxr_wrong_version(self):
        with open(WXR) as fh:
            text = fh.read()
        self.bad("wordpress", text.replace(
            "<wp:wxr_version>1.2</wp:wxr_version>",
            "<wp:wxr_version>2.0</wp:wxr_version>"),
            "WXR version 2.0 is not supported")

    def test_rss_that_is_not_wxr(self):
        self.bad("wordpress", '<?xml version="1.0"?><rss version="2.0">'
                 "<channel><title>x</title></channel></rss>",
                 "not a WordPress export (WXR)")

    def test_no_xxe(self):
        secret = os.path.join(self.gz.tmp, "secret.txt")
        with open(secret, "w") as fh:
            fh.write("TOPSECRET")
        with open(WXR) as fh:
            text = fh.read()
        text = text.replace(
            "<rss version", '<!DOCTYPE rss [<!ENTITY x SYSTEM "file://%s">]>'
            "\n<rss version" % secret, 1).replace(
            "Not out yet.", "]]>&x;<![CDATA[")
        f = os.path.join(self.gz.tmp, "xxe.xml")
        with open(f, "w") as fh:
            fh.write(text)
        self.gz.cli("import", "--from", "wordpress", f)
        rows = query(self.gz.db, "SELECT markdown FROM articles")
        self.assertFalse(any("TOPSECRET" in r[0] for r in rows))

    def test_missing_file_and_bad_options(self):
        p = self.gz.cli("import", "--from", "ghost", "/nonexistent/x.json")
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot read the file", p.stderr)
        p = self.gz.cli("import", "--from", "medium", GHOST)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--from: expected ghost or wordpress", p.stderr)
        p = self.gz.cli("import", "--from", "ghost", GHOST, "--media-dir",
                        "/nonexistent")
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a directory", p.stderr)

    def test_long_unicode_fields_are_cut_not_refused(self):
        post = {"id": "p1", "title": "é" * 400, "slug": "long-one",
                "html": "<p>x</p>", "type": "post", "status": "published",
                "published_at": "2024-05-01T10:00:00.000Z",
                "custom_excerpt": "ü" * 600, "visibility": "public"}
        doc = {"db": [{"meta": {"version": "5.0.0"}, "data": {
            "posts": [post],
            "tags": [{"id": "t", "name": "ß" * 100, "slug": "long-tag",
                      "description": "ö" * 600}],
            "posts_tags": [{"post_id": "p1", "tag_id": "t",
                            "sort_order": 0}],
            "users": [{"id": "u", "name": "Ж" * 100, "slug": "zh",
                       "email": "zh@example.org"}],
            "posts_authors": [{"post_id": "p1", "author_id": "u",
                               "sort_order": 0}]}}]}
        f = os.path.join(self.gz.tmp, "long.json")
        with open(f, "w") as fh:
            json.dump(doc, fh)
        p = self.gz.cli_ok("import", "--from", "ghost", f)
        self.assertRegex(p.stdout, r"long-one|title shortened")
        (title, excerpt), = query(self.gz.db, "SELECT title, excerpt FROM"
                                  " articles WHERE slug = 'long-one'")
        self.assertTrue(title.startswith("éé") and title.endswith("…"))
        self.assertLessEqual(len(title.encode()), 300)
        self.assertLessEqual(len(excerpt.encode()), 1000)
        (name,), = query(self.gz.db, "SELECT name FROM tags WHERE slug ="
                         " 'long-tag'")
        self.assertLessEqual(len(name.encode()), 60)

    def test_progress_on_a_terminal_only(self):
        master, slave = pty.openpty()
        try:
            cmd = [harness.gazette_bin(), "--config", self.gz.conf, "--db",
                   self.gz.db, "import", "--from", "ghost", GHOST]
            p = subprocess.run(cmd, cwd=harness.ROOT, stdout=subprocess.PIPE,
                               stderr=slave, env=harness.base_env(
                                   self.gz.extra_env), timeout=60)
            os.close(slave)
            slave = None
            seen = b""
            while True:
                r, _, _ = select.select([master], [], [], 2.0)
                if not r:
                    break
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"\rstories 1/5", seen)
        self.assertIn(b"\rstories 5/5", seen)
        self.assertNotIn(b"stories 5/5", p.stdout)
        # not a terminal: no progress lines, only the report
        q = self.gz.cli_ok("import", "--from", "ghost", GHOST)
        self.assertNotIn("stories 1/5", q.stderr + q.stdout)
        self.assertIn("stories: 0 imported, 5 updated", q.stdout)

    def test_import_into_running_site_redirects_at_once(self):
        old = "/2024/05/06/letter-from-nobody/"
        self.assertEqual(self.get(old).status, 404)
        self.assertEqual(self.get("/?p=25").status, 200)
        self.gz.cli_ok("import", "--from", "wordpress", WXR)
        r = self.get(old)
        self.assertEqual(r.status, 301)
        self.assertTrue(r.header("Location").endswith(
            "/articles/letter-from-nobody"))
        self.assertEqual(self.get("/?p=25").status, 301)
        # the demo site keeps working, its own import still works
        self.assertEqual(self.get("/").status, 200)
