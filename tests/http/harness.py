"""Test harness for the black-box HTTP tests of Gazette's readers' site.

Starts the real binary on a free port of 127.0.0.1 with a fresh database in
a temporary folder, talks to it over HTTP (http.client, or raw sockets when
the exact bytes matter), and stops it with SIGTERM, checking that it exits 0
(graceful shutdown). Python 3 standard library only.

    class MyTests(harness.ServerTestCase):
        ENV = {"GAZETTE_PAGE_SIZE": "5"}      # extra environment (optional)
        FIXTURES = ("hostile.json",)          # imported after init --demo

        def test_home(self):
            r = self.get("/")
            self.assertEqual(r.status, 200)

The gazette binary is $GAZETTE_BIN (run.py sets it from its argv[1]),
else build/gazette under the repository root. Commands run with the
repository root as working directory, so demo/demo.json, templates/ and
static/ are found, and with an empty configuration file of their own, so a
config/gazette.conf in the checkout cannot change what is tested.

When $GZ_API_RECORD names a file, every answer under /api/ that request()
or raw() receives is appended to it as a JSON line (record_api_answer);
run.py validates them against src/api/openapi.json.
"""
import html.parser
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(HERE, "fixtures")

START_TIMEOUT = 10.0   # seconds for /healthz to answer after start
STOP_TIMEOUT = 10.0    # seconds for a graceful stop before SIGKILL


def gazette_bin():
    b = os.environ.get("GAZETTE_BIN") or os.path.join(ROOT, "build", "gazette")
    return os.path.abspath(b)


def fixture(name):
    return os.path.join(FIXTURES, name)


