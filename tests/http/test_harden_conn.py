"""No client can take the site down (issue 9): connection limits and
deadlines, canonical page-cache keys, too many parameters or header bytes,
and request-smuggling shapes.

Each test opens its own sockets from its own loopback addresses
(harness.new_client_address), bounds every loop in time and count, and
closes what it opened. docs/ARCHITECTURE.md, "Limits and deadlines",
describes what is tested here.
"""
import json
import multiprocessing
import os
import random
import re
import resource
import select
import signal
import socket
import string
import tempfile
import threading
import time

import harness


def connect(port, source=None, timeout=5.0):
    """A TCP connection to the server from source (a 127.x.y.z)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if source:
            s.bind((source, 0))
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    return s


def read_until_close(s, timeout):
    """(bytes received, closed by the server) within timeout seconds."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, False
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            return data, False
        except (ConnectionResetError, BrokenPipeError):
            return data, True
        if not d:
            return data, True
        data += d


def read_answer(s, timeout):
    """One answer's bytes (headers and Content-Length body), or what came
    before timeout or the close."""
    data = b""
    deadline = time.monotonic() + timeout
    while not harness._complete(data):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not d:
            break
        data += d
    return data


def status_lines(data):
    return re.findall(rb"HTTP/1\.[01] \d{3}", data)


def metric(gz, name):
    text = gz.get("/metrics").text
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def watch_closes(socks, opened, trickle, until, interval=0.5):
    """Sends one byte of trickle on every open socket each interval
    (each byte would reset an idle timeout) and notes when the server
    closes each one. Returns {index: seconds from opened[index] to the
    close}; stops at monotonic time until or when all are closed."""
    closed = {}
    pos = [0] * len(socks)
    next_send = time.monotonic()
    while len(closed) < len(socks) and time.monotonic() < until:
        now = time.monotonic()
        if now >= next_send:
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                try:
                    s.send(trickle[pos[i] % len(trickle):][:1])
                    pos[i] += 1
                except OSError:
                    closed[i] = time.monotonic() - opened[i]
            next_send = now + interval
        live = [s for i, s in enumerate(socks) if i not in closed]
        r, _, _ = select.select(live, [], [],
                                max(0.0, min(next_send, until) -
                                    time.monotonic()))
        for s in r:
            i = socks.index(s)
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if not d:
                closed[i] = time.monotonic() - opened[i]
    return closed


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


# ---- 1a. deadlines ---------------------------------------------------------

class Deadlines(harness.ServerTestCase):
    """A connection has header_timeout seconds for a request's headers
    and body_timeout (+ 1 s per body_rate bytes) for its body, however
    it trickles them; the sweeper closes it then (+ 1 s of slack)."""
    ENV = {"GAZETTE_HEADER_TIMEOUT": "2", "GAZETTE_BODY_TIMEOUT": "2"}
    HEADER_S = 2.0
    BODY_S = 2.0

    def test_slow_headers_are_closed_within_the_deadline(self):
        src = harness.new_client_address()
        socks, opened = [], []
        try:
            for _ in range(10):
                socks.append(connect(self.gz.port, src))
                opened.append(time.monotonic())
                socks[-1].sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            closed = watch_closes(socks, opened, b"X-Slow: aaaaaaaaaaaa",
                                  time.monotonic() + self.HEADER_S + 4)
        finally:
            close_all(socks)
        late = [round(closed.get(i, -1), 2) for i in range(len(socks))
                if closed.get(i, 99) > self.HEADER_S + 1]
        self.assertEqual(late, [], "connections trickling header bytes every"
                         " 0.5 s must be closed within %.0f s (+1 s); "
                         "seconds to close (-1: still open): %s" % (
                             self.HEADER_S, late))

    def test_slow_body_is_closed_within_the_deadline(self):
        src = harness.new_client_address()
        socks, opened = [], []
        try:
            for _ in range(10):
                s = connect(self.gz.port, src)
                s.sendall(b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/x-www-form-urlencoded"
                          b"\r\nContent-Length: 1000\r\n\r\nemail=")
                socks.append(s)
                opened.append(time.monotonic())
            closed = watch_closes(socks, opened, b"a",
                                  time.monotonic() + self.BODY_S + 4)
        finally:
            close_all(socks)
        late = [round(closed.get(i, -1), 2) for i in range(len(socks))
                if closed.get(i, 99) > self.BODY_S + 1]
        self.assertEqual(late, [], "bodies trickled a byte every 0.5 s must"
                         " be cut within %.0f s (+1 s); seconds to close "
                         "(-1: still open): %s" % (self.BODY_S, late))


