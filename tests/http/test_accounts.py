"""Accounts (issue 10, item 6): each user's own profile (name, bio,
avatar) and password, author pages with the bio, the avatar and a feed
(/authors/SLUG/feed.xml), password reset by a mailed single-use expiring
link (caught by the test SMTP server, tests/http/smtpd.py), and the
operator's `gazette user list` / `gazette user passwd EMAIL`.
"""
import re
import sqlite3
import time
import urllib.parse
import xml.etree.ElementTree as ET

import harness
import smtpd
from test_admin_support import PASSWORD, Client, NewsroomCase, png

FORM = "application/x-www-form-urlencoded"
SENT = "If an account uses that address, we have sent it a link"


def reset_token(text):
    m = re.search(r"/admin/reset/confirm\?token=([0-9a-f]{64})", text)
    return m.group(1) if m else None


class AccountsCase(NewsroomCase):
    """A newsroom with a test SMTP server for the reset mail."""

    smtp = None

    @classmethod
    def setUpClass(cls):
        cls.smtp = smtpd.SMTPServer().start()
        cls.ENV = dict(cls.ENV, GAZETTE_SMTP_URL=cls.smtp.url,
                       GAZETTE_MAIL_FROM="Gazette Desk <desk@example.org>")
        try:
            super().setUpClass()
        except BaseException:
            cls.smtp.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.smtp.stop()

    def signin(self, email, password=PASSWORD):
        """A Client signed in from an address of its own (the sign-in
        limits count per address)."""
        c = Client(self.gz)
        r = self.gz.request(
            "POST", "/admin/login",
            {"Content-Type": FORM, "Origin": c.origin},
            urllib.parse.urlencode({"email": email, "password": password}),
            source=harness.new_client_address())
        self.assertEqual(r.status, 303, r.text[:300])
        c._keep_cookie(r)
        self.assertTrue(c.cookie)
        return c

    def login_status(self, email, password):
        r = self.gz.request(
            "POST", "/admin/login",
            {"Content-Type": FORM, "Origin": "http://127.0.0.1:%d" %
             self.gz.port},
            urllib.parse.urlencode({"email": email, "password": password}),
            source=harness.new_client_address())
        return r.status

    def user(self, email):
        rows = self.query("SELECT * FROM users WHERE email = ?", email)
        return rows[0] if rows else None

    def ask_reset(self, email, source=None):
        return self.gz.request(
            "POST", "/admin/reset",
            {"Content-Type": FORM, "Origin": "http://127.0.0.1:%d" %
             self.gz.port},
            urllib.parse.urlencode({"email": email}),
            source=source or harness.new_client_address())

    def mail_to(self, addr, n=1):
        got = self.smtp.wait_for(n, 10, lambda m: addr in m.rcpts)
        self.assertGreaterEqual(len(got), n, "no mail to %s" % addr)
        return got


class Profile(AccountsCase):

    def test_profile_page_shows_own_values(self):
        c = self.signin("author@example.org")
        r, doc = c.page("/admin/profile")
        self.assertEqual(r.status, 200)
        self.assertEqual(doc.find("input", id="f-name").get("value"),
                         "Ann Author")
        self.assertIsNotNone(doc.find("form", action="/admin/profile"))
        self.assertIsNotNone(doc.find("form",
                                      action="/admin/profile/password"))
        self.assertIsNotNone(doc.find("a", href="/admin/profile"))
        # Signed out: to the sign-in page.
        r = self.gz.get("/admin/profile")
        self.assertEqual(r.status, 303)
        self.assertIn("/admin/login", r.header("Location"))

    def test_edit_name_and_bio_shows_on_author_page(self):
        c = self.signin("author2@example.org")
        bio = "Writes about <rivers> & \"bridges\".\nSecond line."
        r = c.post("/admin/profile", {"name": "Bob Q. Writer", "bio": bio},
                   multipart_form=True)
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(r.header("Location"), "/admin/profile?done=profile")
        self.assertIn("Profile saved", c.get(r.header("Location")).text)
        row = self.user("author2@example.org")
        self.assertEqual(row["name"], "Bob Q. Writer")
        self.assertEqual(row["bio"], bio)
        page = self.gz.get("/authors/%s" % row["slug"])
        self.assertEqual(page.status, 200)
        self.assertIn("Bob Q. Writer", page.text)
        self.assertIn("&lt;rivers&gt; &amp; &quot;bridges&quot;", page.text)
        self.assertNotIn("<rivers>", page.text)
        # urlencoded works too
        r = c.post("/admin/profile", {"name": "Bob Writer", "bio": ""})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.user("author2@example.org")["bio"], "")

    def test_profile_validation(self):
        c = self.signin("editor@example.org")
        before = self.user("editor@example.org")
        for fields, field in ((
                {"name": "", "bio": "kept bio"}, "name"),
                ({"name": "x" * 81, "bio": ""}, "name"),
                ({"name": "Ed", "bio": "b" * 2001}, "bio"),
                ({"name": "Ed", "bio": "bad\x01control"}, "bio")):
            r = c.post("/admin/profile", fields, multipart_form=True)
            self.assertEqual(r.status, 422, field)
            doc = harness.parse_html(r.text)
            self.assertIsNotNone(doc.find("p", id="f-%s-error" % field),
                                 fields)
            self.assertEqual(doc.find("input", id="f-name").get("value"),
                             fields["name"])
        after = self.user("editor@example.org")
        self.assertEqual(before["name"], after["name"])
        self.assertEqual(before["bio"], after["bio"])

    def test_profile_needs_csrf(self):
        c = self.signin("editor@example.org")
        r = c.post("/admin/profile", {"name": "Evil", "bio": ""},
                   csrf=False)
        self.assertEqual(r.status, 403)
        r = c.post("/admin/profile/password", {
            "current_password": PASSWORD, "password": "x" * 12,
            "password2": "x" * 12}, csrf="0" * 64)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.user("editor@example.org")["name"],
                         "Eddie Editor")

    def test_avatar_upload_shows_and_can_be_removed(self):
        c = self.signin("admin@example.org")
        # A published story by the admin, for the byline and author box.
        r = c.post("/admin/stories", {
            "title": "Avatar byline story", "markdown": "Body text.",
            "action": "publish", "tags": "avatars"})
        self.assertEqual(r.status, 303, r.text[:300])
        image = png(4, 4, (10, 120, 200))
        r = c.post("/admin/profile", {"name": "Ada Admin", "bio": "Hi."},
                   files=[("avatar", "me.png", image, "image/png")])
        self.assertEqual(r.status, 303, r.text[:300])
        row = self.user("admin@example.org")
        url = row["avatar_url"]
        self.assertRegex(url, r"^/media/[0-9a-f]{64}\.png$")
        self.assertEqual(self.gz.get(url).body, image)
        page = self.gz.get("/authors/%s" % row["slug"])
        doc = harness.parse_html(page.text)
        imgs = [i for i in doc.find_all("img") if i.get("src") == url]
        self.assertTrue(imgs, "avatar on the author page")
        self.assertTrue(imgs[0].has_class("avatar"))
        slug = self.query("SELECT slug FROM articles WHERE title = ?",
                          "Avatar byline story")[0]["slug"]
        story = self.gz.get("/articles/%s" % slug)
        self.assertEqual(story.status, 200)
        self.assertGreaterEqual(story.text.count('src="%s"' % url), 2,
                                "byline and author box")
        home = self.gz.get("/")
        self.assertIn('src="%s"' % url, home.text, "card byline")
        # The profile page shows it too, with a way to remove it.
        _, pdoc = c.page("/admin/profile")
        self.assertTrue([i for i in pdoc.find_all("img")
                         if i.get("src") == url])
        # Saving without a file keeps it.
        c.post("/admin/profile", {"name": "Ada Admin", "bio": "Hi."},
               multipart_form=True)
        self.assertEqual(self.user("admin@example.org")["avatar_url"], url)
        # Removing it brings the initials back.
        r = c.post("/admin/profile", {"name": "Ada Admin", "bio": "Hi.",
                                      "remove_avatar": "1"},
                   multipart_form=True)
        self.assertEqual(r.status, 303)
        self.assertEqual(self.user("admin@example.org")["avatar_url"], "")
        page = self.gz.get("/authors/%s" % row["slug"])
        self.assertNotIn('src="%s"' % url, page.text)
        self.assertIn(">AA<", page.text)

    def test_fake_image_avatar_refused(self):
        c = self.signin("author@example.org")
        before = self.user("author@example.org")["avatar_url"]
        r = c.post("/admin/profile", {"name": "Ann Author", "bio": ""},
                   files=[("avatar", "evil.png",
                           b"<script>alert(1)</script>" * 10, "image/png")])
        self.assertEqual(r.status, 415)
        self.assertIn("Only JPEG, PNG, WebP and GIF", r.text)
        self.assertEqual(self.user("author@example.org")["avatar_url"],
                         before)


