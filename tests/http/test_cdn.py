"""Behind a cache or CDN, never stale (issue 12, item 4).

Public answers name their dependency keys (Surrogate-Key, Cache-Tag) and
carry s-maxage / stale-while-revalidate as configured; every change sends
purges for exactly the keys it touched to the configured purgers
(src/cdn/purge.c), through a durable queue (the page_changes table and a
cursor per purger), before the write is answered.

VarnishFront runs Debian's real varnishd with the shipped
config/varnish.vcl (only the backend's port changed) in front of the real
gazette, and shows that a publish, an approved comment, a scheduled story
going live and a settings change are visible through Varnish on the next
request, while the pages they do not touch stay Varnish hits (X-Cache,
set by the VCL from obj.hits, and varnishstat's MAIN.cache_hit).

Purgers runs the webhook and nginx purgers against two small HTTP
receivers (real HTTP on loopback) that record what they are sent: the
keys and absolute URLs, the HMAC signature, one PURGE per URL, a failing
receiver retried, and a purge that waits across a restart of gazette.
"""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unittest

import harness
import test_cache_deps as deps

VARNISHD = shutil.which("varnishd") or (
    "/usr/sbin/varnishd" if os.path.exists("/usr/sbin/varnishd") else None)
VCL = os.path.join(harness.ROOT, "config", "varnish.vcl")


def shipped_vcl(backend_port):
    """config/varnish.vcl with its backend port replaced, nothing else."""
    with open(VCL) as f:
        text = f.read()
    out, n = re.subn(r'\.port = "8080";', '.port = "%d";' % backend_port, text)
    if n != 1:
        raise AssertionError("config/varnish.vcl: expected one backend "
                             '`.port = "8080";`, found %d' % n)
    return out


def top_tag(case):
    """The tag with the most stories: one more story in it leaves the
    navigation (the five biggest tags, in order) as it is, so a publish
    there changes no page but those that list the story (a change of the
    navigation is a change of every page: `all`)."""
    tags = sorted(case.truth("/tags")["tags"],
                  key=lambda t: -t.get("article_count", 0))
    return tags[0]["slug"]


