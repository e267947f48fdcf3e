#!/usr/bin/env python3
"""Gazette load benchmark: Gazette against nginx serving the same bytes.

One run (see tests/bench/README.md for what each part measures):
  1. content: generates N stories (default 10,000) as import documents
     streamed to disk in chunks (tests/bench/content.py; deterministic), and
     imports them chunk by chunk with `gazette import`, with progress and
     timings; or reuses what --data-dir already holds;
  2. cold start: times exec -> first 200 of `/` and of a story page, with
     the database on disk and in the OS cache, the page cache empty;
  3. starts `gazette serve` (access log off), samples its RSS every second;
  4. rows: for each endpoint (article cached / random, home, four kinds of
     search, API list, API story), wrk against nginx serving the saved bytes
     of that endpoint (gzip_static by default) and against Gazette, plus an
     unloaded probe; CPU per request and the ratios to nginx;
  5. mix: a read mix of random pages, alone and then while comments are
     posted and approved at 10/s and a story is published every 30 s;
  6. soak (--soak-minutes N): the read mix for N minutes, RSS each minute;
  7. prints the tables and writes everything as JSON (build/bench-results.json).

It makes no pass/fail judgement on speed: it exits 0 when it completed a
measurement, non-zero when it could not measure (tool missing, import or
server start failed).

Python 3 standard library only; needs wrk and nginx on PATH.
"""
import argparse
import datetime as dt
import gzip
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import content as C          # noqa: E402
from writers import Writers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BIN = os.path.join(ROOT, "build", "gazette")
DEFAULT_OUT = os.path.join(ROOT, "build", "bench-results.json")
SEED = C.SEED
HOT_STORIES = 50
TAG_PAGES = 50       # the tag-pages row: pages 1-50 of each tag
EDITOR_EMAIL = "bench-editor@example.org"

DEMO_IMAGES = sorted(
    f for f in (os.listdir(os.path.join(ROOT, "static", "demo"))
                if os.path.isdir(os.path.join(ROOT, "static", "demo")) else [])
    if f.endswith(".svg"))

ALL_PHASES = ("cold", "rows", "mix")
ROW_KEYS = ("article-cached", "article-random", "home", "search-common",
            "search-rare", "search-two", "search-phrase", "api-list", "api-story")
EXTRA_ROWS = ("api-search", "tag-pages")   # only when asked for with --rows

# The read mix: (class, weight in %). See README "The read mix".
MIX = [("home", 15), ("hot", 35), ("story", 25), ("tag", 10), ("search", 5),
       ("api-list", 5), ("api-story", 5)]


# ---------------------------------------------------------------------------
# Processes and HTTP helpers.

def log(msg=""):
    print(msg, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, gzip=True, timeout=10.0, conn=None):
    """One GET: (status, headers dict, body, seconds). A fresh connection,
    closed after, unless conn (kept alive) is given."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    t0 = time.perf_counter()
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        secs = time.perf_counter() - t0
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body, secs
    finally:
        if own:
            conn.close()


def wait_http(port, path, proc, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} during start-up")
        try:
            st, _, _, _ = http_get(port, path, gzip=False, timeout=2.0)
            if st == 200:
                return
            last = f"status {st}"
        except OSError as e:
            last = str(e)
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {path} within {timeout:.0f}s ({last})")


def child_pids(pid):
    """PIDs whose parent is pid (nginx workers), read from /proc."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(d))
        except (OSError, IndexError, ValueError):
            pass
    return out


def stop(proc, what, timeout=10.0):
    """SIGTERM, wait; SIGKILL (the process and its children) only if hung."""
    if proc is None or proc.poll() is not None:
        return
    kids = child_pids(proc.pid)
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
        return
    except subprocess.TimeoutExpired:
        log(f"warning: {what} (pid {proc.pid}) ignored SIGTERM for {timeout:.0f}s; killing it")
    except ProcessLookupError:
        return
    for pid in [proc.pid] + kids + child_pids(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        log(f"warning: {what} (pid {proc.pid}) survived SIGKILL")


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    v = v.strip()
                    out[k] = int(v.split()[0]) if k != "Threads" else int(v)
    except OSError:
        pass
    return out   # VmRSS/VmHWM in KiB


def cpu_seconds(pid):
    """User + system CPU time of a process so far, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def wait_idle(pid, timeout, window=0.5, busy_share=0.05):
    """Waits until pid uses under busy_share of one CPU over window seconds,
    at most timeout seconds. Gazette keeps working on requests that were
    queued when wrk stopped; the next run must not share the CPUs with that.
    Returns (seconds waited, idle reached)."""
    t0 = time.monotonic()
    last = cpu_seconds(pid)
    while last is not None and time.monotonic() - t0 < timeout:
        time.sleep(window)
        now = cpu_seconds(pid)
        if now is None:
            break
        if now - last < busy_share * window:
            return time.monotonic() - t0, True
        last = now
    return time.monotonic() - t0, last is None


def tail(path, n=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def machine_busy_seconds():
    """CPU seconds all CPUs spent not idle since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)          # idle + iowait
    busy = sum(v[:8]) - idle                           # guest is inside user
    return busy / os.sysconf("SC_CLK_TCK")


def self_cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def metrics(port):
    """Page-cache counters and the request total from /metrics."""
    st, _, body, _ = http_get(port, "/metrics", gzip=False, timeout=30)
    m = {"hits": 0, "misses": 0, "requests": 0, "ok": 0}
    if st != 200:
        return None
    for line in body.decode("utf-8", "replace").splitlines():
        mm = re.match(r"^(gazette_page_cache_hits_total|gazette_page_cache_misses_total"
                      r"|gazette_http_requests_total)(\{[^}]*\})?\s+([\d.e+]+)", line)
        if mm:
            key = {"gazette_page_cache_hits_total": "hits",
                   "gazette_page_cache_misses_total": "misses",
                   "gazette_http_requests_total": "requests"}[mm.group(1)]
            v = int(float(mm.group(3)))
            m[key] += v
            # requests by status class: status="2xx" (or "200"), "3xx"
            if key == "requests":
                sm = re.search(r'status="(\d)', mm.group(2) or "")
                if sm and sm.group(1) in "23":
                    m["ok"] += v
                elif sm:
                    m[sm.group(1) + "xx"] = m.get(sm.group(1) + "xx", 0) + v
    return m


def served_cpu(g, m0, m1, c0, c1):
    """Gazette's CPU per request answered, counted from the start of a run
    until Gazette is idle again (c0..c1), over the requests /metrics counted
    in that time (minus the /metrics call that opened it). Unlike wrk's
    window, this neither charges the requests still queued when wrk stops
    to the ones that finished nor drops the ones finished after."""
    if not m0 or not m1 or c0 is None or c1 is None:
        return
    served = m1["requests"] - m0["requests"] - 1
    ok = m1["ok"] - m0["ok"] - 1
    g["served"] = served
    g["served_ok"] = ok
    g["statuses"] = {k: m1.get(k, 0) - m0.get(k, 0) for k in ("4xx", "5xx")
                     if m1.get(k, 0) - m0.get(k, 0)}
    g["cpu"]["server_drained_s"] = round(c1 - c0, 2)
    # Per request answered with 2xx/3xx: refusals (429, 503) cost CPU too,
    # and are charged to the answers that were given.
    g["cpu"]["us_per_served"] = round((c1 - c0) * 1e6 / ok, 1) if ok > 0 else None


def cache_delta(m0, m1):
    if not m0 or not m1:
        return None
    h, mi = m1["hits"] - m0["hits"], m1["misses"] - m0["misses"]
    return {"hits": h, "misses": mi,
            "hit_rate": round(h / (h + mi), 4) if h + mi else None}


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


# ---------------------------------------------------------------------------
# Path lists: fixed-width records (path padded with spaces, newline last),
# so wrk's Lua and Python pick a random one with a seek, whatever the size
# (1,000,000 stories would be ~80 MB of Lua table per wrk thread).

class Paths:
    def __init__(self, path, items):
        self.path = path
        self.width = max(len(p.encode()) for p in items) + 1
        self.count = len(items)
        with open(path, "wb") as f:
            for p in items:
                f.write(p.encode().ljust(self.width - 1) + b"\n")
        self._fh = None

    def get(self, i):
        if self._fh is None:
            self._fh = open(self.path, "rb")
        self._fh.seek(i * self.width)
        return self._fh.read(self.width).decode().rstrip()

    def first(self):
        return self.get(0)

    @classmethod
    def from_slugs(cls, path, slugs_file, prefix):
        """Builds the record file straight from slugs.txt (streamed)."""
        width = 0
        count = 0
        with open(slugs_file) as f:
            for line in f:
                width = max(width, len((prefix + line.strip()).encode()))
                count += 1
        self = cls.__new__(cls)
        self.path, self.width, self.count, self._fh = path, width + 1, count, None
        with open(slugs_file) as f, open(path, "wb") as out:
            for line in f:
                out.write((prefix + line.strip()).encode().ljust(width) + b"\n")
        return self


# ---------------------------------------------------------------------------
# wrk.

LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d," ..
    "\"err_connect\":%d,\"err_read\":%d,\"err_write\":%d,\"err_status\":%d," ..
    "\"err_timeout\":%d,\"lat_mean_us\":%.1f,\"lat_p50_us\":%d," ..
    "\"lat_p90_us\":%d,\"lat_p99_us\":%d,\"lat_max_us\":%d}\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""

LUA_PICK = r"""
local classes = {
%s
}
local total = 0
for _, c in ipairs(classes) do total = total + c.w end
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
init = function(args)
  -- args[1]: a seed of its own for every wrk run, so a measured run does
  -- not replay its warm-up's paths (which the warm-up left in the cache).
  math.randomseed(%d + 7919 * (tonumber(args[1]) or 0) + (tid or 0))
  for _, c in ipairs(classes) do c.fh = assert(io.open(c.file, "rb")) end
end
request = function()
  local r = math.random(total)
  local i = 1
  while r > classes[i].w do r = r - classes[i].w; i = i + 1 end
  local c = classes[i]
  c.fh:seek("set", math.random(0, c.n - 1) * c.width)
  local p = c.fh:read(c.width):gsub("%%s+$", "")
  if c.buster then p = p .. "&bench=" .. math.random(1, 2000000000) end
  return wrk.format(nil, p)
end
"""


def write_file(path, body):
    with open(path, "w") as f:
        f.write(body)
    return path


def lua_pick(tmp, name, classes, seed=1000):
    """A wrk script picking, per request, a class by weight, then a random
    path of that class. classes: [(weight, Paths, cache_buster)]."""
    rows = []
    for w, p, buster in classes:
        rows.append('  {w=%d, file="%s", width=%d, n=%d, buster=%s},'
                    % (w, p.path, p.width, p.count, "true" if buster else "false"))
    return write_file(os.path.join(tmp, name), LUA_PICK % ("\n".join(rows), seed) + LUA_DONE)


WRK_RUNS = 0   # every wrk run gets its own random seed (see LUA_PICK)


def run_wrk(args, port, path, script, duration=None, server_pids=None, connections=None):
    """One wrk run. server_pids() lists the server's processes, so the CPU
    used by everything else on the machine during the run can be reported
    (a busy machine makes the numbers noisy)."""
    duration = duration or args.duration
    connections = connections or args.connections
    url = f"http://127.0.0.1:{port}{path}"
    global WRK_RUNS
    WRK_RUNS += 1
    cmd = ["wrk", f"-t{min(args.threads, connections)}", f"-c{connections}",
           f"-d{duration}s", "--timeout", f"{args.wrk_timeout}s", "--latency",
           "-H", "Accept-Encoding: gzip", "-s", script, url, "--", str(WRK_RUNS)]
    pids = server_pids() if server_pids else []
    srv0 = sum(cpu_seconds(p) or 0 for p in pids)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    me0 = self_cpu()
    busy0, t0 = machine_busy_seconds(), time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    busy1, wall = machine_busy_seconds(), time.monotonic() - t0
    me1 = self_cpu()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    srv1 = sum(cpu_seconds(p) or 0 for p in pids)
    out = p.stdout
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stderr.strip() or out.strip()}")
    wrk_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    bench = me1 - me0
    res = {"url": url, "connections": connections, "duration_s": duration, "cpu": {
        "wall_s": round(wall, 2), "server_s": round(srv1 - srv0, 2),
        "wrk_s": round(wrk_cpu, 2), "bench_s": round(bench, 2),
        "other_s": round(max(0.0, (busy1 - busy0) - (srv1 - srv0) - wrk_cpu - bench), 2),
        "machine_s": round(wall * (os.cpu_count() or 1), 2)}}
    m = re.search(r"^BENCH_JSON (\{.*\})$", out, re.M)
    if m:
        res.update(json.loads(m.group(1)))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else (
        res["requests"] / (res["duration_us"] / 1e6) if res.get("duration_us") else 0.0)
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    reqs = res.get("requests") or 0
    res["bytes_per_resp"] = round(res.get("bytes", 0) / reqs) if reqs else 0
    # wrk's Requests/sec counts every answer; errors (429, 503, ...) are not
    # pages served, so the tables use the rate of 2xx/3xx answers.
    res["rps_all"] = res["rps"]
    if res.get("duration_us"):
        res["rps"] = max(0, reqs - res["non_2xx"]) / (res["duration_us"] / 1e6)
    reqs = max(0, reqs - res["non_2xx"])
    res["cpu"]["server_us_per_req"] = (
        round(res["cpu"]["server_s"] * 1e6 / reqs, 1) if reqs else None)
    if not reqs:   # nothing completed: wrk's latency figures are meaningless zeros
        for k in [k for k in res if k.startswith("lat_")]:
            res[k] = None
    res["errors"] = sum(res.get(k, 0) for k in
                        ("err_connect", "err_read", "err_write", "err_timeout")) + res["non_2xx"]
    return res


# ---------------------------------------------------------------------------
# Memory sampling.

class RssSampler(threading.Thread):
    """VmRSS and VmHWM of one process every `every` seconds, each sample
    labelled with the phase the benchmark is in."""

    def __init__(self, pid, every=1.0):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.t0 = time.monotonic()
        self.samples = []   # (seconds since start, VmRSS KiB, VmHWM KiB, threads, phase)
        self.phase = "idle"
        self.stop_ev = threading.Event()

    def sample(self):
        s = proc_status(self.pid)
        if s:
            self.samples.append((round(time.monotonic() - self.t0, 1), s.get("VmRSS", 0),
                                 s.get("VmHWM", 0), s.get("Threads", 0), self.phase))
        return s

    def run(self):
        while not self.stop_ev.is_set():
            self.sample()
            self.stop_ev.wait(self.every)

    def stop(self):
        self.stop_ev.set()
        self.join(5)
        self.sample()

    def by_phase(self):
        out = {}
        for t, rss, hwm, th, ph in self.samples:
            d = out.setdefault(ph, {"from_s": t, "to_s": t, "rss_start_kib": rss,
                                    "rss_end_kib": rss, "rss_max_kib": rss, "hwm_kib": hwm})
            d["to_s"] = t
            d["rss_end_kib"] = rss
            d["rss_max_kib"] = max(d["rss_max_kib"], rss)
            d["hwm_kib"] = max(d["hwm_kib"], hwm)
        return out


# ---------------------------------------------------------------------------
# nginx.