class Password(AccountsCase):

    def test_wrong_current_password_refused(self):
        c = self.signin("author@example.org")
        r = c.post("/admin/profile/password", {
            "current_password": "not my password", "password":
            "a brand new password", "password2": "a brand new password"})
        self.assertEqual(r.status, 422)
        doc = harness.parse_html(r.text)
        self.assertIsNotNone(doc.find("p", id="f-current_password-error"))
        self.assertNotIn("a brand new password", r.text)
        self.assertEqual(self.login_status("author@example.org", PASSWORD),
                         303)
        self.assertEqual(self.login_status("author@example.org",
                                           "a brand new password"), 401)

    def test_new_password_rules(self):
        c = self.signin("author@example.org")
        for new, again, field in (("short", "short", "password"),
                                  ("long enough one", "long enough two",
                                   "password2")):
            r = c.post("/admin/profile/password", {
                "current_password": PASSWORD, "password": new,
                "password2": again})
            self.assertEqual(r.status, 422)
            doc = harness.parse_html(r.text)
            self.assertIsNotNone(doc.find("p", id="f-%s-error" % field))
        self.assertEqual(self.login_status("author@example.org", PASSWORD),
                         303)

    def test_change_password_ends_other_sessions(self):
        self.gz.cli_ok("user", "add", "--email", "pw@example.org", "--name",
                       "Pat Word", "--role", "author",
                       input=PASSWORD + "\n")
        mine = self.signin("pw@example.org")
        other = self.signin("pw@example.org")
        new = "another long password"
        r = mine.post("/admin/profile/password", {
            "current_password": PASSWORD, "password": new,
            "password2": new})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertIn("Password changed", mine.get(r.header("Location")).text)
        self.assertEqual(mine.get("/admin/stories").status, 200)
        r = other.get("/admin/stories")
        self.assertEqual(r.status, 303)
        self.assertIn("/admin/login", r.header("Location"))
        self.assertEqual(self.login_status("pw@example.org", PASSWORD), 401)
        self.assertEqual(self.login_status("pw@example.org", new), 303)


class AuthorFeed(AccountsCase):

    def test_feed_lists_only_that_authors_published_stories(self):
        rows = self.query(
            "SELECT u.slug, count(a.id) AS n FROM users u JOIN articles a"
            " ON a.author_id = u.id AND a.status = 'published'"
            " GROUP BY u.id ORDER BY n DESC")
        self.assertGreaterEqual(len(rows), 2, "demo has several authors")
        slug = rows[0]["slug"]
        # A draft of theirs must not show.
        uid = self.query("SELECT id FROM users WHERE slug = ?", slug)[0][0]
        now = int(time.time())
        con = self.db()
        with con:
            con.execute(
                "INSERT INTO articles (slug, title, excerpt, markdown, html,"
                " plain, status, author_id, created_at, updated_at)"
                " VALUES ('secret-draft-x', 'Secret draft X', '', 'B',"
                " '<p>B</p>', 'B', 'draft', ?, ?, ?)", (uid, now, now))
        con.close()
        r = self.gz.get("/authors/%s/feed.xml" % slug)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith(
            "application/rss+xml"))
        root = ET.fromstring(r.body)
        self.assertEqual(root.tag, "rss")
        self.assertEqual(root.get("version"), "2.0")
        channel = root.find("channel")
        self.assertIn(self.query("SELECT name FROM users WHERE slug = ?",
                                 slug)[0][0], channel.findtext("title"))
        links = [i.findtext("link") for i in channel.findall("item")]
        expected = self.query(
            "SELECT a.slug FROM articles a JOIN users u ON u.id ="
            " a.author_id WHERE u.slug = ? AND a.status = 'published'"
            " ORDER BY a.published_at DESC, a.id DESC LIMIT 20", slug)
        self.assertEqual([urllib.parse.urlparse(l).path for l in links],
                         ["/articles/%s" % e["slug"] for e in expected])
        self.assertNotIn("Secret draft X", r.text)
        # Another author's feed has none of these.
        other = self.gz.get("/authors/%s/feed.xml" % rows[1]["slug"])
        self.assertEqual(other.status, 200)
        for e in expected:
            self.assertNotIn("/articles/%s<" % e["slug"], other.text)
        # Unknown or malformed author.
        self.assertEqual(self.gz.get("/authors/nobody-here/feed.xml").status,
                         404)
        self.assertEqual(self.gz.get("/authors/BAD%20SLUG/feed.xml").status,
                         404)

    def test_feed_and_author_page_link_and_refresh(self):
        c = self.signin("editor@example.org")
        slug = self.user("editor@example.org")["slug"]
        r = c.post("/admin/stories", {"title": "Editor feed story",
                                      "markdown": "Body.",
                                      "action": "publish"})
        self.assertEqual(r.status, 303, r.text[:300])
        feed = self.gz.get("/authors/%s/feed.xml" % slug)
        self.assertIn("Editor feed story", feed.text)
        page = self.gz.get("/authors/%s" % slug)
        self.assertIn('href="/authors/%s/feed.xml"' % slug, page.text)
        alt = [l for l in harness.parse_html(page.text).find_all("link")
               if l.get("rel") == "alternate"]
        self.assertIn("/authors/%s/feed.xml" % slug,
                      [l.get("href") for l in alt])
        # A story page names no author feed in its head.
        self.assertNotIn('feed.xml" rel', self.gz.get("/").text)
        # The cached feed follows a profile change (key author-SLUG).
        c.post("/admin/profile", {"name": "Eddie Editor",
                                  "bio": "Edits the morning desk."},
               multipart_form=True)
        feed = self.gz.get("/authors/%s/feed.xml" % slug)
        self.assertIn("Edits the morning desk.", feed.text)
        # And a new story of theirs.
        c.post("/admin/stories", {"title": "Second editor story",
                                  "markdown": "Body.", "action": "publish"})
        self.assertIn("Second editor story",
                      self.gz.get("/authors/%s/feed.xml" % slug).text)