def temp_dir(prefix="gz-http-"):
    """A fresh folder, on tmpfs when there is one (fsync-heavy SQLite
    commits are then free, which keeps the suite fast)."""
    shm = "/dev/shm"
    base = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def base_env(extra=None):
    """The environment for gazette: ours without any GAZETTE_* variable
    (so the caller's shell cannot change what is tested), plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env.update(extra or {})
    return env


_sources = iter(range(2, 250 * 250))


def new_client_address():
    """A loopback address no other test has used, so per-client rate
    limits of one test do not spill into the next."""
    n = next(_sources)
    return "127.0.%d.%d" % (n // 250, n % 250 + 2)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- responses -----------------------------------------------------------

class Response:
    """status, reason, headers (case-insensitive), body (bytes), text."""

    def __init__(self, status, reason, headers, body, method="GET", path=""):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.method = method
        self.path = path

    @property
    def text(self):
        return self.body.decode("utf-8")

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    @property
    def ctype(self):
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%s %s -> %d %s>" % (self.method, self.path, self.status,
                                      self.ctype)


class RawResponse:
    """A response parsed from the bytes a raw socket received."""

    def __init__(self, data):
        self.raw = data
        head, sep, self.body = data.partition(b"\r\n\r\n")
        self.complete_head = bool(sep)
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0] if lines else ""
        m = re.match(r"HTTP/\d\.\d (\d{3})", self.status_line)
        self.status = int(m.group(1)) if m else None
        self.headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                self.headers.setdefault(k.strip().lower(), v.strip())

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return "<raw %r, %d bytes>" % (self.status_line, len(self.raw))


def _complete(data, head=False):
    """Does data hold one whole HTTP answer (headers, and the body its
    Content-Length announces)?"""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    r = RawResponse(data)
    if head or r.status in (204, 304) or (r.status or 0) < 200:
        return True
    cl = r.header("content-length")
    if cl is None or not cl.isdigit():
        return False
    return len(data) - end - 4 >= int(cl)


# ---- recording /api/ answers (GZ_API_RECORD) -------------------------------

_record_lock = threading.Lock()


def _current_test():
    """The id of the test method on the stack, if any."""
    f = sys._getframe(1)
    while f is not None:
        obj = f.f_locals.get("self")
        if isinstance(obj, unittest.TestCase):
            return obj.id()
        f = f.f_back
    return None


def _decoded_body(body, encoding):
    enc = (encoding or "").strip().lower()
    try:
        if enc == "gzip":
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if enc == "deflate":
            return zlib.decompress(body)
    except zlib.error:
        pass
    return body


def record_api_answer(method, target, status, headers, body):
    """When $GZ_API_RECORD names a file, appends one JSON line for an answer
    to a request whose target starts with /api/ (tests/http/run.py then
    validates them with tests/api/validate.mjs against the OpenAPI
    document). headers: {lower-case name: value}; body: bytes as
    received (gzip or deflate is undone)."""
    out = os.environ.get("GZ_API_RECORD")
    if not out or status is None or not str(target).startswith("/api/"):
        return
    body = _decoded_body(body or b"", headers.get("content-encoding"))
    line = json.dumps({
        "method": method, "target": target, "status": status,
        "content_type": headers.get("content-type", ""),
        "headers": headers,
        "body": body.decode("utf-8", errors="replace"),
        "test": _current_test(),
    })
    with _record_lock:
        with open(out, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def _record_raw(data, r, head=False):
    """Records the first answer of a raw exchange, when the bytes sent
    start with a request line for /api/ and the answer parses."""
    if not os.environ.get("GZ_API_RECORD") or r.status is None:
        return
    first = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    if len(first) != 3 or not first[1].startswith("/api/"):
        return
    method = first[0]
    body = r.body
    if head or method == "HEAD" or r.status in (204, 304):
        body = b""
    elif "chunked" in (r.header("transfer-encoding") or "").lower():
        out, rest = b"", body
        while True:
            size_line, sep, rest = rest.partition(b"\r\n")
            try:
                n = int(size_line.split(b";")[0].strip() or b"x", 16)
            except ValueError:
                return  # not whole: nothing to record
            if not sep or n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    else:
        cl = r.header("content-length")
        if cl is not None and cl.isdigit():
            if len(body) < int(cl):
                return  # cut short: nothing to record
            body = body[:int(cl)]
    record_api_answer(method, first[1], r.status, dict(r.headers), body)


# ---- HTML parsing ----------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "param", "source", "track", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = {k: (v if v is not None else "") for k, v in attrs}
        self.parent = parent
        self.children = []
        self.parts = []

    @property
    def text(self):
        return "".join(self.parts)

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    def has_class(self, cls):
        return cls in self.attrs.get("class", "").split()

    def ancestors(self):
        p = self.parent
        while p is not None:
            yield p
            p = p.parent

    def __repr__(self):
        return "<%s %r>" % (self.tag, self.attrs)


class Document(html.parser.HTMLParser):
    """A forgiving DOM-ish view of an HTML page: every element with its
    attributes (entity-decoded) and its text (that of all descendants,
    decoded). Script content stays raw, as browsers see it."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.comments = []
        self._stack = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        parent = self._stack[-1] if self._stack else None
        el = Element(tag, attrs, parent)
        if parent is not None:
            parent.children.append(el)
        self.elements.append(el)
        if tag not in VOID:
            self._stack.append(el)

    def handle_startendtag(self, tag, attrs):
        parent = self._stack[-1] if self._stack else None
        el = Element(tag, attrs, parent)
        if parent is not None:
            parent.children.append(el)
        self.elements.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return

    def handle_data(self, data):
        for el in self._stack:
            el.parts.append(data)

    def handle_comment(self, data):
        self.comments.append(data)

    def find_all(self, tag=None, cls=None, **attrs):
        out = []
        for el in self.elements:
            if tag and el.tag != tag:
                continue
            if cls and not el.has_class(cls):
                continue
            if any(el.attrs.get(k.rstrip("_").replace("_", "-")) != v
                   for k, v in attrs.items()):
                continue
            out.append(el)
        return out

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def meta(self, key):
        """content of <meta name=key> or <meta property=key> (first)."""
        for el in self.find_all("meta"):
            if el.get("name") == key or el.get("property") == key:
                return el.get("content")
        return None

    def meta_all(self, key):
        return [el.get("content") for el in self.find_all("meta")
                if el.get("name") == key or el.get("property") == key]

    def links(self, rel):
        return [el for el in self.find_all("link")
                if rel in el.get("rel", "").split()]


