"""Hostile requests, sent as exact bytes over raw sockets (http.client
would normalise them): path traversal into and out of /static/, bad page
numbers, malformed requests. None may leak a file, none may answer 500,
and the server must stay up."""
import os
import socket
import threading
import time

import harness
from harness import parse_html

with open(os.path.join(harness.ROOT, "meson.build"), encoding="utf-8") as f:
    MESON = f.read()
# A line of the file that must never be served: "project('gazette', ..."
SIGNATURE = next(l for l in MESON.splitlines() if l.startswith("project("))
SIGNATURE = SIGNATURE[:17].encode()

# (request-target, status). src/http/request.c decode_path answers 400
# for a path that does not decode (a stray or non-hex %), decodes to NUL,
# a control character, a backslash or invalid UTF-8 (overlong %c0%ae
# included), or holds a dot segment once decoded; those never reach a
# route. What decodes to an ordinary name that is not there is a 404.
TRAVERSALS = [
    (b"/static/../meson.build", 400),
    (b"/static/%2e%2e/meson.build", 400),
    (b"/static/%2E%2E/meson.build", 400),
    (b"/static/%2e%2e%2fmeson.build", 400),
    # Decoded once: a file named "%2e%2e%2fmeson.build", which is not there.
    (b"/static/%252e%252e%252fmeson.build", 404),
    (b"/static/..%2fmeson.build", 400),
    (b"/static/..%5cmeson.build", 400),
    (b"/static/..\\meson.build", 400),
    (b"/static/css/../../meson.build", 400),
    (b"/static/./../meson.build", 400),
    (b"/static//../meson.build", 400),
    (b"/static/%2e%2e/%2e%2e/meson.build", 400),
    (b"/static/css/site.css%00.txt", 400),
    (b"/static/%00", 400),
    (b"/static/%00/../../meson.build", 400),
    (b"/static/%c0%ae%c0%ae/meson.build", 400),
    (b"/static/%uff0e%uff0e/meson.build", 400),
    # "...." is a name, not a dot segment: no such folder.
    (b"/static/....//meson.build", 404),
    (b"/../meson.build", 400),
    (b"/%2e%2e/meson.build", 400),
    (b"/static/../src/main.c", 400),
    (b"/static/../../../../../../etc/passwd", 400),
    (b"/media/../meson.build", 400),
    (b"/media/%2e%2e/meson.build", 400),
    (b"/favicon.ico/../meson.build", 400),
]

BAD_PAGES = [b"-1", b"abc", b"99999999999999999999", b"", b"1.5", b"0",
             b"%00", b"1e3", b"0x10", b"+1", b"%20%201", b"1%20", b"--1",
             b"100001", b"9223372036854775808", b"%ff"]