# ---- 1b. per-address limit ---------------------------------------------------

class PerAddress(harness.ServerTestCase):
    """The default per-address limit is 32: the 33rd connection from one
    address is answered 503 at once, another address is served."""

    def test_33rd_connection_of_one_address_is_refused(self):
        src = harness.new_client_address()
        socks = []
        try:
            for _ in range(32):
                socks.append(connect(self.gz.port, src))
            time.sleep(0.3)  # all 32 accepted and counted
            extra = connect(self.gz.port, src)
            socks.append(extra)
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            refused = harness.RawResponse(read_answer(extra, 3.0))
            try:
                other = self.get("/healthz", timeout=3,
                                 source=harness.new_client_address()).status
            except OSError as e:
                other = repr(e)
        finally:
            close_all(socks)
        self.assertEqual((refused.status, bool(refused.header("Retry-After")),
                          other), (503, True, 200),
                         "33rd connection: %r; another address: %r" % (
                             refused.raw[:120], other))


# ---- 1c. the connection limit -------------------------------------------------

class Full(harness.ServerTestCase):
    """At server.max_connections a new connection is answered 503 (with
    Retry-After) at once, unless a connection has waited a second or more
    for its request's headers: that one gives way."""
    ENV = {"GAZETTE_MAX_CONNECTIONS": "10"}

    def setUp(self):
        # The server must have seen every earlier connection close (the
        # start-up probe's, the last test's) before a test fills its ten
        # places, or a leftover takes the tenth (a loaded machine can take
        # a while): wait until /metrics counts only its own.
        deadline = time.monotonic() + 10
        while True:
            r = self.get("/metrics", source=harness.new_client_address())
            m = re.search(r"^gazette_http_connections_open (\d+)$",
                          r.text, re.M)
            if m and int(m.group(1)) <= 1:
                break
            self.assertLess(time.monotonic(), deadline,
                            "connections still open: %s" %
                            (m.group(1) if m else "no gauge"))
            time.sleep(0.1)
        time.sleep(0.3)  # and that probe's own close

    def test_full_server_answers_503_at_once(self):
        socks = []
        try:
            for _ in range(10):
                # Bodies in progress: busy connections, none gives way.
                s = connect(self.gz.port, harness.new_client_address())
                s.sendall(b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/x-www-form-urlencoded"
                          b"\r\nContent-Length: 1000\r\n\r\nemail=")
                socks.append(s)
            time.sleep(0.3)
            start = time.monotonic()
            s = connect(self.gz.port, harness.new_client_address())
            socks.append(s)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            r = harness.RawResponse(read_answer(s, 3.0))
            took = time.monotonic() - start
        finally:
            close_all(socks)
        self.assertEqual((r.status, bool(r.header("Retry-After")),
                          took < 1.0), (503, True, True),
                         "a new connection to a full server: %r after "
                         "%.2fs" % (r.raw[:120], took))

    def test_connection_waiting_for_headers_gives_way(self):
        socks = []
        try:
            for _ in range(10):
                socks.append(connect(self.gz.port,
                                     harness.new_client_address()))
            time.sleep(1.3)  # they have waited a second for their headers
            before = sum(read_until_close(s, 0.02)[1] for s in socks)
            try:
                status = self.get("/healthz", timeout=3,
                                  source=harness.new_client_address()).status
            except OSError as e:
                status = repr(e)
            time.sleep(0.3)
            after = sum(read_until_close(s, 0.02)[1] for s in socks)
        finally:
            close_all(socks)
        self.assertEqual((before, status, after), (0, 200, 1),
                         "idle connections closed before a new client came, "
                         "its status, and idle connections closed after")


