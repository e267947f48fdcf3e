"""Shared pieces of the newsroom's HTTP tests (test_admin_*.py): a signed-in
client with its session cookie and CSRF token, form and multipart bodies,
tiny images made by hand, and a server class whose uploads land in its own
temporary data folder. Holds no tests itself.

    class MyTests(NewsroomCase):
        def test_x(self):
            ed = self.editor()                       # a signed-in editor
            r = ed.post("/admin/stories", {"title": "Hi", "action": "save"})
"""
import os
import re
import sqlite3
import struct
import time
import urllib.parse
import uuid
import zlib

import harness

PASSWORD = "correct horse battery"


# ---- bodies -----------------------------------------------------------------

def urlencoded(fields):
    return urllib.parse.urlencode(list(fields.items()) if isinstance(
        fields, dict) else fields).encode()


def multipart(fields, files=()):
    """fields: dict or list of (name, value); files: [(field, filename,
    bytes, content_type)]. Returns (body, content_type)."""
    boundary = "gz" + uuid.uuid4().hex
    out = []
    items = list(fields.items()) if isinstance(fields, dict) else list(fields)
    for name, value in items:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n"
                    "\r\n" % (boundary, name)).encode())
        out.append(value.encode() if isinstance(value, str) else value)
        out.append(b"\r\n")
    for name, filename, data, ctype in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                    "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n" % (
                        boundary, name, filename, ctype)).encode())
        out.append(data)
        out.append(b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def png(width=3, height=2, rgb=(200, 40, 40)):
    """A valid PNG of one colour, built by hand."""
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0,
                                       0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(width=5, height=4):
    """Enough of a JPEG for the magic-byte check and the size reader:
    SOI, an APP0 segment, a SOF0 frame header, EOI."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00" * 3
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) +
            app0 + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof +
            b"\xff\xd9")


# ---- a signed-in client -------------------------------------------------------

class Client:
    """Talks to one server as one browser: keeps the session cookie, finds
    the CSRF token on pages, sends same-origin forms."""

    def __init__(self, gz):
        self.gz = gz
        self.cookie = None
        self.csrf = None

    @property
    def origin(self):
        return "http://127.0.0.1:%d" % self.gz.port

    def headers(self, extra=None, origin=True):
        h = {}
        if self.cookie:
            h["Cookie"] = "gz_session=" + self.cookie
        if origin:
            h["Origin"] = self.origin
        h.update(extra or {})
        return h

    def _keep_cookie(self, r):
        for v in r.header_all("Set-Cookie"):
            m = re.match(r"gz_session=([^;]*)", v)
            if m:
                self.cookie = m.group(1) or None

    def get(self, path, headers=None):
        r = self.gz.request("GET", path, self.headers(headers, origin=False))
        self._keep_cookie(r)
        m = re.search(r'name="csrf" value="([0-9a-f]{64})"', r.body.decode(
            "utf-8", "replace"))
        if m:
            self.csrf = m.group(1)
        return r

    def page(self, path):
        r = self.get(path)
        return r, harness.parse_html(r.text)

    def token(self):
        if not self.csrf:
            self.get("/admin/stories")
        return self.csrf

    def post(self, path, fields=None, files=(), csrf=True, headers=None,
             origin=True, multipart_form=None):
        """POSTs a form (urlencoded, or multipart when there are files or
        multipart_form is true) with the CSRF token unless csrf is False
        (or a string to send instead)."""
        items = list((fields or {}).items()) if isinstance(
            fields, dict) or fields is None else list(fields)
        if csrf is True:
            items.append(("csrf", self.token()))
        elif isinstance(csrf, str):
            items.append(("csrf", csrf))
        if files or multipart_form:
            body, ctype = multipart(items, files)
        else:
            body, ctype = urlencoded(items), \
                "application/x-www-form-urlencoded"
        h = {"Content-Type": ctype}
        h.update(headers or {})
        r = self.gz.request("POST", path, self.headers(h, origin=origin),
                            body)
        self._keep_cookie(r)
        return r

    def login(self, email, password=PASSWORD):
        r = self.post("/admin/login", {"email": email, "password": password},
                      csrf=False)
        if r.status != 303:
            raise AssertionError("login of %s failed: %d %s" % (
                email, r.status, r.body[:300]))
        self.csrf = None
        return r


# ---- the server ---------------------------------------------------------------

class NewsroomCase(harness.ServerTestCase):
    """A server with demo content, its media folder in its own temporary
    folder, an admin ("admin@example.org"), an editor and two authors, all
    with PASSWORD."""

    ENV = {}
    USERS = (("admin@example.org", "Ada Admin", "admin"),
             ("editor@example.org", "Eddie Editor", "editor"),
             ("author@example.org", "Ann Author", "author"),
             ("author2@example.org", "Bob Writer", "author"))

    @classmethod
    def setUpClass(cls):
        cls.media_tmp = harness.temp_dir("gz-media-")
        cls.ENV = dict(cls.ENV)
        cls.ENV["GAZETTE_DATA_DIR"] = cls.media_tmp
        cls.gz = harness.Gazette(env=cls.ENV, fixtures=cls.FIXTURES,
                                 demo=cls.DEMO)
        try:
            cls.gz.prepare()
            for email, name, role in cls.USERS:
                cls.gz.cli_ok("user", "add", "--email", email, "--name",
                              name, "--role", role, input=PASSWORD + "\n")
            cls.gz.start(prepare=False)
        except BaseException:
            cls.gz.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.media_tmp, ignore_errors=True)
        super().tearDownClass()

    # -- people --

    def client(self, email=None):
        c = Client(self.gz)
        if email:
            c.login(email)
        return c

    def admin(self):
        return self.client("admin@example.org")

    def editor(self):
        return self.client("editor@example.org")

    def author(self):
        return self.client("author@example.org")

    def author2(self):
        return self.client("author2@example.org")

    # -- the database, read directly --

    def db(self):
        con = sqlite3.connect(self.gz.db, timeout=10)
        con.row_factory = sqlite3.Row
        return con

    def query(self, sql, *args):
        con = self.db()
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def story_row(self, **where):
        key, value = next(iter(where.items()))
        rows = self.query("SELECT * FROM articles WHERE %s = ?" % key, value)
        return rows[0] if rows else None

    # -- stories --

    def create_story(self, client, title, action="save", **fields):
        """Creates a story through the form; returns (response, id)."""
        f = {"title": title, "markdown": fields.pop("markdown",
                                                    "Some *words*."),
             "action": action, "comments_open": "on"}
        f.update(fields)
        r = client.post("/admin/stories", f, multipart_form=True)
        m = re.match(r"^/admin/stories/(\d+)", r.header("Location") or "")
        return r, int(m.group(1)) if m else None

    def update_story(self, client, sid, action="save", **fields):
        """Posts the edit form of story sid with its stored values, changed
        by fields."""
        row = self.story_row(id=sid)
        tags = [t[0] for t in self.query(
            "SELECT t.name FROM article_tags x JOIN tags t ON t.id = x.tag_id"
            " WHERE x.article_id = ? ORDER BY x.position", sid)]
        f = {"title": row["title"], "slug": row["slug"],
             "excerpt": row["excerpt"], "markdown": row["markdown"],
             "tags": ", ".join(tags), "image_url": row["image_url"] or "",
             "image_alt": row["image_alt"],
             "image_caption": row["image_caption"], "action": action}
        if row["comments_open"]:
            f["comments_open"] = "on"
        f.update(fields)
        return client.post("/admin/stories/%d" % sid, f, multipart_form=True)

    def wait_for(self, fn, timeout=10.0, step=0.2):
        deadline = time.monotonic() + timeout
        while True:
            v = fn()
            if v or time.monotonic() > deadline:
                return v
            time.sleep(step)


def utc_local(t):
    """A datetime-local value (UTC) for epoch seconds t, with seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t)))


def data_dir_files(case):
    d = os.path.join(case.media_tmp, "media")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []
