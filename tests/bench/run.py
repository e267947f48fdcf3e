#!/usr/bin/env python3
"""Gazette load benchmark: Gazette against nginx serving a static file.

One run:
  1. generates N stories (default 10,000) as an import document, deterministic
     (fixed word list, seeded random generator), and imports them into a fresh
     database in a temporary folder, timing the import;
  2. starts `build/gazette serve` on a free 127.0.0.1 port (access log off)
     and waits for /healthz;
  3. saves one article page and starts nginx serving that file for any URL
     (the static ceiling: same bytes, no application work);
  4. times the first (uncached) and later (cached) request of each page, then
     runs wrk with the same settings against Gazette and nginx for each
     endpoint;
  5. prints a table and Gazette's memory, and writes everything as JSON
     (build/bench-results.json, or --out PATH);
  6. stops both servers by PID and removes the temporary folder.

It makes no pass/fail judgement on speed: it exits 0 when it completed a
measurement, non-zero when it could not measure (tool missing, import or
server start failed). See tests/bench/README.md.

Usage: python3 tests/bench/run.py [--quick] [--stories N] [--duration 10s]
       [--connections 64] [--threads 2] [--out PATH] [--set KEY=VALUE ...]
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
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BIN = os.path.join(ROOT, "build", "gazette")
DEFAULT_OUT = os.path.join(ROOT, "build", "bench-results.json")
SEED = 20240601
SEARCH_WORD = "harbour"   # placed in the word list so it is in ~half the stories

# ---------------------------------------------------------------------------
# Content generation. The word list is ranked: earlier words are used more
# often (Zipf-like weights), so common words are in most stories and rare
# ones in a few, as in real text. Function words come first.

FUNCTION_WORDS = """
the of and to in a that for is on was with as at by it from be has
have are this said will its an but their they which not after were or
more than been one who new would about up when out into also two over
had can last first there could all them we our some year only other
""".split()

CONTENT_WORDS = """
city council people years week time work plan local new public school
residents money project river street team season service community water
centre market first home group building government report people million
support families government station staff minister board local police
business children area change future data plans region council energy
summer health evening morning museum students club weekend university
road bridge housing festival library history harbour hospital ferry tram
transport workers market engineers scientists volunteers mayor funding
research survey figures company jobs trade shop shops factory port estuary
coast island beach tide boats fishing crew sailors dock quay warehouse
garden park trees birds otters wildlife meadow forest hills valley farm
farmers harvest bakery bread coffee restaurant kitchen chef menu food
music orchestra concert choir theatre stage audience gallery artists
painting exhibition books writers poetry reading film cinema dance
football match league cup goal players coach stadium race runners
marathon cycling rowing regatta swimming athletes medal final victory
technology software network sensors computer phone app internet robots
battery solar wind turbine grid electric heat pump insulation carbon
climate weather rain storm flood snow temperature sunshine forecast
election vote budget tax policy law court judge lawyer campaign protest
debate committee inquiry review decision proposal consultation officials
teachers pupils classroom exam lessons college graduates science physics
chemistry biology astronomy telescope comet planet stars moon night sky
doctor nurses patients clinic vaccine medicine care elderly volunteers
neighbours street corner square avenue district suburb village town
tourists visitors hotel rooms guests festival fireworks parade crowd
price prices rent wages costs savings bank loan investment profit growth
industry manufacturing exports shipping containers cranes cargo vessels
railway trains platform timetable passengers buses routes drivers cyclists
repairs construction architects design plans scheme permission demolition
heritage mill chimney looms weaving textile cloth museum archive records
photographs memories generations founder anniversary celebration ceremony
award prize winner judges shortlist competition entries category honour
challenge problem solution answer question idea experiment trial results
evidence study analysis measurements samples laboratory discovery
announcement statement interview spokesperson director chairman manager
owner tenant landlord developer charity foundation trust partnership
network scheme initiative programme pilot launch opening closure delay
shortage surplus increase decrease rise fall record peak average total
morning afternoon evening midnight dawn dusk spring autumn winter summer
monday tuesday wednesday thursday friday saturday sunday january march
ancient modern historic traditional innovative affordable sustainable
quiet busy crowded empty bright dark cold warm wet dry windy calm
small large huge tiny narrow wide long short early late recent former
popular famous local regional national international independent
careful quick slow steady sudden gradual remarkable unusual familiar
open closed free expensive cheap safe dangerous healthy green clean
restored rebuilt repaired planned approved rejected delayed finished
announced confirmed expected promised reported described explained
welcomed criticised praised questioned supported opposed funded launched
built opened closed moved grew fell rose began ended joined left
walked sailed drove cycled ran swam climbed crossed reached returned
measured counted tested recorded published shared collected delivered
painted wrote played sang performed danced filmed photographed cooked
baked grew planted harvested caught fished rowed raced trained coached
lighthouse pier marina seawall breakwater lock canal towpath embankment
allotment orchard vineyard greenhouse nursery hedgerow wetland marsh reed
kingfisher heron gull cormorant seal salmon trout eel oyster mussel crab
lantern candle lamp window door roof wall floor stair tower spire dome
ferryman harbourmaster shipwright blacksmith carpenter weaver potter baker
""".split()

# De-duplicate, keeping the first position.
_seen = set()
VOCAB = [w for w in FUNCTION_WORDS + CONTENT_WORDS
         if not (w in _seen or _seen.add(w))]
# Put the search word at a rank where it lands in roughly half the stories.
VOCAB.remove(SEARCH_WORD)
VOCAB.insert(len(FUNCTION_WORDS) + 55, SEARCH_WORD)
CONTENT_ONLY = [w for w in VOCAB if w not in set(FUNCTION_WORDS)]

FIRST_NAMES = """Maren Tobias Priya Ravi Elin Jonas Amara Felix Ines Kofi Lena
Mateo Saoirse Yusuf Hana Oskar Nadia Rui Ingrid Tariq Beatrix Caspian Dara
Esme Gideon Ilse""".split()
LAST_NAMES = """Okafor Lindqvist Halloran Thorsen Gascoigne Brandt Mensah Novak
Duarte Kowalski Achterberg Moreau Nakamura Fitzgerald Haddad Ostrowski
Vance Quigley Rasmussen Iyer""".split()

TAGS = ["City", "Science", "Business", "Culture", "Sport", "Technology",
        "Politics", "Health", "Education", "Environment", "Transport",
        "Housing", "Food", "Travel", "Music", "Books", "Weather", "Opinion",
        "Community", "History"]

DEMO_IMAGES = sorted(
    f for f in (os.listdir(os.path.join(ROOT, "static", "demo"))
                if os.path.isdir(os.path.join(ROOT, "static", "demo")) else [])
    if f.endswith(".svg"))


def slugify(text):
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")


class TextGen:
    """Deterministic words, sentences, paragraphs and Markdown bodies."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        weights = [1.0 / (r + 1) ** 1.0 for r in range(len(VOCAB))]
        total = 0.0
        self.cum = []
        for w in weights:
            total += w
            self.cum.append(total)

    def words(self, n):
        return self.rng.choices(VOCAB, cum_weights=self.cum, k=n)

    def sentence(self, lo=8, hi=22):
        w = self.words(self.rng.randint(lo, hi))
        if self.rng.random() < 0.25:      # a comma somewhere in the middle
            i = self.rng.randint(2, len(w) - 2)
            w[i] += ","
        return w[0].capitalize() + " " + " ".join(w[1:]) + "."

    def paragraph(self, lo=3, hi=6):
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def heading(self):
        w = self.rng.sample(CONTENT_ONLY, self.rng.randint(2, 5))
        return w[0].capitalize() + " " + " ".join(w[1:])

    def list_block(self):
        items = []
        for _ in range(self.rng.randint(3, 5)):
            w = self.words(self.rng.randint(5, 14))
            if self.rng.random() < 0.4:
                w[0] = "**" + w[0]
                w[1] = w[1] + "**"
            items.append("- " + w[0].capitalize() + " " + " ".join(w[1:]) + ".")
        return "\n".join(items)

    def markdown(self, target_words):
        rng = self.rng
        blocks = [self.paragraph(), self.paragraph()]
        words = sum(len(b.split()) for b in blocks)
        while words < target_words:
            section = ["## " + self.heading(), self.paragraph()]
            r = rng.random()
            if r < 0.5:
                section.append(self.list_block())
            elif r < 0.65:
                section.append("> " + self.sentence(12, 26))
            section.append(self.paragraph())
            blocks += section
            words += sum(len(b.split()) for b in section)
        return "\n\n".join(blocks) + "\n"


