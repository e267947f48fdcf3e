"""The write load of the benchmark's read-while-writing run (tests/bench/run.py).

From Python threads, against a running Gazette:

- comments at `rate` per second: each is posted with
  POST /api/v1/articles/{slug}/comments from its own loopback source address
  (127.x.y.z, so the per-address comment limit of 5 a minute never refuses
  one), with a new email address, so the site's default "first" policy holds
  it (202); it is then approved with PATCH /api/v1/comments/{id} and the
  editor's token. Job k is due at start + k / rate; 128 threads share the
  jobs so slow answers (up to ~12 s each at 10/s) do not stop the clock, and the lag is reported;
- a story published every `publish_every` seconds (the first at half that)
  (or at first_at) with POST /api/v1/articles, status published.

Every request's status and latency is kept; summary() gives counts,
percentiles, the rate reached and the worst lag. cleanup() deletes what was
written (used when the database is kept for later runs).
"""
import http.client
import json
import random
import statistics
import threading
import time


def _pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


class Writers:
    def __init__(self, port, token, slugs, rate=10.0, publish_every=30.0,
                 threads=128, tag="City", seed=1, first_at=None):
        self.port, self.token, self.slugs = port, token, list(slugs)
        self.rate, self.publish_every = rate, publish_every
        self.first_at = publish_every / 2 if first_at is None else first_at
        self.nthreads, self.tag = threads, tag
        self.rng = random.Random(seed)
        self.run_id = f"{int(time.time())}{self.rng.randrange(1000):03d}"
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.next_job = 0
        self.t0 = None
        self.threads = []
        self.post, self.patch, self.publish = [], [], []   # (status, seconds)
        self.comment_ids, self.story_ids = [], []
        self.max_lag = 0.0
        self.errors = []
        self.t_end = None

    # -- helpers -----------------------------------------------------------

    def _request(self, conn, method, path, body=None, auth=False):
        headers = {"Accept": "application/json"}
        if body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = "Bearer " + self.token
        t = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, data, time.perf_counter() - t

    def _note(self, what):
        with self.lock:
            if len(self.errors) < 20:
                self.errors.append(what)

    @staticmethod
    def source_address(k):
        """A loopback address of its own for comment k (127.10.0.0 up)."""
        return f"127.{10 + (k >> 16) % 240}.{(k >> 8) & 255}.{k & 255}"

    # -- comments ----------------------------------------------------------

    def _comment_worker(self, idx):
        rng = random.Random(f"{self.run_id}:{idx}")
        editor = None
        while not self.stop_ev.is_set():
            with self.lock:
                k = self.next_job
                self.next_job += 1
            due = self.t0 + k / self.rate
            wait = due - time.monotonic()
            if wait > 0 and self.stop_ev.wait(wait):
                break
            lag = time.monotonic() - due
            slug = self.slugs[rng.randrange(len(self.slugs))]
            body = {"name": f"Reader {k}",
                    "email": f"reader-{self.run_id}-{k}@example.net",
                    "body": f"Comment {k} from the benchmark: the harbour "
                            f"ferry timetable was {rng.choice(['late', 'early', 'fine'])} today."}
            try:
                conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30,
                    source_address=(self.source_address(k), 0))
                try:
                    st, data, secs = self._request(
                        conn, "POST", f"/api/v1/articles/{slug}/comments", body)
                finally:
                    conn.close()
            except OSError as e:
                self._note(f"comment {k}: {e}")
                with self.lock:
                    self.post.append((0, None))
                continue
            with self.lock:
                self.post.append((st, secs))
                self.max_lag = max(self.max_lag, lag)
            if st not in (201, 202):
                self._note(f"comment {k}: POST answered {st}: {data[:200]!r}")
                continue
            try:
                cid = json.loads(data)["comments"][0]["id"]
            except (ValueError, KeyError, IndexError, TypeError):
                self._note(f"comment {k}: no id in {data[:200]!r}")
                continue
            with self.lock:
                self.comment_ids.append(cid)
            if st == 201:      # shown at once: nothing to approve
                continue
            st = None
            for attempt in (1, 2):   # a kept-alive connection the server closed: once more
                try:
                    if editor is None:
                        editor = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    st, data, secs = self._request(editor, "PATCH", f"/api/v1/comments/{cid}",
                                                   {"status": "approved"}, auth=True)
                    break
                except (OSError, http.client.HTTPException) as e:
                    if editor:
                        editor.close()
                    editor = None
                    if attempt == 2:
                        self._note(f"comment {k}: PATCH failed: {e}")
            if st is None:
                with self.lock:
                    self.patch.append((0, None))
                continue
            with self.lock:
                self.patch.append((st, secs))
            if st != 200:
                self._note(f"comment {k}: PATCH answered {st}: {data[:200]!r}")
        if editor:
            editor.close()

    # -- stories -----------------------------------------------------------

    def _publisher(self):
        j = 0
        while True:
            due = self.t0 + self.first_at + j * self.publish_every
            wait = due - time.monotonic()
            if wait > 0 and self.stop_ev.wait(wait):
                break
            if self.stop_ev.is_set():
                break
            paras = []
            for p in range(6):
                words = [self.rng.choice(["harbour", "ferry", "council", "tide", "market",
                                          "the", "of", "and", "night", "boats"])
                         for _ in range(60)]
                paras.append(" ".join(words).capitalize() + ".")
            body = {"title": f"Live from the harbour {self.run_id} number {j + 1}",
                    "markdown": "\n\n".join(paras), "tags": [self.tag],
                    "status": "published"}
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                try:
                    st, data, secs = self._request(conn, "POST", "/api/v1/articles", body,
                                                   auth=True)
                finally:
                    conn.close()
            except OSError as e:
                self._note(f"story {j}: {e}")
                st, secs, data = 0, None, b""
            with self.lock:
                self.publish.append((st, secs))
            if st == 201:
                try:
                    self.story_ids.append(json.loads(data)["articles"][0]["id"])
                except (ValueError, KeyError, IndexError, TypeError):
                    self._note(f"story {j}: no id in {data[:200]!r}")
            else:
                self._note(f"story {j}: POST answered {st}: {data[:200]!r}")
            j += 1

    # -- control -----------------------------------------------------------

    def start(self):
        self.t0 = time.monotonic()
        for i in range(self.nthreads):
            t = threading.Thread(target=self._comment_worker, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)
        if self.publish_every > 0:
            t = threading.Thread(target=self._publisher, daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self, timeout=60):
        self.stop_ev.set()
        self.t_end = time.monotonic()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        return all(not t.is_alive() for t in self.threads)

    def summary(self):
        with self.lock:
            post, patch, pub = list(self.post), list(self.patch), list(self.publish)
        el = (self.t_end or time.monotonic()) - self.t0

        def part(rows, ok):
            lat = [s for st, s in rows if s is not None]
            statuses = {}
            for st, _ in rows:
                statuses[str(st)] = statuses.get(str(st), 0) + 1
            return {"count": len(rows), "ok": sum(1 for st, _ in rows if st in ok),
                    "statuses": statuses,
                    "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
                    "p99_ms": round(_pct(lat, 99) * 1000, 1) if lat else None,
                    "max_ms": round(max(lat) * 1000, 1) if lat else None}

        s = {"seconds": round(el, 1), "target_rate": self.rate,
             "publish_every_s": self.publish_every,
             "comments_posted": part(post, (201, 202)),
             "comments_approved": part(patch, (200,)),
             "stories_published": part(pub, (201,)),
             "max_lag_s": round(self.max_lag, 2), "errors": self.errors}
        s["comment_rate"] = round(s["comments_posted"]["ok"] / el, 2) if el > 0 else 0
        s["approve_rate"] = round(s["comments_approved"]["ok"] / el, 2) if el > 0 else 0
        return s

    def cleanup(self):
        """Deletes the comments and stories written (the database is kept)."""
        n = 0
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            for cid in self.comment_ids:
                st, _, _ = self._request(conn, "DELETE", f"/api/v1/comments/{cid}", auth=True)
                n += st == 204
            for sid in self.story_ids:
                st, _, _ = self._request(conn, "DELETE", f"/api/v1/articles/{sid}", auth=True)
                n += st == 204
        finally:
            conn.close()
        return n