# ---- 1. /healthz under an attack ---------------------------------------------

def slow_attack(port, addrs, connections, stop, opened):
    """Keeps connections slow connections open to port from addrs, each
    sending one header byte a second; a connection the server closes or
    refuses is reopened (at most 200 a second). Runs in its own process,
    niced, so that what the probe measures is the server, not the
    attacker's share of the test's CPU. opened: a shared counter."""
    os.nice(10)
    line = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
    socks = [None] * connections
    pos = [0] * connections
    try:
        while not stop.is_set():
            round_start = time.monotonic()
            reopened = 0
            for i in range(connections):
                s = socks[i]
                if s is None:
                    if reopened >= 200:
                        continue
                    s = socket.socket()
                    try:
                        s.bind((addrs[i % len(addrs)], 0))
                        s.setblocking(False)
                        s.connect_ex(("127.0.0.1", port))
                    except OSError:
                        s.close()
                        continue
                    socks[i], pos[i] = s, 0
                    reopened += 1
                    with opened.get_lock():
                        opened.value += 1
                    continue
                try:
                    if pos[i] < len(line):
                        s.send(line[pos[i]:pos[i] + 1])
                        pos[i] += 1
                    if s.recv(4096) == b"":
                        raise OSError("closed")
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    socks[i] = None
            stop.wait(max(0.0, 1.0 - (time.monotonic() - round_start)))
    finally:
        close_all([s for s in socks if s is not None])


class Attack(harness.ServerTestCase):
    """1,000 slow connections (a header byte a second each, refused ones
    reopened) from 40 addresses against max_connections 200: /healthz
    from another address answers every time, in under 100 ms (plus the
    slowest answer of a server not attacked, probed in turn: on a machine
    busy with other work that is scheduling, not the server)."""
    ENV = {"GAZETTE_MAX_CONNECTIONS": "200"}
    CONNECTIONS = 1000
    ADDRESSES = 40
    SECONDS = 10.0

    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = cls.CONNECTIONS + 512
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (min(want, hard), hard))
        super().setUpClass()

    def test_healthz_answers_fast_throughout(self):
        # A second server, not attacked, is probed in turn with the first:
        # on a machine busy with other work, scheduling alone delays
        # answers, and what the control sees in the same moments is
        # allowed on top of the 100 ms (on a quiet machine, a few ms).
        control = harness.Gazette(env=self.ENV)
        ctx = multiprocessing.get_context("fork")
        stop, opened = ctx.Event(), ctx.Value("i", 0)
        addrs = [harness.new_client_address() for _ in range(self.ADDRESSES)]
        attacker = ctx.Process(target=slow_attack, args=(
            self.gz.port, addrs, self.CONNECTIONS, stop, opened))
        statuses, times, quiet = [], [], []
        try:
            control.start()
            attacker.start()
            time.sleep(2.5)  # the attack is in place
            src = harness.new_client_address()
            end = time.monotonic() + self.SECONDS
            while time.monotonic() < end and len(times) < 400:
                for gz, out in ((control, quiet), (self.gz, times)):
                    start = time.monotonic()
                    try:
                        status = gz.get("/healthz", source=src,
                                        timeout=2).status
                    except OSError as e:
                        status = repr(e)
                    out.append(time.monotonic() - start)
                    if gz is self.gz:
                        statuses.append(status)
                time.sleep(0.03)
        finally:
            stop.set()
            if attacker.pid:
                attacker.join(30)
                if attacker.is_alive():
                    attacker.kill()
                    attacker.join()
            control.stop()
            control.cleanup()
        self.assertGreater(opened.value, self.CONNECTIONS - 1)
        bad = [s for s in statuses if s != 200]
        budget = 0.1 + max(quiet)
        self.assertEqual((bad, max(times) < budget), ([], True),
                         "%d samples while %d attack connections were "
                         "opened: non-200 %r, slowest %.1f ms (budget %.1f "
                         "ms: 100 + the slowest of the control)" % (
                             len(times), opened.value, bad[:5],
                             max(times) * 1000, budget * 1000))