def generate(n, seed=SEED):
    """Returns (import document, stats)."""
    g = TextGen(seed)
    rng = g.rng
    authors = []
    for i in range(6):
        name = f"{FIRST_NAMES[i * 3 % len(FIRST_NAMES)]} {LAST_NAMES[i * 7 % len(LAST_NAMES)]}"
        slug = slugify(name)
        authors.append({
            "name": name, "slug": slug, "email": f"{slug}@example.org",
            "role": "editor" if i == 0 else "author",
            "bio": g.paragraph(2, 3),
        })
    tags = [{"name": t, "slug": slugify(t), "description": g.sentence(8, 16)}
            for t in TAGS]
    start = dt.datetime(2016, 1, 4, 7, 0, tzinfo=dt.timezone.utc)
    articles, total_words, with_word, n_comments = [], 0, 0, 0
    word_re = re.compile(r"\b%s\b" % SEARCH_WORD)
    for i in range(n):
        title_words = g.words(rng.randint(5, 10))
        # Titles lean on content words so they read like headlines.
        for k in range(len(title_words)):
            if title_words[k] in FUNCTION_WORDS and rng.random() < 0.6:
                title_words[k] = rng.choice(CONTENT_ONLY)
        title = title_words[0].capitalize() + " " + " ".join(title_words[1:])
        slug = f"{slugify(' '.join(title_words[:6]))}-{i + 1}"
        md = g.markdown(rng.randint(460, 600))
        excerpt = g.sentence(18, 30)
        published = start + dt.timedelta(hours=3 * i, minutes=rng.randint(0, 170))
        a = {
            "slug": slug, "title": title, "excerpt": excerpt, "markdown": md,
            "author": authors[rng.randrange(len(authors))]["slug"],
            "tags": [t["slug"] for t in rng.sample(tags, rng.randint(1, 3))],
            "status": "published",
            "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "comments_open": rng.random() < 0.9,
            "comments": [],
        }
        if DEMO_IMAGES and rng.random() < 0.7:
            img = DEMO_IMAGES[rng.randrange(len(DEMO_IMAGES))]
            a["feature_image"] = {
                "url": "/static/demo/" + img, "alt": g.sentence(6, 12),
                "caption": g.sentence(5, 10), "width": 1200, "height": 675,
            }
        if rng.random() < 0.35:
            for c in range(rng.randint(1, 6)):
                who = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                at = published + dt.timedelta(minutes=37 * (c + 1) + rng.randint(0, 30))
                comment = {
                    "name": who, "email": f"{slugify(who)}@example.net",
                    "body": g.paragraph(1, 3),
                    "status": "approved" if rng.random() < 0.9 else "pending",
                    "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                n_comments += 1
                if rng.random() < 0.2:
                    comment["replies"] = [{
                        "name": authors[0]["name"], "body": g.sentence(8, 20),
                        "status": "approved",
                        "created_at": (at + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }]
                    n_comments += 1
                a["comments"].append(comment)
        total_words += len(md.split())
        if word_re.search(md.lower()) or word_re.search(title.lower()) \
                or word_re.search(excerpt.lower()):
            with_word += 1
        articles.append(a)
    doc = {
        "settings": {"title": "The Benchmark Gazette",
                     "description": "Generated stories for the load benchmark."},
        "authors": authors, "tags": tags, "articles": articles,
    }
    stats = {"stories": n, "authors": len(authors), "tags": len(tags),
             "comments": n_comments,
             "avg_words": round(total_words / n, 1) if n else 0,
             "search_word": SEARCH_WORD, "search_word_stories": with_word}
    return doc, stats


# ---------------------------------------------------------------------------
# Processes and HTTP helpers.

def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, gzip=True, timeout=10.0):
    """One GET on a fresh connection: (status, headers dict, body, seconds)."""
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

LUA_RANDOM = r"""
local paths = dofile("%s")
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
init = function(args)
  math.randomseed(1000 + (tid or 0))
end
request = function()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""


def write_lua(tmp, name, body):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(body)
    return path


def lua_paths(tmp, name, paths):
    def q(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    body = "return {\n" + ",\n".join(q(p) for p in paths) + "\n}\n"
    return write_lua(tmp, name, body)


def machine_busy_seconds():
    """CPU seconds all CPUs spent not idle since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)          # idle + iowait
    busy = sum(v[:8]) - idle                           # guest is inside user
    return busy / os.sysconf("SC_CLK_TCK")