class HostilePaths(harness.ServerTestCase):

    def test_path_traversal(self):
        for target, status in TRAVERSALS:
            r = self.gz.raw_get(target)
            self.assertAbsent(SIGNATURE, r.raw, "%r served meson.build!" %
                             target)
            self.assertAbsent(b"root:x:0:0", r.raw, "%r served passwd" % target)
            self.assertAbsent(b"#include", r.raw, "%r served C source" % target)
            self.assertEqual(r.status, status, "%r: %r" % (target,
                                                            r.status_line))
        # The real file is still served, so the checks above meant something.
        ok = self.gz.raw_get(b"/static/css/site.css")
        self.assertEqual(ok.status, 200)
        self.assertEqual(self.get("/healthz").status, 200)

    def check_bad_page(self, base, value):
        sep = b"&" if b"?" in base else b"?"
        target = base + sep + b"page=" + value
        r = self.gz.raw_get(target)
        self.assertIsNotNone(r.status, "%r: no answer" % target)
        self.assertLess(r.status, 500, "%r: %r" % (target, r.status_line))
        self.assertEqual(r.status, 400, "%r: %r" % (target, r.status_line))
        self.assertTrue(r.header("content-type", "").startswith("text/html"))
        doc = parse_html(r.body.decode("utf-8"))
        text = " ".join(doc.find("body").text.split())
        self.assertRegex(text, r"(?i)page number",
                         "%r: the error page does not say what is wrong" %
                         target)

    def test_bad_page_numbers(self):
        for base in (b"/", b"/tags/city", b"/authors/maren-okafor",
                     b"/search?q=harbour"):
            for value in BAD_PAGES:
                self.check_bad_page(base, value)
        # Valid but empty pages: 404 for lists, never 500.
        for base in (b"/", b"/tags/city", b"/authors/maren-okafor"):
            r = self.gz.raw_get(base + b"?page=100000")
            self.assertEqual(r.status, 404, base)
        # The search results are a list too: docs/DECISIONS.md, "a page
        # past the last one is a 404".
        r = self.gz.raw_get(b"/search?q=harbour&page=100000")
        self.assertEqual(
            r.status, 404,
            "SERVER BUG (src/site/pages.c gz_page_site_search: no check of "
            "an empty page past the first, as story_list_page has): GET "
            "/search?q=harbour&page=100000 must be a 404 like /?page=100000 "
            "(docs/DECISIONS.md: a page past the last one is a 404); got "
            "%r" % r.status_line)

    def test_bad_query_encoding(self):
        # A value that does not decode to UTF-8 text is a 400 where it is
        # read; of a repeated parameter the first value wins
        # (src/http/request.c collect_query), so a bad later one is never
        # read.
        for target, status in ((b"/search?q=%ff", 400),
                               (b"/search?q=%zz", 400),
                               (b"/search?q=%00", 400),
                               (b"/search?q=%", 400),
                               (b"/search?q=%c0%ae", 400),
                               (b"/search?q=a&q=b&q=%ff", 200),
                               (b"/?page=1&page=%ff", 200)):
            r = self.gz.raw_get(target)
            self.assertEqual(r.status, status, "%r: %r" % (target,
                                                          r.status_line))

    def test_bad_paths(self):
        # 400 from src/http/request.c decode_path (see TRAVERSALS); "//"
        # decodes fine and names no route: 404.
        for target, status in (
                (b"/articles/%00", 400),
                (b"/articles/x%0d%0aSet-Cookie:%20a=b", 400),
                (b"/tags/%ff", 400), (b"/%zz", 400), (b"/a%", 400),
                (b"/a%2", 400), (b"//", 404), (b"/articles/..", 400),
                (b"/tags/./city", 400), (b"/tags/city/.", 400),
                (b"/\x7f", 400),
                (b"/articles/%2e%2e%2f%2e%2e%2fmeson.build", 400)):
            r = self.gz.raw_get(target)
            self.assertEqual(r.status, status, "%r: %r" % (target,
                                                          r.status_line))
            self.assertNotIn("set-cookie", r.headers)
            self.assertAbsent(SIGNATURE, r.raw)

    def test_malformed_requests(self):
        # (name, bytes, status). libmicrohttpd answers these itself: 400
        # for what does not parse, 431 for a head over its memory.
        cases = [
            ("garbage request line", b"NOT AN HTTP REQUEST\r\n\r\n", 400),
            ("bad version", b"GET / FOO/1.1\r\nHost: x\r\n\r\n", 400),
            ("bad header line", b"GET / HTTP/1.1\r\nHost: x\r\nno colon "
                                b"here\r\n\r\n", 400),
            ("huge header", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " +
             b"a" * 100000 + b"\r\n\r\n", 431),
            ("many headers", b"GET / HTTP/1.1\r\nHost: x\r\n" +
             b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n",
             431),
            ("bad content-length", b"POST /subscribe HTTP/1.1\r\nHost: x\r\n"
                                   b"Content-Length: abc\r\n\r\n", 400),
            ("negative content-length", b"POST /subscribe HTTP/1.1\r\nHost: "
                                        b"x\r\nContent-Length: -5\r\n\r\n",
             400),
            # RFC 9112 section 6.3: Content-Length values that differ make
            # the framing invalid, an unrecoverable error: 400, and close.
            ("two content-lengths", b"POST /subscribe HTTP/1.1\r\nHost: x\r\n"
                                    b"Content-Length: 3\r\nContent-Length: 30"
                                    b"\r\n\r\nabc", 400),
        ]
        for name, data, status in cases:
            r = self.gz.raw(data, timeout=5, shut_wr=False)
            self.assertIsNotNone(r.status, "%s: no answer (%d bytes: %r)"
                                 % (name, len(r.raw), r.raw[:80]))
            if name == "two content-lengths" and r.status != status:
                self.fail("SERVER BUG (src/http/request.c begin: only the "
                          "first Content-Length is read, libmicrohttpd "
                          "0.9.75 takes the first of several): a request "
                          "with Content-Length 3 and 30 must be a 400 (RFC "
                          "9112 section 6.3, request smuggling), not handed "
                          "to the route; got %r" % r.status_line)
            self.assertEqual(r.status, status, "%s: %r"
                             % (name, r.status_line))
            self.assertEqual(self.get("/healthz").status, 200,
                             "the server is down after: %s" % name)

    def test_missing_host_is_400(self):
        r = self.gz.raw(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
                        wait_close=True)
        self.assertEqual(
            r.status, 400,
            "SERVER BUG (src/http/server.c on_request: no check of the Host "
            "header, and libmicrohttpd 0.9.75 lets it through): RFC 9112 "
            "section 3.2 says an HTTP/1.1 request without Host MUST get "
            "400; got %r" % r.status_line)
        # HTTP/1.0 needs no Host.
        r = self.gz.raw(b"GET /healthz HTTP/1.0\r\n\r\n", wait_close=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.get("/healthz").status, 200)

    def test_junk_connections_do_not_hurt(self):
        # A connection that sends nothing, a binary blob, a half request.
        import socket
        socks = []
        for data in (b"", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                     b"GET / HTTP/1.1\r\nHo", b"\x00" * 64):
            s = socket.create_connection(("127.0.0.1", self.gz.port),
                                         timeout=5)
            if data:
                s.sendall(data)
            socks.append(s)
        try:
            for _ in range(5):
                self.assertEqual(self.get("/healthz").status, 200)
            self.assertEqual(self.get("/").status, 200)
        finally:
            for s in socks:
                s.close()
        self.assertEqual(self.get("/healthz").status, 200)