# ---- 2. canonical page-cache keys -------------------------------------------

def big_story_fixture():
    """A fixture with one ~50 KB story (the cache's worst case: large
    pages), written once into a temporary folder."""
    words = ("harbour tide lantern market evening council river bridge "
             "ferry night stall").split()
    rnd = random.Random(9)
    paras = [" ".join(rnd.choice(words) for _ in range(120))
             for _ in range(60)]
    doc = {"articles": [{
        "slug": "a-very-long-story",
        "title": "A very long story",
        "excerpt": "It goes on.",
        "markdown": "\n\n".join(paras),
        "author": "maren-okafor",
        "tags": [],
        "status": "published",
        "published_at": "2026-11-20T12:00:00Z",
    }]}
    d = tempfile.mkdtemp(prefix="gz-big-")
    path = os.path.join(d, "big.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class CacheKeys(harness.ServerTestCase):
    """Only canonical targets are kept; one meaning has one entry."""
    FIXTURES = (big_story_fixture(),)
    STORY = "/articles/a-very-long-story"

    def hit(self, path):
        before = metric(self.gz, "gazette_page_cache_hits_total")
        r = self.get(path)
        self.assertEqual(r.status, 200, path)
        return metric(self.gz, "gazette_page_cache_hits_total") > before

    def test_junk_parameters_leave_the_cache_bounded(self):
        first = self.get(self.STORY)
        self.assertEqual(first.status, 200)
        self.assertGreater(len(first.body), 40000)
        for _ in range(50):  # warm up the allocator
            self.get(self.STORY + "?warm=%d" % random.randrange(10 ** 9))
        pid = self.gz.proc.pid
        rss0 = rss_kb(pid)
        errors = []

        def load(n):
            rnd = random.Random(n)
            import http.client
            c = http.client.HTTPConnection("127.0.0.1", self.gz.port,
                                           timeout=10)
            try:
                for _ in range(500):
                    junk = "".join(rnd.choice(string.ascii_lowercase)
                                   for _ in range(8))
                    c.request("GET", "%s?%s=%d&utm_source=%s" % (
                        self.STORY, junk, rnd.randrange(10 ** 9), junk),
                        headers={"Accept-Encoding": "gzip"})
                    r = c.getresponse()
                    r.read()
                    if r.status != 200:
                        errors.append(r.status)
            finally:
                c.close()

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        grown_mb = (rss_kb(pid) - rss0) / 1024.0
        entries = metric(self.gz, "gazette_page_cache_entries")
        # RSS means nothing under the sanitizers (ASan's quarantine holds
        # freed memory): there the cache's own gauge is the check.
        rss_ok = grown_mb < 16 or \
            os.environ.get("GZ_SANITIZE", "none") != "none"
        self.assertEqual((errors, entries is not None and entries <= 4,
                          rss_ok), ([], True, True),
                         "after 2,000 requests with junk parameters: %r "
                         "cache entries, RSS grew %.1f MB" % (entries,
                                                             grown_mb))

    def test_one_meaning_has_one_entry(self):
        self.get("/search?q=harbour&page=1")
        self.assertTrue(self.hit("/search?page=1&q=h%61rbour"),
                        "the same search, spelled otherwise, was rendered "
                        "again")


# ---- 3. too many parameters, too many header bytes ----------------------------

MANY = "&".join("kkkkkkkk" for _ in range(450))  # 450 parameters, 4 KiB


class TooLarge(harness.ServerTestCase):

    def raw(self, data, timeout=3.0):
        s = connect(self.gz.port, harness.new_client_address())
        try:
            s.sendall(data)
            return harness.RawResponse(read_answer(s, timeout))
        finally:
            s.close()

    def test_450_parameters_get_431_at_once(self):
        start = time.monotonic()
        r = self.raw(("GET /?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" %
                      MANY).encode())
        took = time.monotonic() - start
        self.assertEqual((r.status, took < 1.0), (431, True),
                         "%r after %.2fs" % (r.raw[:100], took))

    def test_in_flight_gauge_comes_back_after_431(self):
        for _ in range(5):
            s = connect(self.gz.port, harness.new_client_address())
            s.sendall(("GET /?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" %
                       MANY).encode())
            read_answer(s, 0.5)
            s.close()
        time.sleep(0.3)
        # The scrape itself is the one request in flight.
        self.assertEqual(metric(self.gz, "gazette_http_requests_in_flight"), 1)

    def headers_20k(self, path):
        pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000)
                       for i in range(20))
        return self.raw(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + pad + b"\r\n")

    def test_20k_of_headers_get_our_431_json_under_api(self):
        r = self.headers_20k(b"/api/v1/articles")
        body = json.loads(r.body or b"null") if r.header(
            "content-type", "").startswith("application/json") else None
        self.assertEqual((r.status, isinstance(body, dict) and
                          "error" in body), (431, True), r.raw[:300])

    def test_20k_of_headers_get_our_431_page_elsewhere(self):
        r = self.headers_20k(b"/")
        self.assertEqual((r.status, r.header("content-type", "")
                          .startswith("text/html")), (431, True),
                         r.raw[:300])