def run_wrk(args, port, path, script, duration=None, server_pids=None):
    """One wrk run. server_pids() lists the server's processes, so the CPU
    used by everything else on the machine during the run can be reported
    (a busy machine makes the numbers noisy)."""
    duration = duration or args.duration
    url = f"http://127.0.0.1:{port}{path}"
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}",
           f"-d{duration}s", "--timeout", "5s", "--latency",
           "-H", "Accept-Encoding: gzip", "-s", script, url]
    pids = server_pids() if server_pids else []
    srv0 = sum(cpu_seconds(p) or 0 for p in pids)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, t0 = machine_busy_seconds(), time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=duration + 60)
    busy1, wall = machine_busy_seconds(), time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    srv1 = sum(cpu_seconds(p) or 0 for p in pids)
    out = p.stdout
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stderr.strip() or out.strip()}")
    wrk_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    res = {"url": url, "cpu": {
        "wall_s": round(wall, 2), "server_s": round(srv1 - srv0, 2),
        "wrk_s": round(wrk_cpu, 2),
        "other_s": round(max(0.0, (busy1 - busy0) - (srv1 - srv0) - wrk_cpu), 2),
        "machine_s": round(wall * (os.cpu_count() or 1), 2)}}
    m = re.search(r"^BENCH_JSON (\{.*\})$", out, re.M)
    if m:
        res.update(json.loads(m.group(1)))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else (
        res["requests"] / (res["duration_us"] / 1e6) if res.get("duration_us") else 0.0)
    if "lat_p99_us" not in res:   # fall back to --latency's distribution
        m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            scale = {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
            res["lat_p99_us"] = int(float(m.group(1)) * scale)
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    reqs = res.get("requests") or 0
    res["cpu"]["server_us_per_req"] = (
        round(res["cpu"]["server_s"] * 1e6 / reqs, 1) if reqs else None)
    if not reqs:   # nothing completed: wrk's latency figures are meaningless zeros
        for k in [k for k in res if k.startswith("lat_")]:
            res[k] = None
    res["bytes_per_resp"] = round(res.get("bytes", 0) / reqs) if reqs else 0
    res["errors"] = sum(res.get(k, 0) for k in
                        ("err_connect", "err_read", "err_write", "err_timeout")) + res["non_2xx"]
    return res


# ---------------------------------------------------------------------------

def parse_duration(s):
    m = re.fullmatch(r"\s*(\d+)\s*(s|m)?\s*", str(s))
    if not m:
        raise argparse.ArgumentTypeError("expected seconds, e.g. 10 or 10s or 1m")
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)