class FrontCase(deps.CacheCase):
    """A real cache in front of gazette (a subclass says which and how to
    start it), and the helpers to read through it: its X-Cache header
    says HIT or not."""

    NAME = ""

    @classmethod
    def front_conf(cls):
        """The configuration (INI) that points gazette at the front."""
        raise NotImplementedError

    @classmethod
    def front_cmd(cls):
        """Writes the front's files into cls.fdir; returns its command."""
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.fport = harness.free_port()   # readers
        cls.pport = harness.free_port()   # purges, from gazette only
        cls.CONF = cls.front_conf()
        super().setUpClass()
        cls.fdir = harness.temp_dir("gz-front-")
        os.chmod(cls.fdir, 0o755)
        cls.flog = open(os.path.join(cls.fdir, "front.log"), "wb")
        cls.front = subprocess.Popen(cls.front_cmd(), stdout=cls.flog,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        last = None
        while time.monotonic() < deadline:
            if cls.front.poll() is not None:
                break
            try:
                last = cls.vget_raw("/")[0]
                if last == 200:
                    return
            except OSError as e:
                last = e
            time.sleep(0.2)
        log = cls.front_log()
        cls.tearDownClass()
        raise harness.StartError("%s did not serve the site (last: %r); "
                                 "log: %s" % (cls.NAME, last, log))

    @classmethod
    def tearDownClass(cls):
        f = getattr(cls, "front", None)
        if f and f.poll() is None:
            f.send_signal(signal.SIGTERM)
            try:
                f.wait(10)
            except subprocess.TimeoutExpired:
                f.kill()
                f.wait()
        if getattr(cls, "flog", None):
            cls.flog.close()
        if getattr(cls, "fdir", None):
            shutil.rmtree(cls.fdir, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def front_log(cls):
        for name in ("front.log", "error.log"):
            try:
                with open(os.path.join(cls.fdir, name), "rb") as f:
                    text = f.read()[-2000:].decode("utf-8", "replace")
                    if text:
                        return text
            except OSError:
                pass
        return ""

    @classmethod
    def vget_raw(cls, path, method="GET", headers=None, port=None):
        c = http.client.HTTPConnection("127.0.0.1", port or cls.fport,
                                       timeout=15)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, \
                r.read().decode("utf-8", "replace")
        finally:
            c.close()

    def vget(self, path):
        """GET through the front: (X-Cache, body)."""
        st, h, body = self.vget_raw(path)
        self.assertEqual(st, 200, "GET %s through %s: %d" % (path, self.NAME,
                                                            st))
        return h.get("x-cache"), body

    def vwarm(self, paths):
        """Each page through the front until a GET is a hit."""
        for p in paths:
            for _ in range(3):
                if self.vget(p)[0] == "HIT":
                    break
            else:
                self.fail("GET %s through %s is never a hit" % (p, self.NAME))

    def other_tag_and_author(self, tag):
        """A tag page and an author page a story by the editor tagged
        `tag` does not touch."""
        tags = [t["slug"] for t in self.truth("/tags")["tags"]
                if t["slug"] != tag and t.get("article_count")]
        authors = [a["slug"] for a in self.truth("/authors")["authors"]
                   if a["name"] != "Eddie Editor" and a.get("article_count")]
        self.assertTrue(tags and authors, "demo content has other tags and "
                        "authors")
        return "/tags/" + tags[0], "/authors/" + authors[0]

    def fresh(self, path, shows):
        """GET through the front right after a change: not the old copy."""
        xc, body = self.vget(path)
        self.assertNotEqual(xc, "HIT", "GET %s through %s after the change: "
                            "still the cached copy" % (path, self.NAME))
        self.assertIn(shows, body, "GET %s through %s after the change" % (
            path, self.NAME))

    def still_hit(self, path, change):
        self.assertEqual(self.vget(path)[0], "HIT", "GET %s through %s: %s, "
                         "which does not touch it, purged it" % (
                             path, self.NAME, change))


class FrontTests:
    """What a cache in front must show, whichever it is: a change on the
    very next request, and the pages the change does not touch still
    hits."""

    def test_publish_shows_at_once_and_others_stay_hits(self):
        title = "Seen through the cache " + deps.word()
        tag = top_tag(self)
        other_tag, other_author = self.other_tag_and_author(tag)
        untouched = [other_tag, other_author]
        self.vwarm(["/", "/tags/" + tag, "/feed.xml"] + untouched)
        s = self.new_story(title, tags=[tag])
        # the next request, not "after a while"
        for p in ("/", "/tags/" + tag, "/feed.xml"):
            self.fresh(p, title)
        self.assertIn(title, self.vget("/articles/" + s["slug"])[1])
        for p in untouched:
            self.still_hit(p, "a publish")
        return untouched

    def test_approved_comment_purges_only_its_story(self):
        pages = ["/articles/" + deps.OTTERS,
                 "/articles/" + deps.OTHER_STORIES[0], "/", "/tags/science"]
        self.vwarm(pages)
        body = "Seen through the cache " + deps.word()
        cid = self.post_comment(deps.OTTERS, body)
        self.moderate(cid, "approved")
        self.fresh("/articles/" + deps.OTTERS, body)
        for p in pages[1:]:
            self.still_hit(p, "a comment approved on another story")

    def test_body_correction_purges_the_story_and_feeds_not_the_lists(self):
        s = self.new_story("Correct me " + deps.word(), tags=["science"],
                           excerpt="A fixed excerpt for the cards.")
        story = "/articles/" + s["slug"]
        pages = [story, "/articles/" + deps.OTHER_STORIES[1], "/",
                 "/tags/science"]
        self.vwarm(pages)
        fix = "Corrected figure " + deps.word()
        self.patch_story(s["id"], {"markdown": fix})
        self.fresh(story, fix)
        for p in pages[1:]:
            self.still_hit(p, "a body-only correction of another story")

    def test_scheduled_story_goes_live_through_the_cache(self):
        title = "Scheduled through the cache " + deps.word()
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                             time.gmtime(time.time() + 3))
        self.new_story(title, status="scheduled", published_at=when)
        self.vwarm(["/"])
        self.assertNotIn(title, self.vget("/")[1])
        deadline = time.monotonic() + 20
        seen = False
        while time.monotonic() < deadline and not seen:
            time.sleep(0.5)
            seen = title in self.vget("/")[1]
        self.assertTrue(seen, "a scheduled story went live but %s kept the "
                        "old home page (s-maxage is an hour)" % self.NAME)

    # pages a settings change must reach through this front
    SETTINGS_PAGES = ("home", "story", "other tag", "other author")

    def test_settings_change_reaches_the_pages(self):
        other_tag, other_author = self.other_tag_and_author("science")
        every = {"home": "/", "story": "/articles/" + deps.OTTERS,
                 "feed": "/feed.xml", "other tag": other_tag,
                 "other author": other_author}
        pages = [every[k] for k in self.SETTINGS_PAGES]
        self.vwarm(pages)
        title = "The Cached Courier " + deps.word()
        old = deps.SettingsShow.save_settings(self, title=title)
        try:
            for p in pages:
                self.fresh(p, title)
        finally:
            deps.SettingsShow.save_settings(self, title=old["title"])


class VarnishFront(FrontTests, FrontCase):
    """Debian's varnishd with config/varnish.vcl in front of gazette."""

    NAME = "Varnish"

    @classmethod
    def setUpClass(cls):
        if not VARNISHD:
            raise unittest.SkipTest("varnishd not installed (scripts/setup.sh "
                                    "--tests installs Debian's varnish)")
        super().setUpClass()

    @classmethod
    def front_conf(cls):
        return ("[cdn]\nvarnish = http://127.0.0.1:%d\n"
                "s_maxage = 3600\nstale_while_revalidate = 30\n" % cls.pport)

    @classmethod
    def front_cmd(cls):
        vcl = os.path.join(cls.fdir, "gazette.vcl")
        with open(vcl, "w") as f:
            f.write(shipped_vcl(cls.gz.port))
        os.chmod(vcl, 0o644)
        cmd = [VARNISHD, "-F", "-a", "127.0.0.1:%d" % cls.fport,
               "-a", "purge=127.0.0.1:%d" % cls.pport, "-f", vcl,
               "-n", os.path.join(cls.fdir, "work"), "-s", "malloc,32m",
               "-T", "127.0.0.1:0", "-p", "ban_lurker_sleep=0.01"]
        if os.geteuid() != 0:
            cmd[1:1] = ["-j", "none"]
        return cmd

    def cache_hits(self):
        """varnishstat's MAIN.cache_hit."""
        p = subprocess.run(["varnishstat", "-n",
                            os.path.join(self.fdir, "work"), "-1", "-f",
                            "MAIN.cache_hit"], capture_output=True, text=True,
                           timeout=20)
        m = re.search(r"MAIN\.cache_hit\s+(\d+)", p.stdout)
        self.assertIsNotNone(m, "varnishstat: %r %r" % (p.stdout, p.stderr))
        return int(m.group(1))

    def test_publish_shows_at_once_and_others_stay_hits(self):
        h0 = self.cache_hits()
        untouched = super().test_publish_shows_at_once_and_others_stay_hits()
        # the warm-up's hits, and one for each untouched page after it
        self.assertGreaterEqual(self.cache_hits() - h0, 2 * len(untouched),
                                "varnishstat MAIN.cache_hit")

    # Every page carries `all`: a settings change bans every one.
    SETTINGS_PAGES = ("home", "story", "feed", "other tag", "other author")

    # -- the headers ----------------------------------------------------------

    def test_public_answers_name_their_keys_and_shared_cache_lifetime(self):
        sid = self.truth("/articles/" + deps.OTTERS)["articles"][0]["id"]
        r = self.get("/articles/" + deps.OTTERS)
        self.assertEqual(r.status, 200)
        keys = (r.header("Surrogate-Key") or "").split()
        for k in ("story-%d" % sid, "home", "all"):
            self.assertIn(k, keys, "Surrogate-Key of a story page: %r" % keys)
        self.assertEqual(r.header("Cache-Tag"), ",".join(keys))
        cc = r.header("Cache-Control") or ""
        self.assertIn("s-maxage=3600", cc)
        # browsers revalidate every time; only shared caches may serve
        # a stale copy while they fetch the new one
        self.assertIn("max-age=0", cc)
        self.assertIn("must-revalidate", cc)
        self.assertNotIn("stale-while-revalidate", cc)
        for h in ("CDN-Cache-Control", "Surrogate-Control"):
            self.assertEqual(r.header(h),
                             "max-age=3600, stale-while-revalidate=30", h)
        self.assertIn("tag-science", (self.get("/tags/science").header(
            "Surrogate-Key") or "").split())
        self.assertIn("feeds", (self.get("/feed.xml").header(
            "Surrogate-Key") or "").split())
        # a page of every change says so; the newsroom says nothing
        self.assertIn("any", self.get("/search?q=otters").header(
            "Surrogate-Key", "").split())
        admin = self.get("/admin/login")
        self.assertIsNone(admin.header("Surrogate-Key"))
        self.assertIn("no-store", admin.header("Cache-Control", ""))
        # readers do not see them through Varnish
        st, h, _ = self.vget_raw("/articles/" + deps.OTTERS)
        self.assertEqual(st, 200)
        for name in ("surrogate-key", "cache-tag", "cdn-cache-control",
                     "surrogate-control"):
            self.assertNotIn(name, h)

    def test_ban_only_on_the_purge_listener_with_well_formed_keys(self):
        # readers' listener: everyone there comes from 127.0.0.1 when a
        # TLS server sits in front, so it never bans
        self.vwarm(["/"])
        st, _, _ = self.vget_raw("/", "BAN", {"X-Purge-Keys": "all"})
        self.assertEqual(st, 403)
        self.assertEqual(self.vget("/")[0], "HIT")
        st, _, _ = self.vget_raw("/", port=self.pport)
        self.assertEqual(st, 405, "GET on the purge listener")
        st, _, _ = self.vget_raw("/", "BAN", {"X-Purge-Keys": "home"},
                                 port=self.pport)
        self.assertEqual(st, 200)
        for bad in ("", "home|.*", "Home", "a  b", "(x)", "a_b"):
            st, _, body = self.vget_raw("/", "BAN", {"X-Purge-Keys": bad},
                                        port=self.pport)
            self.assertEqual(st, 400, "BAN with X-Purge-Keys %r: %d" % (
                bad, st))


NGINX = shutil.which("nginx") or (
    "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
PURGE_MODULE = "/usr/lib/nginx/modules/ngx_http_cache_purge_module.so"
NGINX_CACHE = os.path.join(harness.ROOT, "config", "nginx-cache.conf")


def shipped_nginx_cache(cache_dir, backend_port, listen_port, purge_port):
    """config/nginx-cache.conf with its four marked values replaced."""
    with open(NGINX_CACHE) as f:
        text = f.read()
    for old, new in (("/var/cache/nginx/gazette", cache_dir),
                     ("server 127.0.0.1:8080;",
                      "server 127.0.0.1:%d;" % backend_port),
                     ("listen 127.0.0.1:6081;",
                      "listen 127.0.0.1:%d;" % listen_port),
                     ("listen 127.0.0.1:6091;",
                      "listen 127.0.0.1:%d;" % purge_port)):
        if text.count(old) != 1:
            raise AssertionError("config/nginx-cache.conf: expected %r once"
                                 % old)
        text = text.replace(old, new)
    return text


class NginxCacheFront(FrontTests, FrontCase):
    """Debian's nginx with config/nginx-cache.conf and the cache purge
    module in front of gazette ([cdn] nginx: one PURGE per URL)."""

    NAME = "nginx's cache"

    @classmethod
    def setUpClass(cls):
        if not NGINX or not os.path.exists(PURGE_MODULE):
            raise unittest.SkipTest("nginx or its cache purge module is not "
                                    "installed (scripts/setup.sh --tests "
                                    "installs libnginx-mod-http-cache-purge)")
        super().setUpClass()

    @classmethod
    def front_conf(cls):
        return ("[cdn]\nnginx = http://127.0.0.1:%d/purge\n"
                "s_maxage = 3600\n" % cls.pport)

    @classmethod
    def front_cmd(cls):
        d = cls.fdir
        os.makedirs(os.path.join(d, "cache"))
        with open(os.path.join(d, "gazette-cache.conf"), "w") as f:
            f.write(shipped_nginx_cache(os.path.join(d, "cache"), cls.gz.port,
                                        cls.fport, cls.pport))
        # the main context a Debian install has in /etc/nginx/nginx.conf
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("load_module %s;\ndaemon off;\npid %s/nginx.pid;\n"
                    "error_log %s/error.log;\n%s"
                    "events { worker_connections 128; }\n"
                    "http {\n  access_log off;\n"
                    "  client_body_temp_path %s/body;\n"
                    "  proxy_temp_path %s/proxy;\n"
                    "  include %s/gazette-cache.conf;\n}\n" % (
                        PURGE_MODULE, d, d,
                        "user root;\n" if os.geteuid() == 0 else "",
                        d, d, d))
        return [NGINX, "-c", os.path.join(d, "nginx.conf"), "-p", d]

    # A URL cache is purged by URL: a settings change (everything) reaches
    # the lists' first pages and the feeds at once, the rest at s-maxage
    # (docs/OPERATIONS.md).
    SETTINGS_PAGES = ("home", "feed")

    def test_purges_only_on_the_purge_listener(self):
        path = "/tags/" + top_tag(self)
        self.vwarm([path])
        # through the readers' listener a /purge/ path is just a page
        # gazette does not have
        st, h, _ = self.vget_raw("/purge" + path, "PURGE")
        self.assertNotEqual(st, 200)
        self.assertEqual(self.vget(path)[0], "HIT")
        st, _, _ = self.vget_raw(path, port=self.pport)
        self.assertEqual(st, 404, "a page from the purge listener")
        st, _, _ = self.vget_raw("/purge" + path, "PURGE", port=self.pport)
        self.assertEqual(st, 200)
        self.assertNotEqual(self.vget(path)[0], "HIT")

    def test_json_variant_is_purged_too(self):
        tag = top_tag(self)
        path = "/tags/" + tag
        for accept in ("application/json", "text/html"):
            for _ in range(3):
                st, h, _ = self.vget_raw(path, headers={"Accept": accept})
                if h.get("x-cache") == "HIT":
                    break
            else:
                self.fail("GET %s (%s) is never a hit" % (path, accept))
        title = "Both variants " + deps.word()
        self.new_story(title, tags=[tag])
        # each Accept has its own cache entry (Vary: Accept): both purged
        st, h, body = self.vget_raw(path,
                                    headers={"Accept": "application/json"})
        self.assertEqual(st, 200)
        self.assertNotEqual(h.get("x-cache"), "HIT", "the entry kept for "
                            "Accept: application/json was not purged")
        self.assertIn(title, body)
        self.fresh(path, title)


# ---- webhook and nginx purgers against recording receivers ----------------

class Receiver:
    """A small HTTP server on loopback that records every request and
    answers `status` (settable)."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with rec.lock:
                    rec.requests.append((self.command, self.path,
                                         dict(self.headers), body))
                    status = rec.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PURGE = do_GET = handle_any

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def take(self):
        with self.lock:
            out, self.requests = self.requests, []
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()


SECRET = "webhook-test-secret"


class Purgers(deps.CacheCase):
    """cdn.webhook and cdn.nginx, each pointed at a recording receiver."""

    @classmethod
    def setUpClass(cls):
        cls.hook = Receiver()
        cls.nginx = Receiver()
        cls.CONF = ("[cdn]\nwebhook = http://127.0.0.1:%d/purge-hook\n"
                    "webhook_secret = %s\nnginx = http://127.0.0.1:%d\n"
                    % (cls.hook.port, SECRET, cls.nginx.port))
        try:
            super().setUpClass()
        except BaseException:
            cls.hook.close()
            cls.nginx.close()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.hook.close()
        cls.nginx.close()

    def setUp(self):
        self.hook.status = self.nginx.status = 200
        self.hook.take()
        self.nginx.take()

    def hook_docs(self):
        out = []
        for method, path, headers, body in self.hook.take():
            self.assertEqual((method, path), ("POST", "/purge-hook"))
            sig = headers.get("X-Gazette-Signature", "")
            want = "sha256=" + hmac.new(SECRET.encode(), body,
                                        hashlib.sha256).hexdigest()
            self.assertEqual(sig, want, "webhook signature")
            self.assertEqual(headers.get("Content-Type"), "application/json")
            out.append(json.loads(body))
        return out

    def test_publish_tells_the_webhook_keys_and_urls_before_answering(self):
        tag = top_tag(self)
        s = self.new_story("Hooked " + deps.word(), tags=[tag])
        # no waiting: the write is answered after its purges went out
        docs = self.hook_docs()
        self.assertTrue(docs, "no webhook call before the write's answer")
        keys = set().union(*(d["keys"] for d in docs))
        urls = set().union(*(d["urls"] for d in docs))
        base = self.gz.base
        for k in ("story-%d" % s["id"], "home", "feeds", "tag-" + tag,
                  "author-" + s["primary_author"]["slug"], "any"):
            self.assertIn(k, keys)
        for u in ("/articles/" + s["slug"], "/", "/feed.xml",
                  "/tags/" + tag, "/authors/" + s["primary_author"]["slug"]):
            self.assertIn(base + u, urls)
        self.assertFalse(any(d["everything"] for d in docs))
        self.assertEqual({k for k in keys if k.startswith("tag-")},
                         {"tag-" + tag})

    def test_nginx_gets_one_purge_per_url(self):
        tag = top_tag(self)
        s = self.new_story("Purged by URL " + deps.word(), tags=[tag])
        got = {(m, p) for m, p, _, _ in self.nginx.take()}
        for p in ("/articles/" + s["slug"], "/api/v1/articles/" + s["slug"],
                  "/", "/feed.xml", "/tags/" + tag, "/tags/%s/feed.xml" % tag):
            self.assertIn(("PURGE", p), got)
        self.assertEqual({p for _, p in got if p.startswith("/tags/")},
                         {"/tags/" + tag, "/tags/%s/feed.xml" % tag})

    def test_old_address_of_a_renamed_or_deleted_story_is_purged(self):
        s = self.new_story("Renamed later " + deps.word(), tags=["city"])
        old, new = s["slug"], s["slug"] + "-moved"
        self.nginx.take()
        self.patch_story(s["id"], {"slug": new})
        got = {p for m, p, _, _ in self.nginx.take() if m == "PURGE"}
        self.assertIn("/articles/" + old, got, "the old URL of a renamed "
                      "story was not purged")
        self.assertIn("/articles/" + new, got)
        r = self.api("DELETE", "/articles/%d" % s["id"],
                     token=self.token("editor"))
        self.assertIn(r.status, (200, 204), self.where(r))
        got = {p for m, p, _, _ in self.nginx.take() if m == "PURGE"}
        self.assertIn("/articles/" + new, got, "a deleted story's URL was "
                      "not purged")

    def test_import_beside_the_server_purges_everything(self):
        # an import drops its own page changes (they are every page): the
        # purgers see the gap and purge everything, within a second or so
        self.gz.cli_ok("import", "--from", "ghost",
                       harness.fixture("ghost-export.json"))
        docs = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not docs:
            time.sleep(0.2)
            docs = self.hook_docs()
        self.assertTrue(any(d["everything"] for d in docs),
                        "no purge of everything after an import: %r" % docs)
        # and a write that changes no page does not wait for purges
        t0 = time.monotonic()
        r = self.gz.request("POST", "/admin/login", {
            "Content-Type": deps.FORM, "Origin": self.gz.base},
            b"email=nobody%40example.org&password=wrong-password-1",
            source=harness.new_client_address())
        self.assertLess(time.monotonic() - t0, 1.0, "a sign-in that changed "
                        "nothing waited %d" % r.status)

    def test_settings_change_is_everything(self):
        old = deps.SettingsShow.save_settings(self, title="Everything " +
                                              deps.word())
        deps.SettingsShow.save_settings(self, title=old["title"])
        docs = self.hook_docs()
        self.assertTrue(any(d["everything"] and d["keys"] == ["all"]
                            for d in docs), docs)

    def keys_within(self, seconds):
        """The keys the webhook is sent in that many seconds (at most: it
        stops at the first call)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            docs = self.hook_docs()
            if docs:
                return set().union(*(d["keys"] for d in docs))
            time.sleep(0.2)
        return set()

    def metric(self, name, purger):
        r = self.get("/metrics")
        m = re.search(r'^%s\{purger="%s"\} (\d+)' % (name, re.escape(purger)),
                      r.text, re.M)
        self.assertIsNotNone(m, "%s for %s in /metrics" % (name, purger))
        return int(m.group(1))

    def test_failed_purges_are_retried_and_outlive_a_restart(self):
        # the label has no path (a webhook URL may hold a secret)
        hook = "webhook http://127.0.0.1:%d" % self.hook.port
        self.hook.status = 503
        t0 = time.monotonic()
        s = self.new_story("Pending purge " + deps.word(), tags=["science"])
        self.assertLess(time.monotonic() - t0, 5, "a failing purger held the "
                        "write past cdn.purge_wait_ms")
        self.assertTrue(self.hook.take(), "the webhook was not tried")
        self.assertEqual(self.metric("gazette_cdn_purger_failing", hook), 1)
        # a restart while it fails: the cursor is in the database
        self.gz.stop()
        self.hook.take()
        self.hook.status = 200
        self.gz.start(prepare=False)
        self.assertIn("story-%d" % s["id"], self.keys_within(15),
                      "the purge pending at the restart was never delivered")
        self.assertEqual(self.metric("gazette_cdn_purger_failing", hook), 0)

    def test_restore_purges_everything_at_the_next_start(self):
        path = os.path.join(self.gz.tmp, "before-restore-test.db")
        self.gz.cli_ok("backup", path)
        self.new_story("Gone after the restore " + deps.word())
        self.gz.stop()
        try:
            self.gz.cli_ok("restore", path)
        finally:
            self.hook.take()
            self.gz.start(prepare=False)
        deadline = time.monotonic() + 15
        docs = []
        while time.monotonic() < deadline and not docs:
            time.sleep(0.2)
            docs = self.hook_docs()
        self.assertTrue(any(d["everything"] for d in docs), "after a restore "
                        "the caches in front were not told to drop "
                        "everything: %r" % docs)

    def test_retry_after_a_failure_without_restart(self):
        self.hook.status = 500
        s = self.new_story("Retried " + deps.word(), tags=["city"])
        self.assertTrue(self.hook.take())
        self.hook.status = 200
        self.assertIn("story-%d" % s["id"], self.keys_within(15),
                      "a failed purge was not retried")


class PurgeConfig(unittest.TestCase):
    """Purger addresses are checked at start-up."""

    def test_bad_addresses_are_refused_by_name(self):
        gz = harness.Gazette()
        try:
            gz.prepare()
            for key, value in (("cdn.varnish", "ftp://127.0.0.1:6081"),
                               ("cdn.varnish", "http://127.0.0.1:6081/path"),
                               ("cdn.nginx", "127.0.0.1"),
                               ("cdn.webhook", 'http://x/"y')):
                p = gz.cli("--set", "%s=%s" % (key, value), "--port", "0",
                           "serve", timeout=20)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(key, p.stderr, "%s=%s: %r" % (key, value,
                                                            p.stderr))
        finally:
            gz.cleanup()