class Reset(AccountsCase):

    def test_unknown_address_gets_the_same_answer(self):
        self.gz.cli_ok("user", "add", "--email", "known@example.org",
                       "--name", "Known One", "--role", "author",
                       input=PASSWORD + "\n")
        self.smtp.clear()
        t0 = time.monotonic()
        known = self.ask_reset("known@example.org")
        t1 = time.monotonic()
        unknown = self.ask_reset("nobody@example.org")
        t2 = time.monotonic()
        self.assertEqual(known.status, 200)
        self.assertEqual(unknown.status, 200)
        self.assertIn(SENT, known.text)
        strip = lambda t: re.sub(r'value="[^"]*@example.org"', "", t)
        self.assertEqual(strip(known.text), strip(unknown.text))
        # Roughly the same time (no password hashing on either path).
        self.assertLess(abs((t1 - t0) - (t2 - t1)), 0.5)
        self.mail_to("known@example.org")
        time.sleep(0.5)
        self.assertEqual(self.smtp.to("nobody@example.org"), [])
        self.assertEqual(self.query(
            "SELECT count(*) FROM outbox WHERE recipient ="
            " 'nobody@example.org'")[0][0], 0)

    def test_link_works_once_and_ends_other_sessions(self):
        self.gz.cli_ok("user", "add", "--email", "forgot@example.org",
                       "--name", "Fay Forgot", "--role", "editor",
                       input=PASSWORD + "\n")
        elsewhere = self.signin("forgot@example.org")
        self.assertEqual(elsewhere.get("/admin/stories").status, 200)
        r = self.ask_reset("Forgot@Example.org")
        self.assertEqual(r.status, 200)
        m = self.mail_to("forgot@example.org")[-1]
        self.assertIn("Reset your password", m.header("Subject"))
        self.assertIn("desk@example.org", m.header("From"))
        token = reset_token(m.part("text/plain"))
        self.assertTrue(token)
        self.assertEqual(token, reset_token(m.part("text/html")))
        # Only the hash is stored.
        row = self.query("SELECT * FROM password_resets WHERE token_hash ="
                         " ?", __import__("hashlib").sha256(
                             token.encode()).hexdigest())
        self.assertEqual(len(row), 1)
        self.assertEqual(self.query(
            "SELECT count(*) FROM password_resets WHERE token_hash = ?",
            token)[0][0], 0)
        # The link's page.
        r = self.gz.get("/admin/reset/confirm?token=" + token)
        self.assertEqual(r.status, 200)
        self.assertIn('value="%s"' % token, r.text)
        self.assertIsNotNone(harness.parse_html(r.text).find(
            "form", action="/admin/reset/confirm"))
        origin = {"Content-Type": FORM,
                  "Origin": "http://127.0.0.1:%d" % self.gz.port}
        # A password too short: the form again, the link still good.
        r = self.gz.request("POST", "/admin/reset/confirm", origin,
                            urllib.parse.urlencode({
                                "token": token, "password": "short",
                                "password2": "short"}))
        self.assertEqual(r.status, 422)
        self.assertIsNotNone(harness.parse_html(r.text).find(
            "p", id="f-password-error"))
        new = "my fresh new password"
        r = self.gz.request("POST", "/admin/reset/confirm", origin,
                            urllib.parse.urlencode({
                                "token": token, "password": new,
                                "password2": new}))
        self.assertEqual(r.status, 303, r.text[:300])
        me = Client(self.gz)
        me._keep_cookie(r)
        self.assertTrue(me.cookie, "signed in")
        self.assertEqual(me.get("/admin/stories").status, 200)
        # Other sessions ended; old password gone; new one works.
        self.assertEqual(elsewhere.get("/admin/stories").status, 303)
        self.assertEqual(self.login_status("forgot@example.org", PASSWORD),
                         401)
        self.assertEqual(self.login_status("forgot@example.org", new), 303)
        # Single use.
        self.assertEqual(
            self.gz.get("/admin/reset/confirm?token=" + token).status, 410)
        r = self.gz.request("POST", "/admin/reset/confirm", origin,
                            urllib.parse.urlencode({
                                "token": token, "password": "yet another pw",
                                "password2": "yet another pw"}))
        self.assertEqual(r.status, 410)
        self.assertIn("expired or was already used", r.text)
        self.assertEqual(self.login_status("forgot@example.org", new), 303)

    def test_bad_tokens_refused(self):
        for q in ("", "?token=", "?token=abc", "?token=" + "0" * 64,
                  "?token=" + "G" * 64):
            self.assertEqual(
                self.gz.get("/admin/reset/confirm" + q).status, 410, q)

    def test_form_and_validation(self):
        r = self.gz.get("/admin/reset")
        self.assertEqual(r.status, 200)
        self.assertIsNotNone(harness.parse_html(r.text).find(
            "form", action="/admin/reset"))
        self.assertIn('href="/admin/reset"', self.gz.get(
            "/admin/login").text)
        r = self.ask_reset("not an address")
        self.assertEqual(r.status, 422)
        self.assertIsNotNone(harness.parse_html(r.text).find(
            "p", id="f-email-error"))

    def test_rate_limited_per_address(self):
        self.gz.cli_ok("user", "add", "--email", "flood@example.org",
                       "--name", "Flo Od", "--role", "author",
                       input=PASSWORD + "\n")
        statuses = [self.ask_reset("flood@example.org").status
                    for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])
        # Unknown addresses are limited the same way.
        statuses = [self.ask_reset("ghost@example.org").status
                    for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])
        self.assertEqual(len(self.mail_to("flood@example.org", 3)), 3)

    def test_disabled_user_gets_no_link(self):
        self.gz.cli_ok("user", "add", "--email", "gone@example.org",
                       "--name", "Gone Away", "--role", "author",
                       input=PASSWORD + "\n")
        con = self.db()
        with con:
            con.execute("UPDATE users SET disabled = 1 WHERE email ="
                        " 'gone@example.org'")
        con.close()
        r = self.ask_reset("gone@example.org")
        self.assertEqual(r.status, 200)
        self.assertIn(SENT, r.text)
        time.sleep(0.5)
        self.assertEqual(self.smtp.to("gone@example.org"), [])


