"""Configuration (SPEC section 9): file, then environment, then flags; a bad
value stops start-up with one line naming the key and the problem."""
import os
import subprocess
import unittest

import harness

# (what, args before "serve", environment, config file text, the key the
# one error line must name)
BAD = [
    ("GAZETTE_PORT=abc", [], {"GAZETTE_PORT": "abc"}, None, "GAZETTE_PORT"),
    ("GAZETTE_PORT=70000", [], {"GAZETTE_PORT": "70000"}, None,
     "GAZETTE_PORT"),
    ("--set server.timeout=0", ["--set", "server.timeout=0"], {}, None,
     "server.timeout"),
    ("--set server.no_such_key=1", ["--set", "server.no_such_key=1"], {},
     None, "no_such_key"),
    ("--no_such_flag 1", ["--no_such_flag", "1"], {}, None, "no_such_flag"),
    ("--port abc", ["--port", "abc"], {}, None, "port"),
    ("config file with an unknown key", [], {},
     "[server]\nport = 8080\nno_such_key = 1\n", "no_such_key"),
    ("config file with an unknown section", [], {},
     "[nowhere]\nport = 1\n", "nowhere"),
    ("config file: bad number", [], {}, "[site]\npage_size = lots\n",
     "page_size"),
    ("config file: base_url with a path and a trailing slash", [], {},
     "[server]\nbase_url = http://example.org/news/\n", "base_url"),
    ("--base_url ftp://example.org", ["--base_url", "ftp://example.org"], {},
     None, "base_url"),
    # Links are root-relative, so a base URL with a path is refused at
    # start-up rather than half-honoured (docs/DECISIONS.md).
    ("GAZETTE_BASE_URL with a path", [],
     {"GAZETTE_BASE_URL": "https://example.org/news"}, None, "base_url"),
    ("GAZETTE_GZIP=maybe", [], {"GAZETTE_GZIP": "maybe"}, None,
     "GAZETTE_GZIP"),
    ("GAZETTE_PAGE_SIZE=0", [], {"GAZETTE_PAGE_SIZE": "0"}, None,
     "GAZETTE_PAGE_SIZE"),
    ("GAZETTE_MAX_FORM_BYTES=12Q", [], {"GAZETTE_MAX_FORM_BYTES": "12Q"},
     None, "GAZETTE_MAX_FORM_BYTES"),
    ("--set database.synchronous=OFF", ["--set", "database.synchronous=OFF"],
     {}, None, "synchronous"),
    ("--set server.host=not-an-ip", ["--set", "server.host=not-an-ip"], {},
     None, "server.host"),
    ("tls_cert without tls_key", ["--set", "server.tls_cert=/x/cert.pem"], {},
     None, "tls_key"),
]


