"""The server's life: the page cache follows content changed by another
process (`gazette import` while serving), and SIGTERM / SIGINT stop it
gracefully (exit 0, requests in flight finish)."""
import json
import os
import re
import signal
import socket
import time
import unittest

import harness

FRESH = "freshly-imported-story"


class CacheFreshness(harness.ServerTestCase):

    def cache_hits(self):
        m = re.search(r"^gazette_page_cache_hits_total (\d+)",
                      self.get("/metrics").text, re.M)
        self.assertIsNotNone(m, "no gazette_page_cache_hits_total metric")
        return int(m.group(1))

    def test_import_while_serving_shows_at_once(self):
        paths = ["/", "/feed.xml", "/tags/city", "/authors/priya-halloran",
                 "/sitemap.xml", "/search?q=freshly"]
        before = {}
        for p in paths:
            before[p] = self.get(p)
            self.assertEqual(before[p].status, 200, p)
            self.assertAbsent(FRESH, before[p].text, p)
        # The pages are cached now: asking again is a cache hit.
        hits = self.cache_hits()
        for p in paths:
            again = self.get(p)
            self.assertEqual(again.body, before[p].body, p)
        self.assertGreaterEqual(self.cache_hits() - hits, len(paths),
                                "the page cache is not used, so this test "
                                "would prove nothing")
        self.assertEqual(self.get("/articles/" + FRESH).status, 404)

        p = self.gz.cli("import", harness.fixture("fresh.json"))
        self.assertEqual(p.returncode, 0, p.stderr)

        # At once, no waiting: the next request sees the new story.
        r, doc = self.page("/")
        lead = doc.find("article", cls="lead-story")
        self.assertIsNotNone(lead)
        self.assertIn("/articles/" + FRESH,
                      [a.get("href") for a in doc.find_all("a")
                       if lead in a.ancestors()],
                      "the home page still shows the old lead story")
        self.assertNotEqual(r.header("ETag"), before["/"].header("ETag"))
        stale = self.get("/", headers={
            "If-None-Match": before["/"].header("ETag")})
        self.assertEqual(stale.status, 200, "304 for a changed page")
        for p in paths[1:]:
            r = self.get(p)
            self.assertEqual(r.status, 200, p)
            self.assertPresent(FRESH, r.text, "%s is stale" % p)
        self.assertEqual(self.get("/articles/" + FRESH).status, 200)


def big_fixture(path, n=6, size=1000000):
    """n published stories of about size bytes of Markdown each, tag
    "bigtag": their tag feed is several megabytes."""
    para = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 16
            + "\n\n")
    md = (para * (size // len(para) + 1))[:size]
    doc = {"tags": [{"name": "Big", "slug": "bigtag"}], "articles": [
        {"slug": "big-story-%d" % i, "title": "Big story %d" % i,
         "markdown": md, "author": "maren-okafor", "tags": ["bigtag"],
         "status": "published",
         "published_at": "2026-01-%02dT00:00:00Z" % (i + 1)}
        for i in range(n)]}
    with open(path, "w") as f:
        json.dump(doc, f)


class Shutdown(unittest.TestCase):
    """Each test runs its own server (on one prepared database) and stops
    it itself."""

    @classmethod
    def setUpClass(cls):
        cls.gz = harness.Gazette()
        try:
            cls.gz.prepare()
            big = os.path.join(cls.gz.tmp, "big.json")
            big_fixture(big)
            cls.gz.cli_ok("import", big)
        except BaseException:
            cls.gz.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gz.cleanup()

    def tearDown(self):
        if self.gz.running:
            self.gz.stop(signal.SIGKILL)

    def stop_with(self, sig):
        gz = self.gz.start(prepare=False)
        self.assertEqual(gz.get("/").status, 200)
        port = gz.port
        rc = gz.stop(sig)
        self.assertEqual(rc, 0, "exit status after %s: %r; stderr:\n%s"
                         % (sig.name, rc, gz.stderr_text()[-1500:]))
        with self.assertRaises(OSError, msg="still listening after exit"):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()

    def test_sigterm(self):
        self.stop_with(signal.SIGTERM)

    def test_sigint(self):
        self.stop_with(signal.SIGINT)

    def test_request_in_flight_completes(self):
        gz = self.gz.start(prepare=False)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A slow reader: a small receive window keeps most of the answer
        # on the server's side while it is told to stop.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(20)
        s.connect(("127.0.0.1", gz.port))
        try:
            s.sendall(b"GET /tags/bigtag/feed.xml HTTP/1.1\r\nHost: "
                      b"127.0.0.1\r\nConnection: close\r\n\r\n")
            data = s.recv(4096)
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:100])
            gz.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            while True:
                try:
                    d = s.recv(1 << 16)
                except (ConnectionResetError, socket.timeout):
                    break
                if not d:
                    break
                data += d
        finally:
            s.close()
        rc = gz.stop()
        r = harness.RawResponse(data)
        length = int(r.header("content-length"))
        self.assertGreater(length, 5 << 20, "the feed is too small for this "
                           "test to mean anything")
        self.assertEqual(
            len(r.body), length,
            "SERVER BUG (src/http/server.c gz_server_run: MHD_stop_daemon() "
            "right after MHD_quiesce_daemon() closes connections that are "
            "still sending): the answer in flight at SIGTERM was cut after "
            "%d of %d bytes; SPEC section 7 says in-flight requests finish"
            % (len(r.body), length))
        self.assertEqual(rc, 0)