class ResetExpiry(AccountsCase):
    ENV = {"GAZETTE_RESET_TTL": "1"}

    def test_expired_link_refused(self):
        r = self.ask_reset("author@example.org")
        self.assertEqual(r.status, 200)
        m = self.mail_to("author@example.org")[-1]
        self.assertIn("within 1 minutes", m.part("text/plain"))
        token = reset_token(m.part("text/plain"))
        time.sleep(2.2)
        self.assertEqual(
            self.gz.get("/admin/reset/confirm?token=" + token).status, 410)
        r = self.gz.request(
            "POST", "/admin/reset/confirm",
            {"Content-Type": FORM,
             "Origin": "http://127.0.0.1:%d" % self.gz.port},
            urllib.parse.urlencode({"token": token,
                                    "password": "late password here",
                                    "password2": "late password here"}))
        self.assertEqual(r.status, 410)
        self.assertEqual(self.login_status("author@example.org", PASSWORD),
                         303)


class Cli(AccountsCase):

    def test_user_list(self):
        self.signin("editor@example.org")
        con = self.db()
        with con:
            con.execute("UPDATE users SET disabled = 1 WHERE email ="
                        " 'author2@example.org'")
        con.close()
        p = self.gz.cli_ok("user", "list")
        lines = p.stdout.splitlines()
        self.assertIn("email", lines[0])
        self.assertIn("last sign-in", lines[0])
        by = {l.split()[0]: l for l in lines[1:]}
        self.assertIn("admin", by["admin@example.org"])
        self.assertIn("Eddie Editor", by["editor@example.org"])
        self.assertRegex(by["editor@example.org"], r"\d{4}-\d\d-\d\dT")
        self.assertIn("disabled", by["author2@example.org"])
        self.assertIn("never", by["author2@example.org"])
        self.assertIn("no-password", by["maren.okafor@example.org"])
        con = self.db()
        with con:
            con.execute("UPDATE users SET disabled = 0 WHERE email ="
                        " 'author2@example.org'")
        con.close()

    def test_user_passwd(self):
        self.gz.cli_ok("user", "add", "--email", "locked@example.org",
                       "--name", "Lock Ed", "--role", "admin",
                       input=PASSWORD + "\n")
        session = self.signin("locked@example.org")
        new = "operator chose this"
        p = self.gz.cli_ok("user", "passwd", "locked@example.org",
                           input=new + "\n")
        self.assertIn("locked@example.org", p.stdout)
        self.assertEqual(session.get("/admin/stories").status, 303)
        self.assertEqual(self.login_status("locked@example.org", PASSWORD),
                         401)
        self.assertEqual(self.login_status("locked@example.org", new), 303)
        p = self.gz.cli("user", "passwd", "nobody@example.org",
                        input=new + "\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no user has that email", p.stderr)
        p = self.gz.cli("user", "passwd", "locked@example.org",
                        input="short\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("at least 10", p.stderr)
        p = self.gz.cli("user", "passwd", "locked@example.org", input="")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.login_status("locked@example.org", new), 303)