class SlowClients(harness.ServerTestCase):
    """SPEC section 7: a per-connection timeout; a slow client cannot hold
    a worker. One worker thread, so a held worker would show."""
    ENV = {"GAZETTE_TIMEOUT": "1", "GAZETTE_THREADS": "1"}

    def test_idle_half_request_is_closed(self):
        s = socket.create_connection(("127.0.0.1", self.gz.port), timeout=10)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
            t = time.monotonic()
            data = s.recv(100)
            waited = time.monotonic() - t
        except ConnectionResetError:
            data, waited = b"", time.monotonic() - t
        finally:
            s.close()
        self.assertFalse(data.startswith(b"HTTP/1.1 2"), data)
        self.assertLess(waited, 5, "an idle connection was kept %.1fs with "
                        "a 1 s timeout" % waited)

    def test_slow_client_does_not_hold_the_worker(self):
        result = {}

        def trickle():
            s = socket.create_connection(("127.0.0.1", self.gz.port),
                                         timeout=10)
            try:
                for b in (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Connection: close\r\n\r\n"):
                    s.sendall(bytes([b]))
                    time.sleep(0.03)
                data = b""
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    data += d
                result["data"] = data
            except OSError as e:
                result["error"] = e
            finally:
                s.close()

        t = threading.Thread(target=trickle)
        t.start()
        try:
            time.sleep(0.2)
            for _ in range(10):
                start = time.monotonic()
                self.assertEqual(self.get("/healthz").status, 200)
                self.assertLess(time.monotonic() - start, 1.0,
                                "a slow client holds the only worker")
                time.sleep(0.05)
        finally:
            t.join()
        # The slow client, still sending within the timeout, is answered.
        self.assertTrue(result.get("data", b"").startswith(b"HTTP/1.1 200"),
                        result)
