#!/usr/bin/env python3
"""Gazette soak and overload run (issue 9): mixed load plus hostile clients
for a fixed time, then a check that every write the server acknowledged
is in the database.

What runs at once, for --seconds (default 600):
  readers   wrk, --connections (default 256) connections, random pages:
            home, stories, tags, searches, API lists;
  writers   comments (about 5/s, from many loopback addresses, so the
            per-address limit does not refuse them all), subscriptions
            (about 2/s), a story published through the API every minute;
            every acknowledged write (201/202) is remembered;
  hostile   50 slowloris connections (a header byte a second, reopened
            when closed), junk-parameter requests of a large story,
            cache-busting one-letter searches, 20 connections that ask for
            a 10 MiB image and never read, requests with 450 parameters;
  probe     GET /healthz every 200 ms from its own address and process, timed;
  memory    the server's RSS every 5 s.

Afterwards the server is stopped with SIGTERM (it must exit 0), and the
database is read directly: every acknowledged comment, subscriber and
story must be there. The run prints a table, verdict lines and writes
build/soak-results.json (or --out). It exits 0 when it could measure, 1
when the verdicts failed, 2 when it could not run. Not part of
./test.sh: it is long by design.

Usage: python3 tests/soak/run.py [--seconds 600] [--connections 256]
       [--stories 2000] [--bin build/gazette] [--out PATH]
Python 3 standard library only; needs wrk.
"""
import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
import content  # noqa: E402 - tests/bench/content.py, the story generator


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def tail(path, n=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---- wrk ------------------------------------------------------------------------

LUA = r"""
local paths = dofile("%s")
init = function(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
request = function()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""


def probe_loop(port, stop, out):
    """GET /healthz every 200 ms from its own address until stop is set;
    puts [(seconds since start, answer time or None)] on out."""
    t0 = time.monotonic()
    probes = []
    while not stop.wait(0.2):
        t = time.monotonic()
        st, _ = request(port, "GET", "/healthz", source="127.0.250.1",
                        timeout=5)
        probes.append((round(t - t0, 1),
                       time.monotonic() - t if st == 200 else None))
    out.put(probes)


def run_wrk(tmp, port, paths, seconds, connections):
    """wrk on random paths; returns {rps, p99_ms, errors}."""
    lp = os.path.join(tmp, "paths.lua")
    with open(lp, "w") as f:
        f.write("return {\n" + ",\n".join(json.dumps(p) for p in paths)
                + "\n}\n")
    script = os.path.join(tmp, "soak.lua")
    with open(script, "w") as f:
        f.write(LUA % lp)
    p = subprocess.run(["wrk", "-t2", "-c%d" % connections,
                        "-d%ds" % seconds, "--timeout", "5s", "--latency",
                        "-H", "Accept-Encoding: gzip", "-s", script,
                        "http://127.0.0.1:%d/" % port],
                       capture_output=True, text=True, timeout=seconds + 120)
    out = p.stdout
    res = {"rps": 0.0, "p99_ms": None, "errors": 0, "raw": out}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if m:
        res["p99_ms"] = float(m.group(1)) * {"us": 1e-3, "ms": 1,
                                             "s": 1e3}[m.group(2)]
    for pat in (r"Non-2xx or 3xx responses:\s+(\d+)",
                r"Socket errors: connect (\d+), read (\d+), write (\d+),"
                r" timeout (\d+)"):
        m = re.search(pat, out)
        if m:
            res["errors"] += sum(int(x) for x in m.groups())
    return res


# ---- raw HTTP ---------------------------------------------------------------

def request(port, method, path, body=None, headers=None, source=None,
            timeout=10.0):
    """One request on its own connection; returns (status, body bytes) or
    (0, b"") on a network error."""
    h = {"Host": "127.0.0.1:%d" % port, "Connection": "close"}
    h.update(headers or {})
    if body is not None:
        h["Content-Length"] = str(len(body))
    head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join(
        "%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(head.encode() + (body or b""))
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
        s.close()
    except OSError:
        return 0, b""
    data = b"".join(chunks)
    try:
        status = int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, data
    return status, data.split(b"\r\n\r\n", 1)[-1]


def api_json(port, method, path, obj, token=None, source=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    st, body = request(port, method, path, json.dumps(obj).encode(), h,
                       source=source)
    try:
        return st, json.loads(body)
    except ValueError:
        return st, None


def png_bytes(size):
    """A valid small PNG followed by padding up to size bytes."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + b"\x80\x40\x20" * 4 for _ in range(4))
    png = (b"\x89PNG\r\n\x1a\n" +
           chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return png + b"\x00" * max(0, size - len(png))


# ---- the run ------------------------------------------------------------------

class Soak:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {"comments": [], "subscribers": [], "stories": []}
        self.write_errors = {}
        self.probe = []          # (t, seconds or None)
        self.rss = []            # (t, kib)
        self.hostile = {}        # name -> count of requests/connections
        self.sources = iter(("127.1.%d.%d" % (i // 250, i % 250 + 1)
                             for i in range(10, 60000)))

    def source(self):
        with self.lock:
            return next(self.sources)

    def count(self, what, key):
        with self.lock:
            d = self.hostile if what == "h" else self.write_errors
            d[key] = d.get(key, 0) + 1

    # -- set-up
    def start(self):
        a = self.args
        self.db = os.path.join(self.tmp, "gz.db")
        env = os.environ.copy()
        env = {k: v for k, v in env.items() if not k.startswith("GAZETTE_")}
        # wrk's 256 connections all come from 127.0.0.1: the per-address
        # limit (32 by default) would turn most of the readers away.
        env.update({"GAZETTE_ACCESS_LOG": "false", "GAZETTE_DB": self.db,
                    "GAZETTE_PER_IP_CONNECTIONS": "0",
                    "GAZETTE_DATA_DIR": os.path.join(self.tmp, "data")})
        self.env = env
        run = lambda *c, **kw: subprocess.run([a.bin, *c], env=env, cwd=ROOT,
                                              check=True, capture_output=True,
                                              **kw)
        run("init")
        gen = os.path.join(self.tmp, "gen")
        os.makedirs(gen)
        chunk = max(content.BLOCK, (a.stories + content.BLOCK - 1)
                    // content.BLOCK * content.BLOCK)
        chunks, _ = content.generate(a.stories, gen, chunk, images=False)
        for path in chunks:
            run("import", path)
        with open(os.path.join(gen, "slugs.txt")) as f:
            self.slugs = [line.strip() for line in f if line.strip()][:500]
        with open(chunks[0]) as f:
            first_author = json.load(f)["authors"][0]["slug"]
        # A large story makes junk-parameter and search abuse expensive.
        big = {"articles": [{"slug": "soak-big-story", "title": "A big story",
                             "author": first_author,
                             "status": "published",
                             "published_at": "2026-01-01T00:00:00Z",
                             "markdown": ("the tide turns at the quay " * 30000)}]}
        with open(os.path.join(self.tmp, "big.json"), "w") as f:
            json.dump(big, f)
        run("import", os.path.join(self.tmp, "big.json"))
        run("user", "add", "--email", "soak@example.org", "--name",
            "Soak Editor", "--role", "editor",
            input=b"a soak test password\n")
        self.token = run("token", "create", "--name", "soak", "--user",
                         "soak@example.org").stdout.decode().strip()
        self.port = free_port()
        self.log = open(os.path.join(self.tmp, "server.log"), "w")
        self.proc = subprocess.Popen(
            [a.bin, "serve", "--port", str(self.port)], env=env, cwd=ROOT,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            if request(self.port, "GET", "/healthz")[0] == 200:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        boundary = "soakboundary"
        img = png_bytes(10 << 20)
        body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                 "filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n"
                 % boundary).encode() + img +
                ("\r\n--%s--\r\n" % boundary).encode())
        st, resp = request(self.port, "POST", "/api/v1/media", body, {
            "Content-Type": "multipart/form-data; boundary=" + boundary,
            "Authorization": "Bearer " + self.token}, timeout=60)
        self.media = None
        if st == 201:
            url = json.loads(resp)["media"][0]["url"]
            self.media = "/" + url.split("/", 3)[3]
        log("server on port %d, %d stories, media %s" % (
            self.port, a.stories, self.media))

    # -- load
    def readers(self):
        a = self.args
        paths = ["/", "/?page=2", "/tags/city", "/api/v1/articles",
                 "/api/v1/articles?limit=5&include=tags",
                 "/search?q=harbour", "/search?q=tide", "/feed.xml"]
        paths += ["/articles/%s" % s for s in self.slugs[:300]]
        paths += ["/api/v1/articles/%s" % s for s in self.slugs[:100]]
        self.wrk = run_wrk(self.tmp, self.port, paths, a.seconds,
                           a.connections)

    def comments(self):
        while not self.stop.wait(0.2):
            slug = random.choice(self.slugs[:50])
            st, j = api_json(self.port, "POST",
                             "/api/v1/articles/%s/comments" % slug,
                             {"name": "Soak", "body": "Comment %d" %
                              random.randrange(1 << 30)},
                             source=self.source())
            if st in (201, 202) and j:
                with self.lock:
                    self.acked["comments"].append(j["comments"][0]["id"])
            else:
                self.count("w", "comment %d" % st)

    def subscriptions(self):
        n = 0
        while not self.stop.wait(0.5):
            n += 1
            email = "soak%d-%d@example.org" % (os.getpid(), n)
            st, j = api_json(self.port, "POST", "/api/v1/subscribers",
                             {"email": email}, source=self.source())
            if st == 202:
                with self.lock:
                    self.acked["subscribers"].append(email)
            else:
                self.count("w", "subscribe %d" % st)

    def publisher(self):
        n = 0
        while not self.stop.wait(60 if n else 5):
            n += 1
            st, j = api_json(self.port, "POST", "/api/v1/articles", {
                "title": "Soak story %d %d" % (os.getpid(), n),
                "markdown": "Published during the soak run.",
                "status": "published"}, token=self.token)
            if st == 201 and j:
                with self.lock:
                    self.acked["stories"].append(j["articles"][0]["id"])
            else:
                self.count("w", "publish %d" % st)

    # -- hostile
    def slowloris(self, n=50):
        socks = []
        while not self.stop.is_set():
            while len(socks) < n:
                try:
                    s = socket.create_connection(("127.0.0.1", self.port), 5)
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
                    socks.append(s)
                    self.count("h", "slowloris connections")
                except OSError:
                    break
            for s in list(socks):
                try:
                    s.sendall(b"X")
                except OSError:
                    socks.remove(s)
                    s.close()
                    self.count("h", "slowloris closed by the server")
            self.stop.wait(1.0)
        for s in socks:
            s.close()

    def junk(self):
        while not self.stop.wait(0.1):
            q = "&".join("j%d=%d" % (random.randrange(1 << 20),
                                     random.randrange(1 << 20))
                         for _ in range(5))
            request(self.port, "GET", "/articles/soak-big-story?" + q,
                    source=self.source())
            self.count("h", "junk-parameter requests")

    def searches(self):
        while not self.stop.wait(0.2):
            request(self.port, "GET", "/search?q=t&x=%d" %
                    random.randrange(1 << 30), source=self.source())
            self.count("h", "cache-busting searches")

    def many_params(self):
        q = "&".join("p%d=1" % i for i in range(450))
        while not self.stop.wait(2.0):
            request(self.port, "GET", "/?" + q, timeout=20,
                    source=self.source())
            self.count("h", "450-parameter requests")

    def media_hog(self, n=20):
        if not self.media:
            return
        socks = []
        while not self.stop.is_set():
            while len(socks) < n:
                try:
                    s = socket.create_connection(("127.0.0.1", self.port), 5)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
                               % self.media).encode())
                    socks.append(s)
                    self.count("h", "unread media connections")
                except OSError:
                    break
            self.stop.wait(2.0)
            # The server may close them after its timeout: reopen.
            for s in list(socks):
                try:
                    s.send(b"")
                except OSError:
                    socks.remove(s)
        for s in socks:
            s.close()

    # -- watching
    def start_prober(self):
        """The /healthz probe runs in a process of its own: as a thread of
        this one it shared the GIL with the hostile clients' loops, and a
        probe's answer could wait tens of ms for this process, not for
        the server."""
        ctx = multiprocessing.get_context("fork")
        self.probe_stop = ctx.Event()
        self.probe_out = ctx.Queue()
        self.probe_proc = ctx.Process(target=probe_loop, args=(
            self.port, self.probe_stop, self.probe_out), daemon=True)
        self.probe_proc.start()

    def stop_prober(self):
        self.probe_stop.set()
        try:
            self.probe = self.probe_out.get(timeout=30)
        finally:
            self.probe_proc.join(10)
            if self.probe_proc.is_alive():
                self.probe_proc.kill()

    def memory(self):
        t0 = time.monotonic()
        while not self.stop.wait(5.0):
            st = proc_status(self.proc.pid)
            if st:
                self.rss.append((round(time.monotonic() - t0),
                                 st.get("VmRSS")))

    # -- the end
    def finish(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exit_code = "killed after 30 s"
        db = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        have = lambda sql, v: db.execute(sql, (v,)).fetchone() is not None
        self.lost = {
            "comments": [i for i in self.acked["comments"] if not have(
                "SELECT 1 FROM comments WHERE id = ?", i)],
            "subscribers": [e for e in self.acked["subscribers"] if not have(
                "SELECT 1 FROM subscribers WHERE email = ?", e)],
            "stories": [i for i in self.acked["stories"] if not have(
                "SELECT 1 FROM articles WHERE id = ? AND status ="
                " 'published'", i)],
        }
        db.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--stories", type=int, default=2000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "gazette"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build",
                                                  "soak-results.json"))
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("soak: needs wrk (apt-get install wrk)")
        return 2
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp(prefix="gz-soak-")
    soak = Soak(args, tmp)
    try:
        soak.start()
        workers = [soak.comments, soak.subscriptions, soak.publisher,
                   soak.slowloris, soak.junk, soak.searches, soak.many_params,
                   soak.media_hog, soak.memory]
        threads = [threading.Thread(target=w, daemon=True) for w in workers]
        for t in threads:
            t.start()
        soak.start_prober()
        log("load for %d s at %d connections plus hostile clients" % (
            args.seconds, args.connections))
        soak.readers()
        soak.stop.set()
        soak.stop_prober()
        for t in threads:
            t.join(30)
        soak.finish()
    except Exception as e:  # noqa: BLE001 - report any failure to measure
        print("soak: could not run: %s" % e)
        print(tail(os.path.join(tmp, "server.log")))
        try:
            soak.proc.kill()
        except Exception:  # noqa: BLE001
            pass
        return 2

    w = soak.wrk
    lat = sorted(x for _, x in soak.probe if x is not None)
    failed_probes = sum(1 for _, x in soak.probe if x is None)
    rss = [k for _, k in soak.rss if k]
    warm = rss[len(rss) // 5:] if len(rss) >= 5 else rss
    res = {
        "seconds": args.seconds, "connections": args.connections,
        "readers": {"rps": round(w["rps"]), "p99_ms": w["p99_ms"],
                    "errors": w["errors"]},
        "healthz": {"probes": len(soak.probe), "failed": failed_probes,
                    "max_ms": round(max(lat) * 1000, 1) if lat else None,
                    "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 1)
                    if lat else None},
        "rss_kib": soak.rss,
        "rss_after_warmup": {"min": min(warm) if warm else None,
                             "max": max(warm) if warm else None},
        "acknowledged": {k: len(v) for k, v in soak.acked.items()},
        "lost": {k: len(v) for k, v in soak.lost.items()},
        "write_refusals": soak.write_errors,
        "hostile": soak.hostile,
        "exit_code": soak.exit_code,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print()
    print("readers: %d req/s, p99 %s ms, %d errors (non-2xx/3xx and"
          " socket errors)" % (res["readers"]["rps"], res["readers"]["p99_ms"],
                               res["readers"]["errors"]))
    print("healthz: %d probes, %d failed, max %s ms, p99 %s ms" % (
        len(soak.probe), failed_probes, res["healthz"]["max_ms"],
        res["healthz"]["p99_ms"]))
    print("RSS (KiB) every 5 s: %s" % " ".join(str(k) for k in rss))
    print("acknowledged writes: %s; lost: %s" % (res["acknowledged"],
                                                res["lost"]))
    print("write refusals: %s" % soak.write_errors)
    print("hostile: %s" % soak.hostile)
    print("server exit: %s" % soak.exit_code)
    verdicts = [
        ("no acknowledged write lost", sum(res["lost"].values()) == 0),
        ("/healthz always answered under 100 ms", failed_probes == 0 and
         lat and max(lat) < 0.1),
        ("RSS flat after warm-up (max within 25% of min)", bool(warm) and
         max(warm) <= 1.25 * min(warm)),
        ("graceful stop (exit 0)", soak.exit_code == 0),
    ]
    for name, ok in verdicts:
        print("%s: %s" % ("PASS" if ok else "FAIL", name))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