class Upgrade(harness.ServerTestCase):
    """0010_accounts upgrades a database that has content: made here by
    taking 0010 out of a demo database, then `gazette migrate`."""

    DEMO = True

    def test_migration_keeps_content(self):
        db = self.gz.db
        self.gz.stop()
        con = sqlite3.connect(db)
        users = con.execute("SELECT id, email, name, bio FROM users"
                            " ORDER BY id").fetchall()
        stories = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        with con:
            con.execute("DROP TRIGGER pc_users_avatar")
            con.execute("DROP TABLE password_resets")
            con.execute("ALTER TABLE users DROP COLUMN avatar_url")
            con.execute("ALTER TABLE users DROP COLUMN last_login_at")
            con.execute("DELETE FROM schema_migrations WHERE version = 10")
        con.close()
        self.gz.cli_ok("migrate")
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("SELECT id, email, name, bio FROM users"
                                     " ORDER BY id").fetchall(), users)
        self.assertEqual(con.execute("SELECT count(*) FROM articles")
                         .fetchone()[0], stories)
        self.assertEqual(con.execute(
            "SELECT count(*) FROM users WHERE avatar_url = ''"
            " AND last_login_at IS NULL").fetchone()[0], len(users))
        before = con.execute("SELECT count(*) FROM page_changes"
                             ).fetchone()[0]
        with con:
            con.execute("UPDATE users SET avatar_url = '/media/x.png'"
                        " WHERE id = ?", (users[0][0],))
            con.execute("INSERT INTO password_resets VALUES ('h', ?, 1, 2,"
                        " NULL)", (users[0][0],))
        self.assertGreater(con.execute("SELECT count(*) FROM page_changes"
                                       ).fetchone()[0], before)
        con.close()
        self.gz.start(prepare=False)
        self.assertEqual(self.gz.get("/").status, 200)