class StopAfter431(harness.ServerTestCase):
    """SIGTERM right after refused requests: nothing is left in flight."""

    def test_sigterm_right_after_431_exits_within_2s(self):
        gz = harness.Gazette()
        try:
            gz.start()
            for _ in range(3):
                s = connect(gz.port, harness.new_client_address())
                s.sendall(("GET /?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" %
                           MANY).encode())
                read_answer(s, 0.5)
                s.close()
            start = time.monotonic()
            rc = gz.stop(timeout=5)
            took = time.monotonic() - start
        finally:
            gz.cleanup()
        self.assertEqual((rc, took < 2.0), (0, True),
                         "exit %r after %.2fs" % (rc, took))


# ---- 4. request smuggling shapes ---------------------------------------------

SMUGGLED = (b"GET /healthz?smuggled=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")


class Smuggling(harness.ServerTestCase):
    """Ambiguous framing is refused and the connection closed: the request
    hidden behind it is never answered."""

    def exchange(self, head, body=b""):
        s = connect(self.gz.port, harness.new_client_address())
        try:
            s.sendall(head + body + SMUGGLED)
            data, closed = read_until_close(s, 3.0)
        finally:
            s.close()
        return data, closed

    def check(self, head, body, status):
        data, closed = self.exchange(head, body)
        r = harness.RawResponse(data)
        self.assertEqual((r.status, len(status_lines(data)),
                          (r.header("connection") or "").lower(), closed),
                         (status, 1, "close", True),
                         "answers: %r" % status_lines(data))

    def test_two_content_lengths(self):
        self.check(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0"
                   b"\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED), b"",
                   400)

    def test_content_length_and_chunked(self):
        self.check(b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\n"
                   b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                   b"0\r\n\r\n", 400)

    def test_transfer_coding_other_than_chunked(self):
        self.check(b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Type: application/x-www-form-urlencoded\r\n"
                   b"Transfer-Encoding: gzip, chunked\r\n\r\n",
                   b"0\r\n\r\n", 501)


# ---- a part without a name ------------------------------------------------------

class NamelessPart(harness.ServerTestCase):
    """A multipart part with no name (tests/fuzz/crashes/req) is no field:
    dropped, where it used to crash the server."""

    def test_multipart_part_without_name(self):
        body = b"--BBBB\r\n\r\nxy\r\n--BBBB--\r\n"
        r = self.gz.raw(b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: multipart/form-data; boundary=BBBB"
                        b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                        % len(body) + body, timeout=3, wait_close=True)
        try:
            alive = self.get("/healthz", timeout=3).status
        except OSError as e:
            alive = repr(e)
        self.assertEqual((r.status, alive), (422, 200))
