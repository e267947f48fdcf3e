"""Shared pieces of the engagement tests (comments, subscriptions, mail,
moderation): a ServerTestCase with helpers to post forms, change settings
and stories straight in the test database with sqlite3 (as an editor's
action would), sign in to the newsroom, and a real SMTP server
(smtpd.py) started on a free port for the classes that want mail.

This module holds no tests itself; the test_engage_*.py files use it.
"""
import json
import re
import sqlite3
import time
import urllib.parse

import harness
import smtpd

FORM = "application/x-www-form-urlencoded"
PASSWORD = "correct horse battery staple"


def form_body(fields):
    return urllib.parse.urlencode(fields)


def token_in(text, path):
    """The token of the first link to `path` in a text."""
    m = re.search(re.escape(path) + r"\?token=([0-9a-f]{64})", text)
    return m.group(1) if m else None


class EngageCase(harness.ServerTestCase):
    """A server per class, with helpers. SMTP = True starts a test SMTP
    server first and points GAZETTE_SMTP_URL at it."""

    SMTP = False
    SMTP_DELAY = 0.0
    smtp = None

    @classmethod
    def setUpClass(cls):
        if cls.SMTP:
            cls.smtp = smtpd.SMTPServer(delay=cls.SMTP_DELAY).start()
            cls.ENV = dict(cls.ENV, GAZETTE_SMTP_URL=cls.smtp.url,
                           GAZETTE_MAIL_FROM="Gazette Desk <desk@example.org>")
        try:
            super().setUpClass()
        except BaseException:
            if cls.smtp:
                cls.smtp.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            if cls.smtp:
                cls.smtp.stop()

    # -- the database, as the newsroom would change it --

    def db(self):
        c = sqlite3.connect(self.gz.db, timeout=10)
        c.row_factory = sqlite3.Row
        return c

    def sql(self, query, params=()):
        with self.db() as c:
            rows = c.execute(query, params).fetchall()
        return rows

    def one(self, query, params=()):
        rows = self.sql(query, params)
        return rows[0][0] if rows else None

    def set_setting(self, key, value):
        self.sql("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                 (key, value))

    def new_story(self, slug, title, excerpt="", status="published",
                  notified=0, comments_open=1):
        """A story written straight into the database, the way the
        newsroom's publish leaves it (notified = 0: not announced yet)."""
        author = self.one("SELECT id FROM users ORDER BY id LIMIT 1")
        now = int(time.time())
        self.sql("INSERT INTO articles (slug, title, excerpt, markdown, html,"
                 " plain, status, author_id, comments_open, notified,"
                 " created_at, updated_at, published_at)"
                 " VALUES (?, ?, ?, 'Body.', '<p>Body.</p>', 'Body.', ?, ?,"
                 " ?, ?, ?, ?, ?)",
                 (slug, title, excerpt, status, author, comments_open,
                  notified, now, now, now))
        return self.one("SELECT id FROM articles WHERE slug = ?", (slug,))

    def publish(self, slug):
        """First publication of an existing draft, as the newsroom does
        it: status published, notified = 0."""
        self.sql("UPDATE articles SET status = 'published', notified = 0,"
                 " published_at = unixepoch(), updated_at = unixepoch()"
                 " WHERE slug = ?", (slug,))

    def published_slug(self):
        return self.one("SELECT slug FROM articles WHERE status = 'published'"
                        " AND comments_open = 1 ORDER BY published_at DESC"
                        " LIMIT 1")

    # -- HTTP --

    def post(self, path, fields, json_accept=False, source=None,
             headers=None, raw_body=None):
        h = {"Content-Type": FORM}
        if json_accept:
            h["Accept"] = "application/json"
        h.update(headers or {})
        body = raw_body if raw_body is not None else form_body(fields)
        return self.gz.request("POST", path, h, body, source=source)

    def get_as(self, path, cookie=None, json_accept=False, source=None):
        h = {}
        if cookie:
            h["Cookie"] = cookie
        if json_accept:
            h["Accept"] = "application/json"
        return self.gz.request("GET", path, h, source=source)

    # -- the newsroom --

    @classmethod
    def add_user(cls, email, name, role):
        cls.gz.cli_ok("user", "add", "--email", email, "--name", name,
                      "--role", role, input=PASSWORD + "\n")

    def login(self, email):
        """Signs in; returns (cookie header value, csrf token)."""
        r = self.post("/admin/login", {"email": email, "password": PASSWORD})
        self.assertEqual(r.status, 303, r.text[:500])
        cookies = [c.split(";", 1)[0] for c in r.header_all("Set-Cookie")]
        cookie = "; ".join(c for c in cookies if c.startswith("gz_session="))
        self.assertTrue(cookie, "no session cookie")
        page = self.get_as("/admin/stories", cookie)
        m = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
        self.assertTrue(m, "no csrf field on /admin/stories")
        return cookie, m.group(1)

    def admin_post(self, path, fields, cookie, csrf, json_accept=False):
        f = dict(fields)
        if csrf is not None:
            f["csrf"] = csrf
        return self.post(path, f, json_accept=json_accept,
                         headers={"Cookie": cookie})


def outbox(case, kind=None):
    q = "SELECT * FROM outbox"
    if kind:
        return case.sql(q + " WHERE kind = ? ORDER BY id", (kind,))
    return case.sql(q + " ORDER BY id")


def wait_until(pred, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def jdump(x):
    return json.dumps(x, indent=1)[:1500]