def nginx_conf(tmp, www, servers, gzip_static=True):
    """servers: [(port, file)]: one server block per row, each answering
    every URL with its file (the same bytes Gazette sent for that row)."""
    lines = ["daemon off;", "master_process on;", "worker_processes auto;",
             f"pid {tmp}/nginx.pid;", f"error_log {tmp}/nginx-error.log warn;"]
    if os.geteuid() == 0:
        lines.append("user root;")
    lines += [
        "events { worker_connections 4096; }",
        "http {",
        "    access_log off;",
        "    types { text/html html; application/json json; }",
        "    default_type text/html;",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    keepalive_timeout 65;",
        "    keepalive_requests 1000000;",
        "    gzip on;",
        "    gzip_min_length 1024;",
        "    gzip_types text/html text/css text/plain application/json",
        "               application/javascript application/xml image/svg+xml;",
    ]
    if gzip_static:   # serve FILE.gz (made at level 6, like Gazette) as is
        lines.append("    gzip_static on;")
    for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        lines.append(f"    {t}_temp_path {tmp}/nginx-temp/{t};")
    for port, fname in servers:
        lines += ["    server {", f"        listen 127.0.0.1:{port};", f"        root {www};",
                  f"        location / {{ try_files /{fname} =404; }}", "    }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Content: generate + import, or reuse --data-dir.

def gazette_env(ctx):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env["GAZETTE_ACCESS_LOG"] = "false"
    env["GAZETTE_DATA_DIR"] = os.path.join(ctx.data_dir, "data")
    return env


def cli(ctx, *argv, stdin=None, timeout=120):
    return subprocess.run(ctx.base + list(argv), cwd=ROOT, env=ctx.env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def import_chunks(ctx, chunks, n, per_chunk):
    """`gazette import` of each chunk in turn, with progress; per-chunk
    seconds and peak RSS (from wait4)."""
    prog = C.Progress("importing", n)
    done = 0
    per = []
    t_all = time.monotonic()
    for k, path in enumerate(chunks):
        stories = min(per_chunk, n - done)
        errf = os.path.join(ctx.tmp, "import.err")
        with open(errf, "w") as ef:
            t0 = time.monotonic()
            p = subprocess.Popen(ctx.base + ["import", path], cwd=ROOT, env=ctx.env,
                                 stdout=subprocess.DEVNULL, stderr=ef,
                                 stdin=subprocess.DEVNULL)
            ctx.procs["import"] = p
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                prog.update(done, f"chunk {k + 1}/{len(chunks)} running {time.monotonic() - t0:.0f} s")
                if time.monotonic() - t0 > 7200:
                    stop(p, "gazette import")
                    raise RuntimeError(f"gazette import of {path} took over 2 hours")
                time.sleep(0.25)
            p.returncode = os.waitstatus_to_exitcode(status)
            secs = time.monotonic() - t0
        ctx.procs.pop("import", None)
        if p.returncode != 0:
            raise RuntimeError(f"gazette import {os.path.basename(path)} failed: {tail(errf).strip()}")
        done += stories
        per.append({"stories": stories, "seconds": round(secs, 2),
                    "stories_per_s": round(stories / secs, 1), "max_rss_kib": ru.ru_maxrss,
                    "json_bytes": os.path.getsize(path)})
        prog.update(done, f"chunk {k + 1}/{len(chunks)}: {stories / secs:,.0f}/s, "
                          f"peak RSS {ru.ru_maxrss / 1024:.0f} MiB", force=True)
        if not ctx.args.keep:
            os.unlink(path)
    prog.finish(n)
    wall = time.monotonic() - t_all
    return {"seconds": round(wall, 2), "stories_per_s": round(n / wall, 1),
            "chunks": per, "max_rss_kib": max(c["max_rss_kib"] for c in per)}


def db_bytes(db):
    return sum(os.path.getsize(db + s) for s in ("", "-wal", "-shm") if os.path.exists(db + s))


def prepare_content(ctx):
    """Returns the content meta (content.json in the data folder), making it
    if the folder does not already hold a finished import of N stories."""
    args = ctx.args
    meta_path = os.path.join(ctx.data_dir, "content.json")
    if os.path.exists(meta_path) and os.path.exists(ctx.db):
        try:
            with open(meta_path) as f:
                meta = json.load(f)
        except ValueError:
            meta = {}
        if meta.get("format") == C.FORMAT and meta.get("stories") == args.stories \
                and meta.get("complete"):
            log(f"reusing {args.stories:,} stories in {ctx.data_dir} (generated and imported "
                f"{meta.get('made_at')}; {meta.get('write_runs', 0)} read-while-writing runs since, "
                "their writes deleted after each)")
            meta["reused"] = True
            return meta
        log(f"{ctx.data_dir} holds other content: making it again")
    for s in ("", "-wal", "-shm"):
        if os.path.exists(ctx.db + s):
            os.unlink(ctx.db + s)
    for f in os.listdir(ctx.data_dir):
        if re.fullmatch(r"(chunk-\d+|part-\d+)\.json|slugs\.txt|content\.json", f):
            os.unlink(os.path.join(ctx.data_dir, f))

    chunk = max(C.BLOCK, (args.import_chunk + C.BLOCK - 1) // C.BLOCK * C.BLOCK)
    log(f"generating {args.stories:,} stories ({args.jobs} processes, import documents of "
        f"{chunk:,} stories streamed to {ctx.data_dir}) ...")
    t0 = time.monotonic()
    chunks, meta = C.generate(args.stories, ctx.data_dir, chunk, DEMO_IMAGES, jobs=args.jobs)
    gen_s = time.monotonic() - t0
    meta["generate_s"] = round(gen_s, 2)
    meta["generate_jobs"] = args.jobs
    log(f"  {meta['json_bytes'] / 1e6:,.1f} MB of JSON in {len(chunks)} documents, "
        f"{meta['avg_words']} words per story on average, {meta['comments']:,} comments, "
        f"'{C.SEARCH_WORD}' in {meta['search_word_stories']:,} stories; "
        f"{gen_s:.1f} s ({args.stories / gen_s:,.0f} stories/s)")

    p = cli(ctx, "init", timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"gazette init failed: {p.stderr.strip()}")
    log(f"importing {len(chunks)} document(s) with `gazette import` ...")
    imp = import_chunks(ctx, chunks, args.stories, chunk)
    imp["db_bytes"] = db_bytes(ctx.db)
    meta["import"] = imp
    log(f"  import took {imp['seconds']:.1f} s ({imp['stories_per_s']:,.0f} stories/s), "
        f"database {imp['db_bytes'] / 1e6:,.1f} MB, import peak RSS "
        f"{imp['max_rss_kib'] / 1024:,.0f} MiB")
    meta["complete"] = True
    meta["made_at"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta["binary"] = ctx.args.binary
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    meta["reused"] = False
    return meta


def build_queries(meta, n):
    """Search queries of four kinds, from the document frequencies counted
    while generating. Returns {kind: (list of q, description, df stats)}."""
    rng = random.Random(SEED + 3)
    vdf = meta["vocab_df"]
    content_words = [w for w in C.CONTENT_ONLY if vdf.get(w)]
    common = sorted((w for w in content_words if vdf[w] >= 0.25 * n), key=lambda w: -vdf[w])
    if len(common) < 5:
        common = sorted(content_words, key=lambda w: -vdf[w])[:20]
    names = sorted(w for w, c in meta["name_df"].items() if c >= 1)
    rare = rng.sample(names, min(20000, len(names)))
    mid = [w for w in content_words if 0.05 * n <= vdf[w] <= 0.6 * n] or content_words
    two = []
    while len(two) < 5000:
        a, b = rng.sample(mid, 2)
        two.append(f"{a} {b}")
    phrases = [f'"{p}"' for p in meta["phrases"]] or ['"the harbour"']

    def stats(words, df):
        v = sorted(df[w] for w in words)
        return {"words": len(v), "df_min": v[0], "df_median": v[len(v) // 2], "df_max": v[-1]}

    return {
        "common": (common, "a common word", stats(common, vdf)),
        "rare": (rare, "a place name (rare word)", stats(rare, meta["name_df"])),
        "two": (two, "two words (each in 5-60% of stories)", {"queries": len(two)}),
        "phrase": (phrases, 'a quoted phrase of 2-3 adjacent words', {"queries": len(phrases)}),
    }


def search_path(q):
    return "/search?q=" + urllib.parse.quote_plus(q)


def make_token(ctx):
    """An editor and an API token for the write load (`gazette user add`,
    `gazette token create`)."""
    pw = "bench-" + "".join(random.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(20))
    p = cli(ctx, "user", "add", "--email", EDITOR_EMAIL, "--name", "Bench Editor",
            "--role", "editor", stdin=pw + "\n")
    if p.returncode != 0 and "already" not in (p.stderr + p.stdout).lower() \
            and "taken" not in (p.stderr + p.stdout).lower() \
            and "exists" not in (p.stderr + p.stdout).lower():
        raise RuntimeError(f"gazette user add failed: {p.stderr.strip() or p.stdout.strip()}")
    p = cli(ctx, "token", "create", "--name", "bench", "--user", EDITOR_EMAIL)
    if p.returncode != 0 or not p.stdout.strip():
        raise RuntimeError(f"gazette token create failed: {p.stderr.strip()}")
    return p.stdout.strip().splitlines()[-1]


# ---------------------------------------------------------------------------
# Gazette.

def serve_cmd(ctx, port):
    cmd = ctx.base + ["--host", "127.0.0.1", "--port", str(port)]
    for s in ctx.sets:
        cmd += ["--set", s]
    return cmd + ["serve"]


def start_gazette(ctx, port, logname="gazette.log"):
    logf = open(os.path.join(ctx.tmp, logname), "a")
    t0 = time.perf_counter()
    p = subprocess.Popen(serve_cmd(ctx, port), cwd=ROOT, env=ctx.env, stdout=logf,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    logf.close()
    return p, t0


def warm_os_cache(path):
    """Reads the database file once so it is in the OS page cache."""
    t0 = time.monotonic()
    n = 0
    for s in ("", "-wal"):
        if os.path.exists(path + s):
            with open(path + s, "rb", buffering=0) as f:
                while True:
                    b = f.read(8 << 20)
                    if not b:
                        break
                    n += len(b)
    return n, time.monotonic() - t0


def cold_start(ctx, meta, slugs):
    """exec -> first 200 of `/` (then a story), and exec -> first 200 of a
    story (then `/`), each ctx.args.cold_runs times on a fresh process."""
    args = ctx.args
    n, secs = warm_os_cache(ctx.db)
    log(f"cold start: database read into the OS cache first ({n / 1e6:,.0f} MB in {secs:.1f} s)")
    rng = random.Random(SEED + 5)
    out = {"db_bytes_read": n, "runs": []}
    for variant in ("home", "story"):
        for r in range(args.cold_runs):
            story = "/articles/" + slugs.get(rng.randrange(slugs.count))
            first, second = ("/", story) if variant == "home" else (story, "/")
            port = free_port()
            p, t0 = start_gazette(ctx, port, "gazette-cold.log")
            ctx.procs["gazette-cold"] = p
            listening = first_ok = None
            first_req = None
            deadline = time.monotonic() + 300
            try:
                while time.monotonic() < deadline:
                    if p.poll() is not None:
                        raise RuntimeError(f"gazette exited with status {p.returncode} during start-up")
                    try:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                        conn.connect()
                    except OSError:
                        time.sleep(0.002)
                        continue
                    if listening is None:
                        listening = time.perf_counter() - t0
                    try:
                        st, _, _, secs1 = http_get(port, first, conn=conn, timeout=300)
                    except (OSError, http.client.HTTPException):
                        st = None
                    finally:
                        conn.close()
                    if st == 200:
                        first_ok = time.perf_counter() - t0
                        first_req = secs1
                        break
                    time.sleep(0.002)
                if first_ok is None:
                    raise RuntimeError(f"gazette did not answer {first} within 300 s of exec")
                st2, _, _, secs2 = http_get(port, second, timeout=300)
                then = time.perf_counter() - t0
                rss = proc_status(p.pid)
            finally:
                stop(p, "gazette")
                ctx.procs.pop("gazette-cold", None)
            run = {"first": variant, "first_path": first, "second_path": second,
                   "listening_ms": round(listening * 1000, 1),
                   "first_200_ms": round(first_ok * 1000, 1),
                   "first_request_ms": round(first_req * 1000, 1),
                   "second_status": st2, "second_request_ms": round(secs2 * 1000, 1),
                   "second_done_ms": round(then * 1000, 1), "rss_kib": rss.get("VmRSS")}
            out["runs"].append(run)
            log(f"  {variant:5s} first, run {r + 1}: listening after {run['listening_ms']:.0f} ms, "
                f"200 of {first if variant == 'home' else 'a story'} after {run['first_200_ms']:.0f} ms "
                f"(that request {run['first_request_ms']:.0f} ms), then "
                f"{'a story' if variant == 'home' else '/'} in {run['second_request_ms']:.0f} ms")
    for variant in ("home", "story"):
        rs = [r for r in out["runs"] if r["first"] == variant]
        out[variant] = {k: round(statistics.median(r[k] for r in rs), 1)
                        for k in ("listening_ms", "first_200_ms", "first_request_ms",
                                  "second_request_ms", "second_done_ms")}
    return out


def probe(port, pick, count, cap_s):
    """Unloaded latency: `count` requests one after another on one kept-alive
    connection (at most cap_s seconds), paths from pick()."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    lat, statuses = [], {}
    t_end = time.monotonic() + cap_s
    try:
        for _ in range(count):
            path = pick()
            try:
                st, _, _, secs = http_get(port, path, conn=conn, timeout=120)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                st, _, _, secs = http_get(port, path, conn=conn, timeout=120)
            statuses[str(st)] = statuses.get(str(st), 0) + 1
            lat.append(secs)
            if time.monotonic() > t_end:
                break
    finally:
        conn.close()
    return {"requests": len(lat), "statuses": statuses,
            "p50_ms": round(statistics.median(lat) * 1000, 2),
            "p90_ms": round(pct(lat, 90) * 1000, 2), "max_ms": round(max(lat) * 1000, 2)}


# ---------------------------------------------------------------------------
# Output.

def fmt_us(us):
    return "n/a" if us is None else f"{us:,.0f} us"


def fmt_ms(us):
    return "n/a" if us is None else f"{us / 1000:,.1f} ms" if us >= 10000 else f"{us / 1000:.2f} ms"


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def fmt_pct(x):
    return "-" if x is None else f"{100 * x:.0f}%"


def mib(kib):
    return "-" if kib is None else f"{kib / 1024:,.0f} MiB"


def print_table(hdr, rows, left=1):
    """Columns before `left` are left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(hdr)]
    print(" | ".join(h.ljust(widths[i]) for i, h in enumerate(hdr)).rstrip())
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(widths[i]) if i < left else c.rjust(widths[i])
                         for i, c in enumerate(r)).rstrip())


def error_share(x):
    """Errors (non-2xx, timeouts, socket errors) as a share of wrk's requests."""
    n = (x.get("requests") or 0) + sum(x.get(k, 0) or 0 for k in
                                       ("err_connect", "err_read", "err_write", "err_timeout"))
    if not x.get("errors"):
        return "0"
    return f"{100 * x['errors'] / n:.0f}%" if n else "all"


def busy_notes(who, x, duration):
    out = []
    if x.get("statuses"):
        out.append(f"{who} answered " + ", ".join(f"{v:,} x {k}" for k, v in x["statuses"].items())
                   + " (from /metrics: refused or failed requests)")
    c = x["cpu"]
    if c["other_s"] > 0.15 * c["machine_s"]:
        out.append(f"NOTE {who}: other processes used {c['other_s']:.1f} of "
                   f"{c['machine_s']:.1f} CPU-seconds during the run: noisy numbers")
    if not x.get("requests"):
        out.append(f"WARNING {who}: no request completed in {duration}s "
                   f"(each took longer than the run or than wrk's timeout; p99 n/a)")
    elif x["errors"]:
        out.append(f"WARNING {who}: {x['errors']} errors (non-2xx {x['non_2xx']}, "
                   f"timeouts {x.get('err_timeout')}, read {x.get('err_read')}, "
                   f"connect {x.get('err_connect')})")
    return out


# ---------------------------------------------------------------------------
# The run.

def run(ctx):
    args = ctx.args
    results = ctx.results
    results.update({
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": {"cpus": os.cpu_count(), "uname": " ".join(os.uname()),
                 "mem_total_kib": int(open("/proc/meminfo").readline().split()[1]),
                 "loadavg_start": open("/proc/loadavg").read().split()[:3]},
        "wrk": {"threads": args.threads, "connections": args.connections,
                "search_connections": args.search_connections, "timeout_s": args.wrk_timeout,
                "duration_s": args.duration, "warmup_s": args.warmup,
                "headers": {"Accept-Encoding": "gzip"}},
        "gazette_set": ctx.sets, "binary": args.binary,
        "nginx": {"gzip": "static (pre-compressed at level 6, gzip_static on)"
                  if args.nginx_gzip_static else "on the fly (gzip on, level 1)"},
        "phases": sorted(ctx.phases) + (["soak"] if args.soak_minutes else []),
    })
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        results["git"] = rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        results["git"] = None
    load1 = float(results["host"]["loadavg_start"][0])
    if load1 > 0.5 * (os.cpu_count() or 1):
        log(f"note: load average {load1} on {os.cpu_count()} CPUs before starting: "
            "other work on this machine will make the numbers noisy")

    # 1. Content -----------------------------------------------------------
    meta = prepare_content(ctx)
    results["content"] = {k: v for k, v in meta.items()
                          if k not in ("vocab_df", "name_df", "phrases", "last_open")}
    if not ctx.phases and not args.soak_minutes:
        return report(ctx)
    slugs = Paths.from_slugs(os.path.join(ctx.tmp, "articles.paths"),
                             os.path.join(ctx.data_dir, "slugs.txt"), "")
    art = Paths.from_slugs(os.path.join(ctx.tmp, "article-paths.paths"),
                           os.path.join(ctx.data_dir, "slugs.txt"), "/articles/")
    api_art = Paths.from_slugs(os.path.join(ctx.tmp, "api-article-paths.paths"),
                               os.path.join(ctx.data_dir, "slugs.txt"), "/api/v1/articles/")
    n = slugs.count
    queries = build_queries(meta, n)
    qpaths = {k: Paths(os.path.join(ctx.tmp, f"search-{k}.paths"), [search_path(q) for q in v[0]])
              for k, v in queries.items()}
    qpaths["tag-pages"] = Paths(os.path.join(ctx.tmp, "tag-pages.paths"),
                                [f"/tags/{t}" + (f"?page={k}" if k > 1 else "")
                                 for t in meta["tags"] for k in range(1, TAG_PAGES + 1)])
    qpaths["api-two"] = Paths(os.path.join(ctx.tmp, "api-search-two.paths"),
                              ["/api/v1/search?limit=15&q=" + urllib.parse.quote_plus(q)
                               for q in queries["two"][0]])
    results["queries"] = {k: {"about": v[1], **v[2], "examples": v[0][:5]}
                          for k, v in queries.items()}
    hot_slugs = [slugs.get(i) for i in range(max(0, n - HOT_STORIES), n)]
    hot = Paths(os.path.join(ctx.tmp, "hot.paths"), ["/articles/" + s for s in hot_slugs])
    open_hot = [s for s, o in meta["last_open"][-HOT_STORIES:] if o] or hot_slugs

    token = None
    if "mix" in ctx.phases or (args.soak_minutes and args.soak_writes):
        token = make_token(ctx)

    # 2. Cold start ----------------------------------------------------------
    if "cold" in ctx.phases:
        results["cold_start"] = cold_start(ctx, meta, slugs)

    # 3. Gazette -------------------------------------------------------------
    gz_port = free_port()
    gz, _ = start_gazette(ctx, gz_port)
    ctx.procs["gazette"] = gz
    wait_http(gz_port, "/healthz", gz, 300, "gazette")
    sampler = RssSampler(gz.pid)
    sampler.start()
    ctx.sampler = sampler
    results["gazette"] = {"pid": gz.pid, "port": gz_port, "after_start": proc_status(gz.pid)}
    log(f"gazette pid {gz.pid} on 127.0.0.1:{gz_port} ({results['gazette']['after_start'].get('Threads')} threads)")
    idle_timeout = max(30, 6 * args.duration)
    gz_pids = lambda: [gz.pid]   # noqa: E731

    mid_slug = slugs.get(n // 2)
    sampler.phase = "first requests"
    cold = {}
    for name, path in (("article", f"/articles/{mid_slug}"), ("home", "/"),
                       ("search", f"/search?q={C.SEARCH_WORD}"),
                       ("api list", "/api/v1/articles?limit=15")):
        st, hdr, body, first = http_get(gz_port, path, timeout=300)
        if st != 200:
            raise RuntimeError(f"gazette answered {path} with {st}")
        later = [http_get(gz_port, path, timeout=300)[3] for _ in range(5)]
        cold[name] = {"path": path, "first_ms": round(first * 1000, 2),
                      "cached_ms": round(statistics.median(later) * 1000, 2),
                      "gzip": hdr.get("content-encoding") == "gzip", "wire_bytes": len(body)}
        log(f"  {name:8s} first request {cold[name]['first_ms']:9.2f} ms, "
            f"cached {cold[name]['cached_ms']:6.2f} ms, {len(body)} bytes on the wire")
    results["first_request"] = cold

    # How many stories the queries match: the total the search page shows,
    # for the first three queries of each kind (and how long each took).
    if "rows" in ctx.phases:
        log("search: matches of the first three queries of each kind ...")
        for k, (qs, _, _) in queries.items():
            totals, times = [], []
            for q in qs[:3]:
                st, _, body, secs = http_get(gz_port, search_path(q), gzip=False, timeout=300)
                # "…: 12" or, past the search's cap, "…: more than 1000"
                # (the newest shown first): reported as ">1000".
                mm = re.search(r'search-results__summary">[^<]*?:\s*(more than )?([\d,]+)\s*</h2>',
                               body.decode("utf-8", "replace"))
                totals.append((">" if mm.group(1) else "") + mm.group(2).replace(",", "")
                              if mm and mm.group(1) else
                              int(mm.group(2).replace(",", "")) if mm else
                              0 if "No results for" in body.decode("utf-8", "replace") else None)
                times.append(round(secs * 1000, 1))
            results["queries"][k]["matches_first3"] = totals
            results["queries"][k]["first3_ms"] = times
            log(f"  {k}: {totals} stories, {times} ms")

    # 4. Rows ----------------------------------------------------------------
    if "rows" in ctx.phases:
        run_rows(ctx, gz, gz_port, gz_pids, idle_timeout, art, api_art, qpaths, queries,
                 mid_slug, n)

    # 5. Mix -----------------------------------------------------------------
    mix_classes = None
    if "mix" in ctx.phases or args.soak_minutes:
        tag_paths = Paths(os.path.join(ctx.tmp, "tags.paths"), [f"/tags/{t}" for t in meta["tags"]])
        mix_search = Paths(os.path.join(ctx.tmp, "mix-search.paths"),
                           [search_path(q) for q in queries["common"][0] + queries["rare"][0][:2000]])
        home = Paths(os.path.join(ctx.tmp, "home.paths"), ["/"])
        api_list = Paths(os.path.join(ctx.tmp, "api-list.paths"), ["/api/v1/articles?limit=15"])
        cls = {"home": home, "hot": hot, "story": art, "tag": tag_paths, "search": mix_search,
               "api-list": api_list, "api-story": api_art}
        mix_classes = [(w, cls[k], False) for k, w in MIX]
        mix_lua = lua_pick(ctx.tmp, "mix.lua", mix_classes, seed=3000)
    if "mix" in ctx.phases:
        run_mix(ctx, gz, gz_port, gz_pids, mix_lua, token, open_hot, meta)

    # 6. Soak ----------------------------------------------------------------
    if args.soak_minutes:
        run_soak(ctx, gz, gz_port, gz_pids, mix_lua, token, open_hot)

    # Memory and metrics ----------------------------------------------------
    sampler.phase = "end"
    results["gazette"]["end"] = proc_status(gz.pid)
    try:
        results["gazette"]["metrics_end"] = metrics(gz_port)
    except OSError:
        pass
    sampler.stop()
    results["memory"] = {
        "peak_rss_kib": max((s[1] for s in sampler.samples), default=None),
        "vmhwm_kib": max((s[2] for s in sampler.samples), default=None),
        "by_phase": sampler.by_phase(),
        "samples": [{"t": t, "rss_kib": r, "hwm_kib": h, "threads": th, "phase": ph}
                    for t, r, h, th, ph in sampler.samples],
    }
    if gz.poll() is not None:
        raise RuntimeError(f"gazette exited with status {gz.returncode}")
    return report(ctx)


def run_rows(ctx, gz, gz_port, gz_pids, idle_timeout, art, api_art, qpaths, queries, mid_slug, n):
    args = ctx.args
    results = ctx.results
    buster = args.search_cache_buster
    rows = [
        # key, label, fixed path or None, [(weight, Paths, buster)], sample path, note
        ("article-cached", "article (cached)", f"/articles/{mid_slug}", None, None,
         "one story page over and over: the page cache's hit path"),
        ("article-random", "article (random)", None, [(1, art, False)], None,
         f"a random story of all {n:,} per request: mostly page-cache misses"),
        ("home", "home", "/", None, None, "the front page (cached after the first request)"),
        ("search-common", "search: common word", None, [(1, qpaths["common"], buster)], None,
         f"{queries['common'][1]}: one of {len(queries['common'][0])}, "
         f"in {queries['common'][2]['df_min']:,}-{queries['common'][2]['df_max']:,} stories"),
        ("search-rare", "search: rare word", None, [(1, qpaths["rare"], buster)], None,
         f"{queries['rare'][1]}: one of {len(queries['rare'][0]):,}, median in "
         f"{queries['rare'][2]['df_median']:,} stories"),
        ("search-two", "search: two words", None, [(1, qpaths["two"], buster)], None,
         f"{queries['two'][1]}: one of {len(queries['two'][0]):,} pairs"),
        ("search-phrase", "search: phrase", None, [(1, qpaths["phrase"], buster)], None,
         f"{queries['phrase'][1]}: one of {len(queries['phrase'][0]):,}"),
        ("api-list", "API list", "/api/v1/articles?limit=15", None, None,
         "/api/v1/articles?limit=15 (cached after the first request)"),
        ("api-story", "API story (random)", None, [(1, api_art, False)], None,
         f"/api/v1/articles/<a random story of all {n:,}>: mostly page-cache misses"),
        ("api-search", "API search: two words", None, [(1, qpaths["api-two"], False)], None,
         f"/api/v1/search?q=<two words>&limit=15, one of {qpaths['api-two'].count:,} pairs"),
        ("tag-pages", "tag page (random page)", None, [(1, qpaths["tag-pages"], False)], None,
         f"/tags/<one of 20>?page=<1-{TAG_PAGES}>: deep pages, mostly misses"),
    ]
    rows = [r for r in rows if r[0] in ctx.rows]
    rows.sort(key=lambda r: ctx.rows.index(r[0]))
    if buster:
        for i, r in enumerate(rows):
            if r[0].startswith("search-"):
                rows[i] = r[:5] + (r[5] + "; a distinct &bench=N on every request, so each one "
                                   "misses the page cache",)

    # The bytes nginx serves for each row: Gazette's answer for the row's
    # first path, saved uncompressed, plus a level-6 .gz for gzip_static.
    www = os.path.join(ctx.tmp, "www")
    os.makedirs(www, exist_ok=True)
    servers = []
    ngx_ports = {}
    for key, label, fixed, classes, _, _ in rows:
        path = fixed or classes[0][1].first()
        st, hdr, page, _ = http_get(gz_port, path, gzip=False, timeout=300)
        if st != 200:
            raise RuntimeError(f"gazette answered {path} with {st}")
        ext = "json" if path.startswith("/api/") else "html"
        fname = f"{key}.{ext}"
        with open(os.path.join(www, fname), "wb") as f:
            f.write(page)
        with open(os.path.join(www, fname + ".gz"), "wb") as f:
            f.write(gzip.compress(page, compresslevel=6, mtime=0))
        ngx_ports[key] = free_port()
        servers.append((ngx_ports[key], fname))
    for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(ctx.tmp, "nginx-temp", t), exist_ok=True)
    ngx_conf = os.path.join(ctx.tmp, "nginx.conf")
    write_file(ngx_conf, nginx_conf(ctx.tmp, www, servers, args.nginx_gzip_static))
    with open(os.path.join(ctx.tmp, "nginx-out.log"), "w") as logf:
        ngx = subprocess.Popen([ctx.nginx_bin, "-p", ctx.tmp + "/", "-c", ngx_conf,
                                "-e", os.path.join(ctx.tmp, "nginx-error.log")],
                               stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    ctx.procs["nginx"] = ngx
    for key, _ in ngx_ports.items():
        wait_http(ngx_ports[key], "/", ngx, 15, "nginx")
    log(f"nginx pid {ngx.pid}: one port per row, each serving the saved answer of that row "
        f"({results['nginx']['gzip']})")

    done_lua = write_file(os.path.join(ctx.tmp, "done.lua"), LUA_DONE)
    results["runs"] = []
    rng = random.Random(SEED + 9)
    for i, (key, label, fixed, classes, _, note) in enumerate(rows):
        if classes:
            script = lua_pick(ctx.tmp, f"{key}.lua", classes, seed=1000 + 10 * i)
            path = "/"
            pk = classes[0][1]
            bust = classes[0][2]
            pick = (lambda pk=pk, bust=bust: pk.get(rng.randrange(pk.count))
                    + (f"&bench={rng.randrange(1, 2000000000)}" if bust else ""))
        else:
            script, path = done_lua, fixed
            pick = (lambda p=fixed: p)
        conns = args.search_connections if "search" in key else args.connections
        log(f"[{i + 1}/{len(rows)}] {label}: nginx ...")
        ngx_pids = lambda: [ngx.pid] + child_pids(ngx.pid)   # noqa: E731
        if args.warmup:
            run_wrk(args, ngx_ports[key], path, script, args.warmup, connections=conns)
        nres = run_wrk(args, ngx_ports[key], path, script, server_pids=ngx_pids, connections=conns)
        log(f"[{i + 1}/{len(rows)}] {label}: gazette (probe, warm-up, run) ...")
        ctx.sampler.phase = f"row {key}"
        pr = probe(gz_port, pick, args.probe, args.probe_seconds)
        wait_idle(gz.pid, idle_timeout)
        if args.warmup:
            run_wrk(args, gz_port, path, script, args.warmup, connections=conns)
            wait_idle(gz.pid, idle_timeout)
        m0 = metrics(gz_port)
        c0 = cpu_seconds(gz.pid)
        t_row = time.monotonic()
        g = run_wrk(args, gz_port, path, script, server_pids=gz_pids, connections=conns)
        mem = proc_status(gz.pid)
        drain, idle = wait_idle(gz.pid, idle_timeout)
        c1 = cpu_seconds(gz.pid)
        m1 = metrics(gz_port)
        served_cpu(g, m0, m1, c0, c1)
        g["busy_after_s"] = round(drain, 1)
        g["idle_after"] = idle
        g["page_cache"] = cache_delta(m0, m1)
        g["rss_after_kib"] = mem.get("VmRSS")
        g["rss_max_kib"] = max((s[1] for s in ctx.sampler.samples if s[0] >= t_row - ctx.sampler.t0),
                               default=None)
        if not idle:
            log(f"  warning: gazette still busy {drain:.0f}s after the run (queued requests)")
        ratio = g["rps"] / nres["rps"] if nres["rps"] else None
        cg = g["cpu"].get("us_per_served") or g["cpu"]["server_us_per_req"]
        cn = nres["cpu"]["server_us_per_req"]
        results["runs"].append({
            "key": key, "endpoint": label, "path": fixed or "(random)",
            "example": fixed or pick(), "note": note, "gazette": g, "nginx": nres, "probe": pr,
            "ratio_rps": round(ratio, 4) if ratio is not None else None,
            "ratio_cpu": round(cg / cn, 2) if cg and cn else None})
        log(f"  gazette {g['rps']:,.0f} req/s, p99 {fmt_ms(g.get('lat_p99_us'))}, "
            f"CPU/req {fmt_us(cg)}; nginx {nres['rps']:,.0f} req/s; unloaded p50 {pr['p50_ms']} ms")
        if gz.poll() is not None:
            raise RuntimeError(f"gazette exited with status {gz.returncode} under load")
    stop(ngx, "nginx")
    ctx.procs.pop("nginx", None)


def mix_run(ctx, gz, gz_port, gz_pids, mix_lua, duration, writers=None, phase="mix"):
    args = ctx.args
    idle_timeout = max(30, 6 * args.duration)
    ctx.sampler.phase = phase
    if args.warmup:
        run_wrk(args, gz_port, "/", mix_lua, args.warmup)
        wait_idle(gz.pid, idle_timeout)
    m0 = metrics(gz_port)
    c0 = cpu_seconds(gz.pid)
    t0 = time.monotonic()
    if writers:
        writers.start()
    try:
        g = run_wrk(args, gz_port, "/", mix_lua, duration=duration, server_pids=gz_pids)
    finally:
        if writers:
            writers.stop()
    drain, idle = wait_idle(gz.pid, idle_timeout)
    c1 = cpu_seconds(gz.pid)
    m1 = metrics(gz_port)
    served_cpu(g, m0, m1, c0, c1)
    g["busy_after_s"] = round(drain, 1)
    g["idle_after"] = idle
    g["page_cache"] = cache_delta(m0, m1)
    g["rss_max_kib"] = max((s[1] for s in ctx.sampler.samples if s[0] >= t0 - ctx.sampler.t0),
                           default=None)
    if writers:
        g["writes"] = writers.summary()
    return g


def run_mix(ctx, gz, gz_port, gz_pids, mix_lua, token, open_hot, meta):
    args = ctx.args
    res = {"classes": dict(MIX), "duration_s": args.mix_duration}
    log(f"mix, read only ({args.mix_duration} s) ...")
    res["read_only"] = mix_run(ctx, gz, gz_port, gz_pids, mix_lua, args.mix_duration,
                               phase="mix read-only")
    log(f"  {res['read_only']['rps']:,.0f} req/s, p99 {fmt_ms(res['read_only'].get('lat_p99_us'))}, "
        f"page-cache hit rate {fmt_pct((res['read_only']['page_cache'] or {}).get('hit_rate'))}")
    log(f"mix while writing ({args.mix_duration} s: comments posted and approved at "
        f"{args.write_rate:g}/s, a story published every {args.publish_every:g} s) ...")
    w = Writers(gz_port, token, open_hot, rate=args.write_rate,
                publish_every=args.publish_every, seed=SEED + 11,
                first_at=min(args.publish_every / 2, args.mix_duration / 2))
    res["writing"] = mix_run(ctx, gz, gz_port, gz_pids, mix_lua, args.mix_duration, writers=w,
                             phase="mix writing")
    wr = res["writing"]
    ws = wr["writes"]
    log(f"  {wr['rps']:,.0f} req/s, p99 {fmt_ms(wr.get('lat_p99_us'))}, page-cache hit rate "
        f"{fmt_pct((wr['page_cache'] or {}).get('hit_rate'))}; comments {ws['comments_posted']['ok']} "
        f"posted, {ws['comments_approved']['ok']} approved, {ws['stories_published']['ok']} stories")
    ro = res["read_only"]
    res["ratio_rps"] = round(wr["rps"] / ro["rps"], 3) if ro["rps"] else None
    res["ratio_p99"] = (round(wr["lat_p99_us"] / ro["lat_p99_us"], 2)
                        if wr.get("lat_p99_us") and ro.get("lat_p99_us") else None)
    if ctx.persistent:
        ctx.sampler.phase = "cleanup"
        res["deleted_after"] = w.cleanup()
        meta_path = os.path.join(ctx.data_dir, "content.json")
        with open(meta_path) as f:
            m = json.load(f)
        m["write_runs"] = m.get("write_runs", 0) + 1
        with open(meta_path, "w") as f:
            json.dump(m, f)
    ctx.results["mix"] = res


def run_soak(ctx, gz, gz_port, gz_pids, mix_lua, token, open_hot):
    args = ctx.args
    minutes = args.soak_minutes
    log(f"soak: the read mix for {minutes} minute(s)"
        + (" while writing" if args.soak_writes else "") + "; RSS each minute ...")
    ctx.sampler.phase = "soak"
    marks = []
    stop_ev = threading.Event()
    t0 = time.monotonic()

    def minute_marks():
        k = 0
        while True:
            m = metrics_safe(gz_port)
            s = proc_status(gz.pid)
            marks.append({"minute": k, "t_s": round(time.monotonic() - t0, 1),
                          "rss_kib": s.get("VmRSS"), "hwm_kib": s.get("VmHWM"),
                          "threads": s.get("Threads"), "metrics": m})
            if k >= minutes:
                break
            k += 1
            if stop_ev.wait(max(0, t0 + 60 * k - time.monotonic())):
                break

    th = threading.Thread(target=minute_marks, daemon=True)
    th.start()
    w = None
    if args.soak_writes:
        w = Writers(gz_port, token, open_hot, rate=args.write_rate,
                    publish_every=args.publish_every, seed=SEED + 13,
                    first_at=min(args.publish_every / 2, 30.0))
        w.start()
    try:
        g = run_wrk(args, gz_port, "/", mix_lua, duration=60 * minutes, server_pids=gz_pids)
    finally:
        if w:
            w.stop()
    th.join(90)
    stop_ev.set()
    for a, b in zip(marks, marks[1:]):
        if a["metrics"] and b["metrics"]:
            dtm = b["t_s"] - a["t_s"]
            b["rps"] = round((b["metrics"]["requests"] - a["metrics"]["requests"]) / dtm, 1)
            b["page_cache"] = cache_delta(a["metrics"], b["metrics"])
    # The trend leaves out minute 1 (the page cache and SQLite's caches fill
    # then): from minute 2 to the last, growing if RSS rose by more than 5%
    # or 4 MiB.
    rss = [m["rss_kib"] for m in marks if m["rss_kib"]]
    trend = slope = None
    if len(rss) >= 4:
        growth = rss[-1] - rss[2]
        slope = round(growth / 1024 / (len(rss) - 3), 2)
        trend = "growing" if growth > max(0.05 * rss[2], 4096) else "flat"
    res = {"minutes": minutes, "writes": w.summary() if w else None, "wrk": g,
           "marks": marks, "trend": trend, "mib_per_minute_after_2": slope}
    if w and ctx.persistent:
        res["deleted_after"] = w.cleanup()
    ctx.results["soak"] = res


def metrics_safe(port):
    try:
        return metrics(port)
    except OSError:
        return None


def report(ctx):
    args = ctx.args
    R = ctx.results
    R["host"].setdefault("loadavg_end", open("/proc/loadavg").read().split()[:3])
    cont = R["content"]
    print()
    print(f"Gazette load benchmark, {R['when']}: {cont['stories']:,} stories; git {R.get('git')}; "
          f"binary {os.path.relpath(args.binary, ROOT) if args.binary.startswith(ROOT + os.sep) else args.binary}; "
          f"{os.cpu_count()} CPUs shared by wrk, "
          f"gazette, nginx and the benchmark; load average {' '.join(R['host']['loadavg_start'])} "
          f"at the start, {' '.join(R['host']['loadavg_end'])} at the end")
    print(f"wrk -t{args.threads} -c{args.connections} (search rows -c{args.search_connections}) "
          f"-d{args.duration}s --timeout {args.wrk_timeout}s (warm-up {args.warmup}s), "
          f"Accept-Encoding: gzip; nginx gzip: {R['nginx']['gzip']}; gazette --set "
          f"{' '.join(ctx.sets) or '(none)'}")

    # Content and import.
    print()
    imp = cont.get("import", {})
    ch = imp.get("chunks") or []
    print_table(["content", "value"], [
        ["stories", f"{cont['stories']:,}" + (" (reused from --data-dir)" if cont.get("reused") else "")],
        ["generation", f"{cont.get('generate_s', 0):,.1f} s ({cont['stories'] / max(cont.get('generate_s', 1), 1e-9):,.0f} stories/s, "
                       f"{cont.get('generate_jobs')} processes), {cont['json_bytes'] / 1e6:,.0f} MB of JSON, "
                       f"{cont['avg_words']} words/story, {cont['comments']:,} comments"],
        ["import", f"{imp.get('seconds', 0):,.1f} s ({imp.get('stories_per_s', 0):,.0f} stories/s) in "
                   f"{len(ch)} document(s) of <= {cont.get('chunk_size', 0):,}; first document "
                   f"{ch[0]['stories_per_s'] if ch else 0:,.0f}/s, last {ch[-1]['stories_per_s'] if ch else 0:,.0f}/s; "
                   f"peak RSS of `gazette import` {mib(imp.get('max_rss_kib'))}"],
        ["database", f"{imp.get('db_bytes', 0) / 1e6:,.0f} MB"],
    ], left=2)

    if "cold_start" in R:
        cs = R["cold_start"]
        print()
        print(f"Cold start (median of {args.cold_runs}; a fresh process, so the page cache is "
              f"empty; the database file was read into the OS cache first)")
        print_table(["first request", "exec -> listening", "exec -> first 200", "that request",
                     "then the other page"], [
            ["/ (home)", f"{cs['home']['listening_ms']:,.0f} ms", f"{cs['home']['first_200_ms']:,.0f} ms",
             f"{cs['home']['first_request_ms']:,.1f} ms", f"a story: {cs['home']['second_request_ms']:,.1f} ms"],
            ["a story page", f"{cs['story']['listening_ms']:,.0f} ms", f"{cs['story']['first_200_ms']:,.0f} ms",
             f"{cs['story']['first_request_ms']:,.1f} ms", f"/: {cs['story']['second_request_ms']:,.1f} ms"],
        ])

    if "first_request" in R:
        print()
        print_table(["page", "first request (uncached)", "later (cached)", "bytes on the wire"],
                    [[k, f"{c['first_ms']:,.2f} ms", f"{c['cached_ms']:.2f} ms", f"{c['wire_bytes']:,}"]
                     for k, c in R["first_request"].items()])

    if R.get("runs"):
        print()
        print(f"Endpoints: wrk against Gazette and against nginx serving the same bytes "
              f"(-d{args.duration}s; -c{args.connections}, search rows -c{args.search_connections})")
        hdr = ["endpoint", "conns", "gz req/s", "gz p99", "gz errors", "gz CPU/req", "nginx req/s",
               "nginx p99", "nginx CPU/req", "req/s gz/nginx", "CPU gz/nginx", "unloaded p50",
               "cache hits"]
        table = []
        for r in R["runs"]:
            g, nn = r["gazette"], r["nginx"]
            table.append([r["endpoint"], str(g["connections"]), f"{g['rps']:,.0f}", fmt_ms(g.get("lat_p99_us")),
                          error_share(g),
                          fmt_us(g["cpu"].get("us_per_served") or g["cpu"]["server_us_per_req"]),
                          f"{nn['rps']:,.0f}",
                          fmt_ms(nn.get("lat_p99_us")), fmt_us(nn["cpu"]["server_us_per_req"]),
                          fmt_ratio(r["ratio_rps"]),
                          "-" if r["ratio_cpu"] is None else f"{r['ratio_cpu']:.1f}",
                          f"{r['probe']['p50_ms']:,.2f} ms",
                          fmt_pct((g.get("page_cache") or {}).get("hit_rate"))])
        print_table(hdr, table)
        print()
        print("req/s: 2xx/3xx answers per second. errors: other statuses, timeouts and socket errors, "
              "as a share of requests (p99 includes them). CPU/req: the server's own CPU time per 2xx/3xx "
              "answer (Gazette: from the start of the run until it is idle again, over the answers /metrics "
              "counted). unloaded p50: median of one request at a time. cache hits: Gazette's page-cache "
              "hit rate during the run.")
        for r in R["runs"]:
            g, nn = r["gazette"], r["nginx"]
            print(f"  {r['endpoint']}: {r['note']}; bytes/response gazette {g['bytes_per_resp']:,}, "
                  f"nginx {nn['bytes_per_resp']:,}; unloaded p90 {r['probe']['p90_ms']:,.2f} ms "
                  f"({r['probe']['requests']} requests, statuses {r['probe']['statuses']})")
            for who, x in (("gazette", g), ("nginx", nn)):
                for line in busy_notes(who, x, args.duration):
                    print("    " + line)
            if not g.get("idle_after", True):
                print(f"    WARNING gazette was still busy {g['busy_after_s']}s after the run "
                      "(requests queued behind slow ones)")
            elif g.get("busy_after_s", 0) >= 2:
                print(f"    gazette needed {g['busy_after_s']}s after the run to finish queued requests")
        print("  search matches (stories, first three queries of each kind, from the search page): "
              + "; ".join(f"{k} {v.get('matches_first3')}" for k, v in R["queries"].items()))

    if "mix" in R:
        mx = R["mix"]
        ro, wr = mx["read_only"], mx["writing"]
        ws = wr["writes"]
        print()
        print(f"Read mix ({', '.join(f'{k} {w}%' for k, w in MIX)}), -c{args.connections}, "
              f"{mx['duration_s']} s each")
        print_table(["run", "req/s", "p50", "p99", "CPU/req", "cache hits", "errors", "ratio to read-only"], [
            ["read only", f"{ro['rps']:,.0f}", fmt_ms(ro.get("lat_p50_us")), fmt_ms(ro.get("lat_p99_us")),
             fmt_us(ro["cpu"].get("us_per_served") or ro["cpu"]["server_us_per_req"]), fmt_pct((ro.get("page_cache") or {}).get("hit_rate")),
             error_share(ro), "1.00"],
            ["while writing", f"{wr['rps']:,.0f}", fmt_ms(wr.get("lat_p50_us")), fmt_ms(wr.get("lat_p99_us")),
             fmt_us(wr["cpu"].get("us_per_served") or wr["cpu"]["server_us_per_req"]), fmt_pct((wr.get("page_cache") or {}).get("hit_rate")),
             error_share(wr), f"req/s {fmt_ratio(mx['ratio_rps'])}, p99 x{mx['ratio_p99'] or 0:.1f}"],
        ])
        cp, ca, sp = ws["comments_posted"], ws["comments_approved"], ws["stories_published"]
        print(f"  writes: comments posted {cp['ok']}/{cp['count']} ({ws['comment_rate']}/s of "
              f"{ws['target_rate']:g}/s; p50 {cp['p50_ms']} ms, p99 {cp['p99_ms']} ms; statuses {cp['statuses']}), "
              f"approved {ca['ok']}/{ca['count']} (p50 {ca['p50_ms']} ms, p99 {ca['p99_ms']} ms), "
              f"stories published {sp['ok']}/{sp['count']} (max {sp['max_ms']} ms); worst lag "
              f"{ws['max_lag_s']} s")
        for e in ws["errors"][:5]:
            print(f"    write error: {e}")
        for who, x in (("read only", ro), ("while writing", wr)):
            for line in busy_notes(who, x, mx["duration_s"]):
                print("    " + line)
            if x["cpu"]["bench_s"] > 0.05 * x["cpu"]["machine_s"]:
                print(f"    {who}: the benchmark's own threads (writers, sampler) used "
                      f"{x['cpu']['bench_s']:.1f} CPU-seconds")

    if "memory" in R:
        mem = R["memory"]
        print()
        print(f"Gazette memory (VmRSS sampled every second): peak RSS {mib(mem['peak_rss_kib'])}, "
              f"VmHWM {mib(mem['vmhwm_kib'])}")
        print_table(["phase", "from", "to", "RSS start", "RSS end", "RSS max"], [
            [ph, f"{d['from_s']:.0f} s", f"{d['to_s']:.0f} s", mib(d["rss_start_kib"]),
             mib(d["rss_end_kib"]), mib(d["rss_max_kib"])] for ph, d in mem["by_phase"].items()])
        s = mem["samples"]
        if s:
            step = max(1, len(s) // 24)
            print("  RSS over time (MiB): " + ", ".join(
                f"{x['t']:.0f}s {x['rss_kib'] / 1024:.0f}" for x in s[::step]))

    if "soak" in R:
        sk = R["soak"]
        print()
        print(f"Soak: read mix for {sk['minutes']} minute(s)"
              f"{' while writing' if sk['writes'] else ''}: RSS {sk['trend'] or '-'}"
              + (f" from minute 2 on ({sk['mib_per_minute_after_2']:+.1f} MiB/minute)"
                 if sk["trend"] else ""))
        print_table(["minute", "RSS", "VmHWM", "threads", "req/s in the minute", "cache hits"], [
            [str(m["minute"]), mib(m["rss_kib"]), mib(m["hwm_kib"]), str(m.get("threads")),
             f"{m['rps']:,.0f}" if m.get("rps") is not None else "-",
             fmt_pct((m.get("page_cache") or {}).get("hit_rate"))] for m in sk["marks"]])
        if sk["writes"]:
            ws = sk["writes"]
            print(f"  writes: comments posted {ws['comments_posted']['ok']}, approved "
                  f"{ws['comments_approved']['ok']} ({ws['approve_rate']}/s), stories published "
                  f"{ws['stories_published']['ok']}; worst lag {ws['max_lag_s']} s")
        if not sk["trend"]:
            print("  (a trend needs three minutes or more: minute 0 is before the load, "
                  "minute 1 is the caches filling)")
        for line in busy_notes("soak", sk["wrk"], 60 * sk["minutes"]):
            print("    " + line)

    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(R, f, indent=1)
        f.write("\n")
    print()
    print(f"results written to {out}")
    return 0


def parse_duration(s):
    m = re.fullmatch(r"\s*(\d+)\s*(s|m)?\s*", str(s))
    if not m:
        raise argparse.ArgumentTypeError("expected seconds, e.g. 10 or 10s or 1m")
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stories", type=int, default=None, help="stories to generate (default 10000; --quick 500)")
    ap.add_argument("--duration", type=parse_duration, default=None, help="wrk duration per endpoint row (default 10s; --quick 3s)")
    ap.add_argument("--connections", type=int, default=None, help="wrk connections (default 64; --quick 16)")
    ap.add_argument("--search-connections", type=int, default=None,
                    help="wrk connections of the search rows, whose requests take long "
                         "(default 4)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--wrk-timeout", type=parse_duration, default=30,
                    help="wrk gives up on a request after this long (default 30s)")
    ap.add_argument("--warmup", type=parse_duration, default=None,
                    help="unrecorded wrk run before each measured one (default 2s; --quick 1s; 0: none)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 500 stories, -d3s, -c16, mix 10s, one cold start each")
    ap.add_argument("--phases", default=",".join(ALL_PHASES),
                    help="comma list of cold,rows,mix (default all); 'none': only make the content")
    ap.add_argument("--rows", default=",".join(ROW_KEYS), help="comma list of endpoint rows (default: "
                    + ",".join(ROW_KEYS) + "; also: " + ",".join(EXTRA_ROWS) + ")")
    ap.add_argument("--mix-duration", type=parse_duration, default=None,
                    help="length of each read-mix run (default 60s; --quick 10s)")
    ap.add_argument("--write-rate", type=float, default=10.0, help="comments posted and approved per second (default 10)")
    ap.add_argument("--publish-every", type=float, default=30.0, help="seconds between published stories (default 30)")
    ap.add_argument("--soak-minutes", type=int, default=0, help="also run the read mix for N minutes, RSS each minute")
    ap.add_argument("--soak-writes", action="store_true", help="the soak also writes (as in the mix's writing run)")
    ap.add_argument("--cold-runs", type=int, default=None, help="cold starts of each kind (default 3; --quick 1)")
    ap.add_argument("--probe", type=int, default=None, help="unloaded requests per row (default 20; --quick 5)")
    ap.add_argument("--probe-seconds", type=float, default=15.0, help="at most this long per row's probe (default 15)")
    ap.add_argument("--import-chunk", type=int, default=20000,
                    help="stories per import document (default 20000; a multiple of 5000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="processes generating stories (default: one per CPU)")
    ap.add_argument("--data-dir", default=None,
                    help="keep the generated content and database here and reuse them when N matches")
    ap.add_argument("--search-cache-buster", action=argparse.BooleanOptionalAction, default=True,
                    help="search rows add a distinct &bench=N to each request so it misses the "
                         "page cache (default on)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="results JSON (default build/bench-results.json)")
    ap.add_argument("--binary", default=DEFAULT_BIN, help="the gazette binary (default build/gazette)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="configuration for `gazette serve` (repeatable), e.g. server.threads=4")
    ap.add_argument("--nginx-gzip-static", action=argparse.BooleanOptionalAction, default=True,
                    help="nginx serves a pre-compressed copy (gzip_static on, level 6 like Gazette); "
                         "--no-nginx-gzip-static: nginx compresses every response (gzip on, level 1)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (prints its path)")
    args = ap.parse_args()
    q = args.quick
    args.stories = args.stories if args.stories is not None else (500 if q else 10000)
    args.duration = args.duration if args.duration is not None else (3 if q else 10)
    args.connections = args.connections if args.connections is not None else (16 if q else 64)
    args.search_connections = (args.search_connections if args.search_connections is not None
                               else 4)
    args.warmup = args.warmup if args.warmup is not None else (1 if q else 2)
    args.mix_duration = args.mix_duration if args.mix_duration is not None else (10 if q else 60)
    args.cold_runs = args.cold_runs if args.cold_runs is not None else (1 if q else 3)
    args.probe = args.probe if args.probe is not None else (5 if q else 20)
    args.binary = os.path.abspath(args.binary)
    if args.stories < 1 or args.duration < 1 or args.connections < 1 or args.threads < 1 \
            or args.warmup < 0 or args.mix_duration < 1 or args.cold_runs < 1 or args.probe < 1 \
            or args.soak_minutes < 0 or args.write_rate <= 0 or args.jobs < 1 \
            or args.search_connections < 1 or args.wrk_timeout < 1:
        ap.error("counts and durations must be positive (--warmup, --soak-minutes: not negative)")
    phases = set() if args.phases.strip() in ("", "none") else \
        {p.strip() for p in args.phases.split(",") if p.strip()}
    if phases - set(ALL_PHASES):
        ap.error(f"--phases: unknown {', '.join(sorted(phases - set(ALL_PHASES)))}")
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    if set(rows) - set(ROW_KEYS + EXTRA_ROWS):
        ap.error(f"--rows: unknown {', '.join(sorted(set(rows) - set(ROW_KEYS + EXTRA_ROWS)))}")
    if args.threads > args.connections:
        args.threads = args.connections

    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            print(f"bench: {tool} is not installed (apt-get install {tool})", file=sys.stderr)
            return 2
    if not os.access(args.binary, os.X_OK):
        print(f"bench: {args.binary} not found; build with `ninja -C build`", file=sys.stderr)
        return 2

    # A SIGTERM to the benchmark still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))

    class Ctx:
        pass
    ctx = Ctx()
    ctx.args, ctx.phases, ctx.rows = args, phases, rows
    ctx.tmp = tempfile.mkdtemp(prefix="gazette-bench-")
    ctx.persistent = bool(args.data_dir)
    ctx.data_dir = os.path.abspath(args.data_dir) if args.data_dir else os.path.join(ctx.tmp, "content")
    os.makedirs(ctx.data_dir, exist_ok=True)
    ctx.db = os.path.join(ctx.data_dir, "bench.db")
    conf = os.path.join(ctx.data_dir, "gazette.conf")   # empty: defaults, not the repo's config
    open(conf, "w").close()
    ctx.base = [args.binary, "--config", conf, "--db", ctx.db]
    ctx.env = gazette_env(ctx)
    # All the load comes from 127.0.0.1: no per-address connection limit.
    ctx.sets = ["server.per_ip_connections=0"] + args.set
    ctx.nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    ctx.procs = {}
    ctx.results = {}
    ctx.sampler = None
    try:
        return run(ctx)
    except (RuntimeError, subprocess.SubprocessError, OSError, KeyboardInterrupt) as e:
        print(f"\nbench: {e!r}" if isinstance(e, KeyboardInterrupt) else f"\nbench: {e}",
              file=sys.stderr)
        for name in ("gazette.log", "gazette-cold.log", "nginx-error.log"):
            pth = os.path.join(ctx.tmp, name)
            if os.path.exists(pth) and os.path.getsize(pth):
                print(f"--- {name} (last lines) ---\n" + tail(pth), file=sys.stderr)
        return 1
    finally:
        if ctx.sampler:
            ctx.sampler.stop_ev.set()
        for name, p in list(ctx.procs.items()):
            stop(p, name)
        if args.keep:
            log(f"temporary folder kept: {ctx.tmp}")
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