class BadConfiguration(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.gz = harness.Gazette(demo=False)
        try:
            cls.gz.prepare()   # a ready database: no migration log lines
        except BaseException:
            cls.gz.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gz.cleanup()

    def serve(self, args, env, conf=None, timeout=5, config=True):
        """Runs `serve` with a bad setting; it must exit by itself."""
        extra = []
        if conf is not None:
            path = os.path.join(self.gz.tmp, "bad.conf")
            with open(path, "w") as f:
                f.write(conf)
            extra = ["--config", path]
        port = str(harness.free_port())
        e = dict(env)
        if not any(a.startswith("--port") for a in args) and \
                "GAZETTE_PORT" not in env:
            extra += ["--port", port]
        try:
            return self.gz.cli(*(extra + list(args) + ["serve"]), env=e,
                               timeout=timeout, config=config)
        except subprocess.TimeoutExpired:
            self.fail("gazette serve started despite the bad setting")

    def check(self, what, p, key):
        self.assertNotEqual(p.returncode, 0, "%s: exit 0" % what)
        self.assertGreater(p.returncode, 0, "%s: killed by signal %d"
                           % (what, -p.returncode))
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, "%s: expected one line on stderr, "
                         "got:\n%s" % (what, p.stderr))
        self.assertIn(key, lines[0], "%s: the message does not name %s: %r"
                      % (what, key, lines[0]))
        self.assertGreater(len(lines[0]), len(key) + 10,
                           "%s: the message does not say what is wrong: %r"
                           % (what, lines[0]))

    def test_bad_values_stop_start_up(self):
        for what, args, env, conf, key in BAD:
            with self.subTest(what):
                self.check(what, self.serve(args, env, conf), key)

    def test_missing_config_file(self):
        p = self.serve(["--config", "/nonexistent/gazette.conf"], {})
        self.check("--config /nonexistent", p, "/nonexistent/gazette.conf")
        p = self.serve([], {"GAZETTE_CONFIG": "/nonexistent/env.conf"},
                       config=False)
        self.check("GAZETTE_CONFIG=/nonexistent", p, "/nonexistent/env.conf")

    def test_config_syntax_error_names_file_and_line(self):
        p = self.serve([], {}, conf="[server]\nport = 8080\nthis is not ini\n")
        self.check("syntax error", p, "bad.conf")
        self.assertRegex(p.stderr, r"bad\.conf:3\b")

    def test_other_commands_check_too(self):
        for cmd in (["init"], ["migrate"], ["export"]):
            p = self.gz.cli(*cmd, env={"GAZETTE_PAGE_SIZE": "-3"})
            self.check(" ".join(cmd), p, "GAZETTE_PAGE_SIZE")


class Precedence(unittest.TestCase):
    """File, then environment, then flags (SPEC section 9)."""

    @classmethod
    def setUpClass(cls):
        cls.gz = harness.Gazette()
        try:
            cls.gz.prepare()
        except BaseException:
            cls.gz.cleanup()
            raise
        cls.conf = os.path.join(cls.gz.tmp, "good.conf")
        with open(cls.conf, "w") as f:
            f.write("; a comment\n[server]\ncache_max_age = 77\n\n"
                    "[site]\npage_size = 3\n")

    @classmethod
    def tearDownClass(cls):
        cls.gz.cleanup()

    def run_with(self, args=(), env=None):
        gz = harness.Gazette(env=env, serve_args=["--config", self.conf] +
                             list(args))
        gz.db = self.gz.db
        try:
            gz.start(prepare=False)
            r = gz.get("/")
            doc = harness.parse_html(r.text)
            cards = len(doc.find_all("article", cls="card"))
            lead = len(doc.find_all("article", cls="lead-story"))
            return r.header("Cache-Control"), cards + lead
        finally:
            rc = gz.stop()
            gz.cleanup()
            self.assertEqual(rc, 0)

    def test_base_url_trailing_slash_is_trimmed(self):
        """server.base_url "https://news.example.org/" (file or
        environment) is taken without its slash (issue 10)."""
        for env, args in (({"GAZETTE_BASE_URL": "https://news.example.org/"},
                           ()),
                          (None, ["--set",
                                  "server.base_url=https://news.example.org//"])):
            gz = harness.Gazette(env=env, serve_args=list(args))
            gz.db = self.gz.db
            try:
                gz.start(prepare=False)
                r = gz.get("/feed.xml")
                self.assertEqual(r.status, 200)
                self.assertIn("https://news.example.org/", r.text)
                self.assertNotIn("https://news.example.org//", r.text)
            finally:
                rc = gz.stop()
                gz.cleanup()
                self.assertEqual(rc, 0)

    def test_file_env_flags(self):
        cc, n = self.run_with()
        self.assertEqual((cc, n), ("public, max-age=77", 3), "from the file")
        cc, n = self.run_with(env={"GAZETTE_PAGE_SIZE": "4"})
        self.assertEqual((cc, n), ("public, max-age=77", 4),
                         "the environment overrides the file")
        cc, n = self.run_with(args=["--set", "site.page_size=2"],
                              env={"GAZETTE_PAGE_SIZE": "4",
                                   "GAZETTE_CACHE_MAX_AGE": "5"})
        self.assertEqual((cc, n), ("public, max-age=5", 2),
                         "flags override the environment")