def parse_html(text):
    return Document(text)


# ---- the server ------------------------------------------------------------

class StartError(Exception):
    pass


class Gazette:
    """One gazette process with its own database in a temporary folder."""

    def __init__(self, env=None, fixtures=(), demo=True, serve_args=()):
        self.extra_env = dict(env or {})
        self.fixtures = list(fixtures)
        self.demo = demo
        self.serve_args = list(serve_args)
        self.tmp = temp_dir()
        self.db = os.path.join(self.tmp, "gazette.db")
        self.conf = os.path.join(self.tmp, "empty.conf")
        with open(self.conf, "w"):
            pass
        self.proc = None
        self.port = None
        self.stdout_path = os.path.join(self.tmp, "stdout.log")
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self.returncode = None

    # -- command line --

    def cli(self, *args, env=None, timeout=60, db=True, input=None,
            config=True):
        """Runs `gazette [--config EMPTY] [--db DB] args...`; returns the
        CompletedProcess (text mode)."""
        cmd = [gazette_bin()]
        if config:
            cmd += ["--config", self.conf]
        if db:
            cmd += ["--db", self.db]
        cmd += list(args)
        e = dict(self.extra_env)
        e.update(env or {})
        return subprocess.run(cmd, cwd=ROOT, env=base_env(e),
                              capture_output=True, text=True, timeout=timeout,
                              input=input)

    def cli_ok(self, *args, **kw):
        p = self.cli(*args, **kw)
        if p.returncode != 0:
            raise StartError("gazette %s failed (exit %d): %s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def prepare(self):
        self.cli_ok("init", "--demo") if self.demo else self.cli_ok("init")
        for f in self.fixtures:
            self.cli_ok("import", f if os.path.isabs(f) else fixture(f))

    # -- the server process --

    def start(self, prepare=True):
        if prepare:
            self.prepare()
        last = ""
        for attempt in range(3):
            self.port = free_port()
            self.out = open(self.stdout_path, "ab")
            self.err = open(self.stderr_path, "ab")
            cmd = [gazette_bin(), "--config", self.conf, "--db", self.db,
                   "--port", str(self.port)] + self.serve_args + ["serve"]
            self.proc = subprocess.Popen(cmd, cwd=ROOT,
                                         env=base_env(self.extra_env),
                                         stdout=self.out, stderr=self.err,
                                         stdin=subprocess.DEVNULL)
            try:
                self._wait_ready()
                return self
            except StartError as e:
                last = str(e)
                self._reap()
                if "cannot listen" not in last:
                    break
        raise StartError(last)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StartError("gazette serve exited %d at start: %s" % (
                    self.proc.returncode, self.stderr_text()[-2000:]))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port,
                                               timeout=1)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        self.proc.kill()
        raise StartError("gazette did not answer /healthz within %ss: %s" % (
            START_TIMEOUT, self.stderr_text()[-2000:]))

    def _reap(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        for f in (getattr(self, "out", None), getattr(self, "err", None)):
            if f:
                f.close()

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends sig and waits; SIGKILL (by PID) if it hangs. Returns the
        exit code (negative: killed by a signal)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = "hung (killed after %ss)" % timeout
                self._reap()
                return self.returncode
        self.returncode = self.proc.returncode
        self._reap()
        return self.returncode

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        self._reap()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def stdout_text(self):
        try:
            with open(self.stdout_path, encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stderr_text(self):
        try:
            with open(self.stderr_path, encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def access_lines(self):
        return self.stdout_text().splitlines()

    def wait_access_line(self, predicate, timeout=3.0):
        """The first access-log line for which predicate(line) holds,
        waiting for it to be written (the log line comes after the
        answer). None when it does not appear."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.access_lines():
                if predicate(line):
                    return line
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    # -- HTTP --

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, headers=None, body=None, timeout=15,
                source=None):
        """One request on its own connection. source: the client address
        to connect from (any 127.x.y.z works on Linux), for per-address
        limits."""
        c = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=timeout,
            source_address=(source, 0) if source else None)
        try:
            c.request(method, path, body=body, headers=dict(headers or {}))
            r = c.getresponse()
            data = r.read()
            if path.startswith("/api/"):
                record_api_answer(method, path, r.status, {
                    k.lower(): ", ".join(r.headers.get_all(k))
                    for k in set(r.headers.keys())}, data)
            return Response(r.status, r.reason, r.headers, data, method, path)
        finally:
            c.close()

    def get(self, path, headers=None, **kw):
        return self.request("GET", path, headers, **kw)

    def head(self, path, headers=None, **kw):
        return self.request("HEAD", path, headers, **kw)

    def raw(self, data, timeout=5.0, shut_wr=False, wait_close=False,
            head=False):
        """Sends exact bytes, returns the bytes received: one complete
        answer (by its Content-Length; head: no body expected), or, with
        wait_close, all until the server closes. Stops after timeout
        seconds of silence."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        out = b""
        try:
            s.sendall(data)
            if shut_wr:
                s.shutdown(socket.SHUT_WR)
            while True:
                try:
                    d = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not d:
                    break
                out += d
                if not wait_close and _complete(out, head):
                    break
        finally:
            s.close()
        r = RawResponse(out)
        _record_raw(data, r, head)
        return r

    def raw_get(self, target, extra=b"", method=b"GET", timeout=5.0):
        """A well-formed request for an exact request-target (bytes)."""
        if isinstance(target, str):
            target = target.encode("latin-1")
        return self.raw(method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1"
                        b"\r\nConnection: close\r\n" + extra + b"\r\n",
                        timeout=timeout, wait_close=True)


# ---- test cases ------------------------------------------------------------

class ServerTestCase(unittest.TestCase):
    """One server per class (setUpClass), stopped with SIGTERM in
    tearDownClass, which fails unless the process exits 0."""

    ENV = {}
    FIXTURES = ()
    DEMO = True
    gz = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gz = Gazette(env=cls.ENV, fixtures=cls.FIXTURES, demo=cls.DEMO)
        try:
            cls.gz.start()
        except BaseException:
            cls.gz.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        gz = cls.gz
        rc = gz.stop()
        err = gz.stderr_text()
        gz.cleanup()
        super().tearDownClass()
        if rc != 0:
            raise AssertionError(
                "%s: gazette did not shut down gracefully on SIGTERM: exit %r "
                "(expected 0); stderr tail:\n%s" % (cls.__name__, rc,
                                                    err[-1500:]))

    # assertions that quote the place, not the whole page
    def assertAbsent(self, needle, hay, msg=""):
        i = hay.find(needle)
        if i >= 0:
            self.fail("%s%r found: ...%r..." % (
                msg + ": " if msg else "", needle,
                hay[max(0, i - 150):i + len(needle) + 150]))

    def assertPresent(self, needle, hay, msg=""):
        if needle not in hay:
            self.fail("%s%r not found in %d characters starting %r" % (
                msg + ": " if msg else "", needle, len(hay), hay[:200]))

    # shortcuts
    def get(self, path, headers=None, **kw):
        return self.gz.get(path, headers, **kw)

    def head(self, path, headers=None, **kw):
        return self.gz.head(path, headers, **kw)

    def request(self, method, path, headers=None, body=None, **kw):
        return self.gz.request(method, path, headers, body, **kw)

    def get_ok(self, path, ctype="text/html", headers=None):
        r = self.get(path, headers)
        self.assertEqual(r.status, 200, "GET %s: %d %s" % (
            path, r.status, r.body[:300]))
        if ctype:
            self.assertEqual(r.ctype, ctype, "GET %s: Content-Type %r" % (
                path, r.header("Content-Type")))
        return r

    def page(self, path, status=200):
        """GET an HTML page; returns (response, parsed document)."""
        r = self.get(path)
        self.assertEqual(r.status, status, "GET %s: %d (expected %d): %s" % (
            path, r.status, status, r.body[:300]))
        self.assertEqual(r.ctype, "text/html", "GET %s: Content-Type %r" % (
            path, r.header("Content-Type")))
        self.assertIn("charset=utf-8",
                      (r.header("Content-Type") or "").lower().replace(" ", ""))
        self.assertTrue(len(r.body) > 200,
                        "GET %s: the page is almost empty (%d bytes)" % (
                            path, len(r.body)))
        return r, parse_html(r.text)


def routes_table():
    """[(methods set, pattern)] from `gazette --routes`."""
    p = subprocess.run([gazette_bin(), "--routes"], cwd=ROOT, env=base_env(),
                       capture_output=True, text=True, timeout=20)
    out = []
    for line in p.stdout.splitlines():
        m = re.match(r"^([A-Z]+(?:, [A-Z]+)*)\s+(/\S*)", line)
        if m:
            out.append(({x.strip() for x in m.group(1).split(",")},
                        m.group(2)))
    return out


# ---- what the data says the site should show ---------------------------------

class Content:
    """Demo content plus fixtures, merged the way `gazette import` merges
    them (by slug), to compute what pages must show."""

    def __init__(self, fixtures=(), demo=True):
        docs = []
        if demo:
            with open(os.path.join(ROOT, "demo", "demo.json"),
                      encoding="utf-8") as f:
                docs.append(json.load(f))
        for name in fixtures:
            with open(name if os.path.isabs(name) else fixture(name),
                      encoding="utf-8") as f:
                docs.append(json.load(f))
        self.settings, self.authors, self.tags, self.articles = {}, {}, {}, {}
        for d in docs:
            self.settings.update(d.get("settings") or {})
            for kind in ("authors", "tags", "articles"):
                for item in d.get(kind) or []:
                    getattr(self, kind)[item["slug"]] = item

    @property
    def site_title(self):
        return self.settings.get("title", "Gazette")

    @property
    def published(self):
        """Published stories, newest first (as the site orders them)."""
        arts = [a for a in self.articles.values()
                if a.get("status") == "published"]
        return sorted(arts, key=lambda a: a["published_at"], reverse=True)

    @property
    def unpublished(self):
        return [a for a in self.articles.values()
                if a.get("status") != "published"]

    def with_tag(self, slug):
        return [a for a in self.published if slug in a.get("tags", [])]

    def by_author(self, slug):
        return [a for a in self.published if a.get("author") == slug]

    def tags_in_use(self):
        return sorted({t for a in self.published for t in a.get("tags", [])})

    def authors_in_use(self):
        return sorted({a["author"] for a in self.published})

    @staticmethod
    def approved_comments(article):
        """Approved comments and approved replies of approved comments."""
        out = []
        for c in article.get("comments") or []:
            if c.get("status", "approved") != "approved":
                continue
            out.append(c)
            out += [r for r in c.get("replies") or []
                    if r.get("status", "approved") == "approved"]
        return out


def norm_text(s):
    """Text as a reader sees it, whatever typographic quotes or dashes
    Markdown's smart punctuation made, and with spaces collapsed."""
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'),
                 ("\u201d", '"'), ("\u2013", "-"), ("\u2014", "-"),
                 ("\u2026", "...")):
        s = s.replace(a, b)
    return " ".join(s.split())