def fmt_us(us):
    return "n/a" if us is None else f"{us:.0f} us"


def fmt_ms(us):
    return "n/a" if us is None else f"{us / 1000:.2f} ms"


def nginx_conf(tmp, www, port, gzip_static=False):
    lines = [
        "daemon off;",
        "master_process on;",
        "worker_processes auto;",
        f"pid {tmp}/nginx.pid;",
        f"error_log {tmp}/nginx-error.log warn;",
    ]
    if os.geteuid() == 0:
        lines.append("user root;")
    lines += [
        "events { worker_connections 4096; }",
        "http {",
        "    access_log off;",
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
    if gzip_static:   # serve www/article.html.gz as is instead of gzipping per request
        lines.append("    gzip_static on;")
    for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        lines.append(f"    {t}_temp_path {tmp}/nginx-temp/{t};")
    lines += [
        "    server {",
        f"        listen 127.0.0.1:{port};",
        f"        root {www};",
        "        location / { try_files /article.html =404; }",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stories", type=int, default=None, help="stories to generate (default 10000; --quick 500)")
    ap.add_argument("--duration", type=parse_duration, default=None, help="wrk duration per run (default 10s; --quick 3s)")
    ap.add_argument("--connections", type=int, default=None, help="wrk connections (default 64; --quick 16)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--warmup", type=parse_duration, default=None,
                    help="unrecorded wrk run before each measured one (default 2s; --quick 1s; 0: none)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 500 stories, -d3s, -c16")
    ap.add_argument("--out", default=DEFAULT_OUT, help="results JSON (default build/bench-results.json)")
    ap.add_argument("--binary", default=DEFAULT_BIN, help="the gazette binary (default build/gazette)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="configuration for `gazette serve` (repeatable), e.g. server.threads=4")
    ap.add_argument("--nginx-gzip-static", action="store_true",
                    help="nginx serves a pre-compressed copy (gzip_static on) instead of"
                         " compressing every response, as Gazette's page cache does")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (prints its path)")
    args = ap.parse_args()
    q = args.quick
    args.stories = args.stories if args.stories is not None else (500 if q else 10000)
    args.duration = args.duration if args.duration is not None else (3 if q else 10)
    args.connections = args.connections if args.connections is not None else (16 if q else 64)
    args.warmup = args.warmup if args.warmup is not None else (1 if q else 2)
    if args.stories < 1 or args.duration < 1 or args.connections < 1 or args.threads < 1 \
            or args.warmup < 0:
        ap.error("--stories, --duration, --connections and --threads must be positive, --warmup not negative")
    if args.threads > args.connections:
        args.threads = args.connections

    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            print(f"bench: {tool} is not installed (apt-get install {tool})", file=sys.stderr)
            return 2
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(args.binary, os.X_OK):
        print(f"bench: {args.binary} not found; build with `ninja -C build`", file=sys.stderr)
        return 2

    # A SIGTERM to the benchmark still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))

    tmp = tempfile.mkdtemp(prefix="gazette-bench-")
    procs = {}   # "gazette" / "nginx" -> Popen, filled in as they start
    gz_log = os.path.join(tmp, "gazette.log")
    try:
        return run(args, tmp, nginx_bin, gz_log, procs)
    except (RuntimeError, subprocess.SubprocessError, OSError) as e:
        print(f"bench: {e}", file=sys.stderr)
        if os.path.exists(gz_log) and os.path.getsize(gz_log):
            print("--- gazette output (last lines) ---\n" + tail(gz_log), file=sys.stderr)
        ngx_err = os.path.join(tmp, "nginx-error.log")
        if os.path.exists(ngx_err) and os.path.getsize(ngx_err):
            print("--- nginx error log (last lines) ---\n" + tail(ngx_err), file=sys.stderr)
        return 1
    finally:
        stop(procs.get("nginx"), "nginx")
        stop(procs.get("gazette"), "gazette")
        if args.keep:
            log(f"temporary folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp, nginx_bin, gz_log, procs):
    results = {
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": {"cpus": os.cpu_count(), "uname": " ".join(os.uname()),
                 "loadavg_start": open("/proc/loadavg").read().split()[:3]},
        "wrk": {"threads": args.threads, "connections": args.connections,
                "duration_s": args.duration, "warmup_s": args.warmup, "headers": {"Accept-Encoding": "gzip"}},
        "gazette_set": args.set,
        "nginx": {"gzip": "static (pre-compressed, level 6)" if args.nginx_gzip_static
                  else "on the fly (gzip on, level 1)"},
    }
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

    # 1. Content and import -------------------------------------------------
    log(f"generating {args.stories} stories ...")
    t0 = time.perf_counter()
    doc, stats = generate(args.stories)
    doc_path = os.path.join(tmp, "content.json")
    with open(doc_path, "w") as f:
        json.dump(doc, f, ensure_ascii=False)
    gen_s = time.perf_counter() - t0
    slugs = [a["slug"] for a in doc["articles"]]
    del doc
    stats["json_bytes"] = os.path.getsize(doc_path)
    stats["generate_s"] = round(gen_s, 2)
    log(f"  {stats['json_bytes'] / 1e6:.1f} MB JSON, {stats['avg_words']} words per story on average, "
        f"{stats['comments']} comments, '{SEARCH_WORD}' in {stats['search_word_stories']} stories "
        f"({gen_s:.1f}s)")

    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env["GAZETTE_ACCESS_LOG"] = "false"
    env["GAZETTE_DATA_DIR"] = os.path.join(tmp, "data")
    conf = os.path.join(tmp, "gazette.conf")   # empty: defaults, not the repo's config
    open(conf, "w").close()
    db = os.path.join(tmp, "bench.db")
    base = [args.binary, "--config", conf, "--db", db]
    p = subprocess.run(base + ["init"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"gazette init failed: {p.stderr.strip()}")
    log("importing ...")
    t0 = time.perf_counter()
    p = subprocess.run(base + ["import", doc_path], cwd=ROOT, env=env,
                       capture_output=True, text=True,
                       timeout=max(300, args.stories * 0.1))
    import_s = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"gazette import failed: {p.stderr.strip()}")
    db_bytes = sum(os.path.getsize(db + s) for s in ("", "-wal", "-shm")
                   if os.path.exists(db + s))
    results["content"] = stats
    results["import"] = {"seconds": round(import_s, 3),
                         "stories_per_s": round(args.stories / import_s, 1),
                         "db_bytes": db_bytes}
    log(f"  import took {import_s:.2f}s ({args.stories / import_s:.0f} stories/s), "
        f"database {db_bytes / 1e6:.1f} MB")

    # 2. Gazette ------------------------------------------------------------
    gz_port = free_port()
    cmd = base + ["--host", "127.0.0.1", "--port", str(gz_port)]
    for s in args.set:
        cmd += ["--set", s]
    cmd.append("serve")
    with open(gz_log, "w") as logf:
        gz = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logf,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    procs["gazette"] = gz
    wait_http(gz_port, "/healthz", gz, 30, "gazette")
    results["gazette"] = {"pid": gz.pid, "port": gz_port,
                          "after_start": proc_status(gz.pid)}
    log(f"gazette pid {gz.pid} on 127.0.0.1:{gz_port}")

    # First (uncached) and later (cached) request of each page.
    article_slug = slugs[len(slugs) // 2]
    endpoints = [
        ("article", f"/articles/{article_slug}"),
        ("home", "/"),
        ("search", f"/search?q={SEARCH_WORD}"),
    ]
    cold = {}
    for name, path in endpoints:
        st, hdr, body, first = http_get(gz_port, path, timeout=120)
        if st != 200:
            raise RuntimeError(f"gazette answered {path} with {st}")
        later = [http_get(gz_port, path, timeout=120)[3] for _ in range(5)]
        cold[name] = {"path": path, "first_ms": round(first * 1000, 2),
                      "cached_ms": round(statistics.median(later) * 1000, 2),
                      "gzip": hdr.get("content-encoding") == "gzip",
                      "wire_bytes": len(body)}
    # The uncompressed article page is what nginx serves.
    st, hdr, page, _ = http_get(gz_port, endpoints[0][1], gzip=False, timeout=120)
    www = os.path.join(tmp, "www")
    os.makedirs(www)
    with open(os.path.join(www, "article.html"), "wb") as f:
        f.write(page)
    if args.nginx_gzip_static:
        with open(os.path.join(www, "article.html.gz"), "wb") as f:
            f.write(gzip.compress(page, compresslevel=6, mtime=0))
    for name, path in endpoints:
        cold[name]["html_bytes"] = len(http_get(gz_port, path, gzip=False, timeout=120)[2])
    results["first_request"] = cold
    for name, c in cold.items():
        log(f"  {name:8s} first request {c['first_ms']:8.2f} ms, cached {c['cached_ms']:6.2f} ms, "
            f"{c['html_bytes']} bytes HTML, {c['wire_bytes']} on the wire"
            f"{' (gzip)' if c['gzip'] else ' (not gzipped)'}")

    # 3. nginx --------------------------------------------------------------
    ngx_port = free_port()
    for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(tmp, "nginx-temp", t))
    ngx_conf = os.path.join(tmp, "nginx.conf")
    with open(ngx_conf, "w") as f:
        f.write(nginx_conf(tmp, www, ngx_port, args.nginx_gzip_static))
    with open(os.path.join(tmp, "nginx-out.log"), "w") as logf:
        ngx = subprocess.Popen([nginx_bin, "-p", tmp + "/", "-c", ngx_conf,
                                "-e", os.path.join(tmp, "nginx-error.log")],
                               stdout=logf, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    procs["nginx"] = ngx
    wait_http(ngx_port, "/", ngx, 15, "nginx")
    st, hdr, body, _ = http_get(ngx_port, "/")
    log(f"nginx pid {ngx.pid} on 127.0.0.1:{ngx_port}, serving the saved article page "
        f"({len(page)} bytes, {len(body)} on the wire"
        f"{' gzip' if hdr.get('content-encoding') == 'gzip' else ''}) for every URL")

    # 4. wrk ----------------------------------------------------------------
    done_lua = write_lua(tmp, "done.lua", LUA_DONE)
    rng = random.Random(SEED + 1)
    sample = slugs if len(slugs) <= 20000 else rng.sample(slugs, 20000)
    art_paths = lua_paths(tmp, "article-paths.lua", [f"/articles/{s}" for s in sample])
    words = sorted(set(CONTENT_ONLY))
    search_paths = lua_paths(tmp, "search-paths.lua", [f"/search?q={w}" for w in words])
    rand_art_lua = write_lua(tmp, "random-article.lua", LUA_RANDOM % art_paths + LUA_DONE)
    rand_search_lua = write_lua(tmp, "random-search.lua", LUA_RANDOM % search_paths + LUA_DONE)

    rows = [
        # name, path, script, note
        ("article", endpoints[0][1], done_lua, "same page, cached after the first request"),
        ("home", "/", done_lua, "nginx serves the article file: static baseline"),
        ("search", endpoints[2][1], done_lua,
         f"q={SEARCH_WORD} ({stats['search_word_stories']} of {args.stories} stories); "
         "nginx serves the article file: static baseline"),
        ("article (random slug)", "/", rand_art_lua,
         f"one of {len(sample)} stories per request: mostly cache misses"),
        ("search (random word)", "/", rand_search_lua,
         f"one of {len(words)} words per request"),
    ]
    results["runs"] = []
    gz_idle = proc_status(gz.pid)
    idle_timeout = max(30, 6 * args.duration)
    mem = None
    for name, path, script, note in rows:
        # nginx first: whatever Gazette still has queued when its run ends
        # must not eat into nginx's measurement (wait_idle below bounds it).
        log(f"wrk {name}: nginx ...")
        if args.warmup:
            run_wrk(args, ngx_port, path, script, args.warmup)
        n = run_wrk(args, ngx_port, path, script,
                    server_pids=lambda: [ngx.pid] + child_pids(ngx.pid))
        log(f"wrk {name}: gazette ...")
        if args.warmup:
            run_wrk(args, gz_port, path, script, args.warmup)
            wait_idle(gz.pid, idle_timeout)
        g = run_wrk(args, gz_port, path, script, server_pids=lambda: [gz.pid])
        mem = proc_status(gz.pid)
        drain, idle = wait_idle(gz.pid, idle_timeout)
        g["busy_after_s"] = round(drain, 1)
        g["idle_after"] = idle
        if not idle:
            log(f"  warning: gazette still busy {drain:.0f}s after the run (queued requests)")
        ratio = g["rps"] / n["rps"] if n["rps"] else None
        results["runs"].append({"endpoint": name, "path": path if script == done_lua else "(random)",
                                "note": note, "gazette": g, "nginx": n,
                                "ratio_rps": round(ratio, 4) if ratio is not None else None})
        if gz.poll() is not None:
            raise RuntimeError(f"gazette exited with status {gz.returncode} under load")

    # 5. Memory, metrics, report -------------------------------------------
    mem = mem or proc_status(gz.pid)   # right after the last Gazette run
    results["gazette"]["before_load"] = gz_idle
    results["gazette"]["after_load"] = mem
    try:
        st, _, body, _ = http_get(gz_port, "/metrics", gzip=False)
        m = {}
        for line in body.decode("utf-8", "replace").splitlines():
            mm = re.match(r"^(gazette_page_cache_\w+)\s+(\d+)", line)
            if mm:
                m[mm.group(1)] = int(mm.group(2))
        results["gazette"]["metrics"] = m
    except OSError:
        pass

    print()
    print(f"Gazette load benchmark: {args.stories} stories, wrk -t{args.threads} "
          f"-c{args.connections} -d{args.duration}s, Accept-Encoding: gzip, "
          f"{os.cpu_count()} CPUs shared by wrk, gazette and nginx; git {results['git']}")
    print(f"nginx gzip: {results['nginx']['gzip']}")
    hdr = ["endpoint", "gazette req/s", "gazette p99", "nginx req/s", "nginx p99",
           "ratio gz/nginx", "gazette CPU/req", "nginx CPU/req"]
    table = []
    for r in results["runs"]:
        g, n = r["gazette"], r["nginx"]
        table.append([r["endpoint"], f"{g['rps']:.0f}", fmt_ms(g.get("lat_p99_us")),
                      f"{n['rps']:.0f}", fmt_ms(n.get("lat_p99_us")),
                      f"{r['ratio_rps']:.3f}" if r["ratio_rps"] is not None else "-",
                      fmt_us(g["cpu"]["server_us_per_req"]),
                      fmt_us(n["cpu"]["server_us_per_req"])])
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(hdr)]
    print(" | ".join(h.ljust(widths[i]) for i, h in enumerate(hdr)))
    print("-+-".join("-" * w for w in widths))
    for row in table:
        print(" | ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                         for i, c in enumerate(row)))
    print()
    print("nginx always serves the saved article page (static baseline for every row). "
          "CPU/req: the server's own CPU time per answered request.")
    for r in results["runs"]:
        g, n = r["gazette"], r["nginx"]
        print(f"  {r['endpoint']}: {r['note']}; bytes/response gazette {g['bytes_per_resp']}, "
              f"nginx {n['bytes_per_resp']}")
        for who, x in (("gazette", g), ("nginx", n)):
            c = x["cpu"]
            if c["other_s"] > 0.15 * c["machine_s"]:
                print(f"    NOTE {who}: other processes used {c['other_s']:.1f} of "
                      f"{c['machine_s']:.1f} CPU-seconds during the run: noisy numbers")
            if not x.get("requests"):
                print(f"    WARNING {who}: no request completed in {args.duration}s "
                      f"(each took longer than the run; p99 n/a)")
            elif x["errors"]:
                print(f"    WARNING {who}: {x['errors']} errors (non-2xx {x['non_2xx']}, "
                      f"timeouts {x.get('err_timeout')}, read {x.get('err_read')}, "
                      f"connect {x.get('err_connect')})")
        if not g.get("idle_after", True):
            print(f"    WARNING gazette was still busy {g['busy_after_s']}s after the run "
                  "(requests queued behind slow ones)")
        elif g.get("busy_after_s", 0) >= 2:
            print(f"    gazette needed {g['busy_after_s']}s after the run to finish queued requests")
    print()
    for name, c in cold.items():
        print(f"first request (uncached) {name}: {c['first_ms']:.2f} ms; "
              f"later (cached): {c['cached_ms']:.2f} ms")
    print(f"import: {import_s:.2f}s for {args.stories} stories "
          f"({args.stories / import_s:.0f}/s), database {db_bytes / 1e6:.1f} MB")
    print(f"gazette memory after the load: VmRSS {mem.get('VmRSS', 0) / 1024:.1f} MiB, "
          f"VmHWM {mem.get('VmHWM', 0) / 1024:.1f} MiB "
          f"(before the load: VmRSS {gz_idle.get('VmRSS', 0) / 1024:.1f} MiB), "
          f"threads {mem.get('Threads', '?')}")
    if results["gazette"].get("metrics"):
        print("page cache: " + ", ".join(f"{k.replace('gazette_page_cache_', '')} {v}"
                                         for k, v in results["gazette"]["metrics"].items()))

    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
