"""The generic rules of /api/ (src/http/guard.c, docs/API.md), checked
before any handler runs: every answer under /api/ is JSON with the one
error shape (404, 405 + Allow, 413, 414, 400 from path decoding, 401,
403, 415); credentials (Bearer tokens made by `gazette token create`, a
bad one always 401; the session cookie, which needs X-CSRF-Token on unsafe
methods); the same-origin rule (skipped for tokens); CORS on reads, the
preflight, and the origins of api.cors_origins; no caching of answers
given with credentials; and the outbox gauges of /metrics.

Each test asserts one exact status.
"""
import json
import re
import sqlite3
import struct
import time
import zlib

import harness
from test_admin_support import PASSWORD, NewsroomCase, multipart, png

API = "/api/v1"
ERROR_KEYS = {"code", "message", "field", "request_id"}
BOGUS = "gzt_" + "0" * 64


class GuardCase(NewsroomCase):
    """A newsroom server plus one API token per user (by role)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = {}
        try:
            for email, _, role in cls.USERS:
                p = cls.gz.cli_ok("token", "create", "--name",
                                  "guard-" + email.split("@")[0], "--user",
                                  email)
                cls.tokens[email.split("@")[0]] = p.stdout.strip()
        except BaseException:
            super().tearDownClass()
            raise

    def bearer(self, who):
        return {"Authorization": "Bearer " + self.tokens[who]}

    def api(self, method, path, body=None, headers=None, ctype=None):
        h = dict(headers or {})
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if ctype:
            h["Content-Type"] = ctype
        return self.request(method, API + path, h, body,
                            source=harness.new_client_address())

    def assertError(self, r, status, code, field=None):
        """r is the JSON error answer of status: the one shape, with the
        request id of the X-Request-Id header."""
        self.assertEqual(r.status, status, r.body[:300])
        self.assertEqual(r.ctype, "application/json", r.header("Content-Type"))
        doc = r.json()
        self.assertEqual(set(doc), {"error"})
        e = doc["error"]
        self.assertEqual(set(e), ERROR_KEYS)
        self.assertEqual(e["code"], code)
        self.assertIsInstance(e["message"], str)
        self.assertTrue(e["message"])
        self.assertEqual(e["field"], field)
        self.assertEqual(e["request_id"], r.header("X-Request-Id"))
        self.assertEqual(r.header("Cache-Control"), "no-store")
        return e

    def story_body(self, title):
        return {"title": title, "markdown": "Written by the guard tests."}


class ApiErrorsAreJson(GuardCase):
    """What the server itself decides, under /api/."""

    def test_unknown_path_is_json_404(self):
        r = self.get(API + "/nope")
        self.assertError(r, 404, "not_found")
        self.assertTrue(re.fullmatch(r"[0-9a-f]{16}",
                                     r.header("X-Request-Id")))

    def test_unknown_path_outside_v1_is_json_404(self):
        r = self.get("/api/nothing-here")
        self.assertError(r, 404, "not_found")

    def test_wrong_method_is_json_405_with_allow(self):
        r = self.api("PUT", "/articles", {"title": "x"},
                     headers=self.bearer("editor"))
        self.assertError(r, 405, "method_not_allowed")
        allow = {m.strip() for m in r.header("Allow", "").split(",")}
        self.assertEqual(allow, {"GET", "HEAD", "POST"})

    def test_long_url_is_json_414(self):
        r = self.get(API + "/articles?q=" + "a" * 9216)
        self.assertError(r, 414, "uri_too_long")

    def test_long_preflight_is_json_414(self):
        r = self.request("OPTIONS", API + "/articles?q=" + "a" * 9216,
                         {"Origin": "https://elsewhere.example"})
        self.assertError(r, 414, "uri_too_long")

    def test_bad_path_is_json_400(self):
        for target in (API + "/articles/%00", API + "/%2e%2e/articles",
                       API + "/articles/%ff"):
            r = self.get(target)
            self.assertError(r, 400, "bad_request")

    def test_body_over_the_limit_is_json_413(self):
        raw = self.gz.raw(
            b"POST /api/v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + self.tokens["editor"].encode() +
            b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\nConnection: close\r\n\r\n",
            wait_close=True)
        self.assertEqual(raw.status, 413, raw.raw[:300])
        self.assertEqual(raw.header("Content-Type"), "application/json")
        e = json.loads(raw.body)["error"]
        self.assertEqual(e["code"], "payload_too_large")
        self.assertEqual(e["request_id"], raw.header("X-Request-Id"))

    def test_html_pages_keep_html_errors(self):
        r = self.get("/no-such-page")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.ctype, "text/html")
        r = self.request("PUT", "/")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.ctype, "text/html")
        self.assertEqual(r.header("Allow"), "GET, HEAD")


class ApiCredentials(GuardCase):

    def test_write_without_credentials_is_401(self):
        r = self.api("POST", "/articles", self.story_body("No credentials"))
        self.assertError(r, 401, "unauthorized")
        self.assertEqual(r.header("WWW-Authenticate"), "Bearer")

    def test_bogus_token_is_401_invalid_token(self):
        r = self.api("POST", "/articles", self.story_body("Bogus token"),
                     headers={"Authorization": "Bearer " + BOGUS})
        self.assertError(r, 401, "unauthorized")
        self.assertEqual(r.header("WWW-Authenticate"),
                         'Bearer error="invalid_token"')

    def test_bogus_token_on_a_public_read_is_401(self):
        r = self.api("GET", "/articles",
                     headers={"Authorization": "Bearer " + BOGUS})
        self.assertError(r, 401, "unauthorized")
        self.assertEqual(r.header("WWW-Authenticate"),
                         'Bearer error="invalid_token"')

    def test_empty_bearer_is_401(self):
        r = self.api("GET", "/articles", headers={"Authorization": "Bearer "})
        self.assertError(r, 401, "unauthorized")

    def test_other_scheme_is_401(self):
        r = self.api("GET", "/articles",
                     headers={"Authorization": "Basic YWRhOnNlY3JldA=="})
        self.assertError(r, 401, "unauthorized")
        self.assertEqual(r.header("WWW-Authenticate"), "Bearer")

    def test_role_too_low_is_403(self):
        r = self.api("GET", "/comments", headers=self.bearer("author"))
        self.assertError(r, 403, "forbidden")

    def test_role_too_low_write_is_403(self):
        r = self.api("DELETE", "/subscribers/1",
                     headers=self.bearer("author"))
        self.assertError(r, 403, "forbidden")

    def test_editor_token_reads_the_moderation_queue(self):
        r = self.api("GET", "/comments", headers=self.bearer("editor"))
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.ctype, "application/json")
        # SECURITY: an answer given with credentials is never stored.
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertIsNone(r.header("ETag"))

    def test_token_use_is_recorded(self):
        p = self.gz.cli_ok("token", "create", "--name", "touch-probe",
                           "--user", "editor@example.org")
        tok = p.stdout.strip()
        con = sqlite3.connect(self.gz.db, timeout=10)
        try:
            before = con.execute("SELECT last_used_at FROM api_tokens "
                                 "WHERE name = 'touch-probe'").fetchone()[0]
        finally:
            con.close()
        self.assertIsNone(before)
        r = self.api("GET", "/articles",
                     headers={"Authorization": "Bearer " + tok})
        self.assertEqual(r.status, 200, r.body[:300])
        con = sqlite3.connect(self.gz.db, timeout=10)
        try:
            after = con.execute("SELECT last_used_at FROM api_tokens "
                                "WHERE name = 'touch-probe'").fetchone()[0]
        finally:
            con.close()
        self.assertIsNotNone(after)
        self.assertLessEqual(abs(after - time.time()), 120)

    def test_revoked_token_is_401(self):
        p = self.gz.cli_ok("token", "create", "--name", "revoke-probe",
                           "--user", "editor@example.org")
        tok = p.stdout.strip()
        h = {"Authorization": "Bearer " + tok}
        self.assertEqual(self.api("GET", "/comments", headers=h).status, 200)
        con = sqlite3.connect(self.gz.db, timeout=10)
        try:
            tid = con.execute("SELECT id FROM api_tokens WHERE name = "
                              "'revoke-probe'").fetchone()[0]
        finally:
            con.close()
        self.gz.cli_ok("token", "revoke", str(tid))
        r = self.api("GET", "/comments", headers=h)
        self.assertError(r, 401, "unauthorized")
        self.assertEqual(r.header("WWW-Authenticate"),
                         'Bearer error="invalid_token"')

    def test_token_write_passes_the_guard(self):
        r = self.api("POST", "/articles", self.story_body("Token write"),
                     headers=self.bearer("editor"))
        self.assertEqual(r.status, 201, r.body[:300])
        self.assertEqual(r.header("Cache-Control"), "no-store")

    def test_token_skips_the_same_origin_check(self):
        h = self.bearer("editor")
        h.update({"Origin": "https://elsewhere.example",
                  "Sec-Fetch-Site": "cross-site"})
        r = self.api("POST", "/articles", self.story_body("Foreign token"),
                     headers=h)
        self.assertEqual(r.status, 201, r.body[:300])
        # No CORS header for a write from an origin not listed.
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))

    def test_anonymous_cross_origin_write_is_403(self):
        r = self.api("POST", "/subscribers", {"email": "x@example.com"},
                     headers={"Origin": "https://elsewhere.example"})
        self.assertError(r, 403, "forbidden")


class ApiContentType(GuardCase):

    def test_text_plain_is_415(self):
        r = self.api("POST", "/articles", b"title=hello",
                     headers=self.bearer("editor"), ctype="text/plain")
        self.assertError(r, 415, "unsupported_media_type")

    def test_form_body_is_415(self):
        r = self.api("POST", "/articles", b"title=hello",
                     headers=self.bearer("editor"),
                     ctype="application/x-www-form-urlencoded")
        self.assertError(r, 415, "unsupported_media_type")

    def test_missing_content_type_with_a_body_is_415(self):
        r = self.api("POST", "/articles", b'{"title": "no type"}',
                     headers=self.bearer("editor"))
        self.assertError(r, 415, "unsupported_media_type")

    def test_json_lookalike_is_415(self):
        r = self.api("POST", "/articles", b'{"title": "x"}',
                     headers=self.bearer("editor"),
                     ctype="application/jsonp")
        self.assertError(r, 415, "unsupported_media_type")

    def test_json_with_charset_passes(self):
        r = self.api("POST", "/articles",
                     json.dumps(self.story_body("Charset probe")).encode(),
                     headers=self.bearer("editor"),
                     ctype="application/json; charset=utf-8")
        self.assertEqual(r.status, 201, r.body[:300])

    def test_upload_that_is_not_multipart_is_415(self):
        r = self.api("POST", "/media", png(), headers=self.bearer("editor"),
                     ctype="image/png")
        self.assertError(r, 415, "unsupported_media_type")

    def test_upload_as_multipart_passes(self):
        body, ctype = multipart([], [("file", "guard.png", png(7, 5),
                                      "image/png")])
        r = self.api("POST", "/media", body, headers=self.bearer("editor"),
                     ctype=ctype)
        self.assertEqual(r.status, 201, r.body[:300])

    def test_png_with_huge_dimensions_is_read_without_overflow(self):
        # A header claiming 2^31+1 x 2^32-1 pixels: read as unsigned and
        # clamped (once a signed shift overflow, undefined behaviour).
        def chunk(kind, data):
            c = struct.pack(">I", len(data)) + kind + data
            return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
        data = (b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", 0x80000001,
                                           0xFFFFFFFF, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(b"\x00\x01\x02\x03")) +
                chunk(b"IEND", b""))
        body, ctype = multipart([], [("file", "huge.png", data, "image/png")])
        r = self.api("POST", "/media", body, headers=self.bearer("editor"),
                     ctype=ctype)
        self.assertEqual(r.status, 201, r.body[:300])
        m = r.json()["media"][0]
        self.assertEqual((m["width"], m["height"]), (2147483647, 2147483647))


class ApiSession(GuardCase):
    """The newsroom's session cookie on the API."""

    def session(self):
        c = self.editor()
        c.token()   # a newsroom page gives the session's CSRF token
        return c

    def send(self, c, method, path, body, extra=None, origin=True):
        h = {"Content-Type": "application/json"}
        h.update(extra or {})
        return self.request(method, API + path,
                            c.headers(h, origin=origin),
                            json.dumps(body).encode(),
                            source=harness.new_client_address())

    def test_session_read_needs_no_csrf(self):
        c = self.session()
        r = self.request("GET", API + "/comments", c.headers(origin=False))
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.header("Cache-Control"), "no-store")

    def test_session_write_without_csrf_header_is_403(self):
        c = self.session()
        r = self.send(c, "POST", "/articles",
                      self.story_body("Session without CSRF"))
        e = self.assertError(r, 403, "forbidden")
        self.assertIn("X-CSRF-Token", e["message"])

    def test_session_write_with_wrong_csrf_header_is_403(self):
        c = self.session()
        r = self.send(c, "POST", "/articles",
                      self.story_body("Session wrong CSRF"),
                      {"X-CSRF-Token": "0" * 64})
        self.assertError(r, 403, "forbidden")

    def test_session_write_with_csrf_header_passes(self):
        c = self.session()
        r = self.send(c, "POST", "/articles",
                      self.story_body("Session with CSRF"),
                      {"X-CSRF-Token": c.token()})
        self.assertEqual(r.status, 201, r.body[:300])

    def test_session_write_from_another_site_is_403(self):
        c = self.session()
        r = self.send(c, "POST", "/articles",
                      self.story_body("Session cross-site"),
                      {"X-CSRF-Token": c.token(),
                       "Origin": "https://elsewhere.example"},
                      origin=False)
        self.assertError(r, 403, "forbidden")

    def test_session_on_a_public_write_needs_csrf_too(self):
        c = self.session()
        r = self.send(c, "POST", "/subscribers",
                      {"email": "session.reader@example.com"})
        self.assertError(r, 403, "forbidden")

    def test_session_role_too_low_is_403(self):
        c = self.author()
        r = self.request("GET", API + "/subscribers",
                         c.headers(origin=False))
        self.assertError(r, 403, "forbidden")


class ApiCors(GuardCase):
    """No origins configured: public reads for everyone, preflights that
    allow reads only."""

    def test_get_allows_any_origin(self):
        r = self.get(API + "/articles",
                     {"Origin": "https://elsewhere.example"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")

    def test_head_allows_any_origin(self):
        r = self.head(API + "/tags")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")

    def test_get_errors_allow_any_origin(self):
        r = self.get(API + "/nope")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")

    def test_pages_have_no_cors(self):
        r = self.get("/", {"Origin": "https://elsewhere.example"})
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))

    def test_write_has_no_cors(self):
        r = self.api("POST", "/articles", self.story_body("No CORS"),
                     headers=self.bearer("editor"))
        self.assertEqual(r.status, 201, r.body[:300])
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))

    def check_preflight(self, path):
        r = self.request("OPTIONS", API + path, {
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(r.status, 204, r.body[:300])
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")
        self.assertEqual(r.header("Access-Control-Allow-Methods"),
                         "GET, HEAD, OPTIONS")
        self.assertEqual(r.header("Access-Control-Allow-Headers"),
                         "Content-Type")
        self.assertEqual(r.header("Access-Control-Max-Age"), "86400")

    def test_preflight_of_a_route(self):
        self.check_preflight("/articles")

    def test_preflight_of_any_v1_path(self):
        self.check_preflight("/no/such/thing")

    def test_options_outside_the_api_is_not_a_preflight(self):
        r = self.request("OPTIONS", "/")
        self.assertEqual(r.status, 405)
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))


class ApiCorsOrigins(GuardCase):
    """api.cors_origins lists the origins whose pages may write."""

    APP = "https://app.example.org"
    ENV = {"GAZETTE_API_CORS_ORIGINS":
           "https://app.example.org, http://localhost:5173"}

    def test_preflight_from_a_listed_origin(self):
        r = self.request("OPTIONS", API + "/articles", {
            "Origin": self.APP, "Access-Control-Request-Method": "PATCH"})
        self.assertEqual(r.status, 204, r.body[:300])
        self.assertEqual(r.header("Access-Control-Allow-Origin"), self.APP)
        methods = {m.strip() for m in
                   r.header("Access-Control-Allow-Methods").split(",")}
        self.assertEqual(methods, {"GET", "HEAD", "OPTIONS", "POST", "PATCH",
                                   "DELETE"})
        headers = {h.strip().lower() for h in
                   r.header("Access-Control-Allow-Headers").split(",")}
        self.assertEqual(headers, {"authorization", "content-type",
                                   "x-csrf-token"})
        self.assertEqual(r.header("Access-Control-Max-Age"), "86400")
        self.assertIn("Origin", r.header("Vary", ""))

    def test_second_listed_origin(self):
        r = self.request("OPTIONS", API + "/articles/1", {
            "Origin": "http://localhost:5173"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Access-Control-Allow-Origin"),
                         "http://localhost:5173")

    def test_preflight_from_another_origin_allows_reads_only(self):
        r = self.request("OPTIONS", API + "/articles", {
            "Origin": "https://app.example.org.evil.example"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")
        self.assertEqual(r.header("Access-Control-Allow-Methods"),
                         "GET, HEAD, OPTIONS")

    def test_write_from_a_listed_origin(self):
        h = self.bearer("editor")
        h["Origin"] = self.APP
        r = self.api("POST", "/articles", self.story_body("Listed origin"),
                     headers=h)
        self.assertEqual(r.status, 201, r.body[:300])
        self.assertEqual(r.header("Access-Control-Allow-Origin"), self.APP)
        self.assertIn("Origin", r.header("Vary", ""))

    def test_write_from_another_origin_has_no_cors(self):
        h = self.bearer("editor")
        h["Origin"] = "https://elsewhere.example"
        r = self.api("POST", "/articles", self.story_body("Unlisted origin"),
                     headers=h)
        self.assertEqual(r.status, 201, r.body[:300])
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))

    def test_read_from_a_listed_origin(self):
        r = self.get(API + "/tags", {"Origin": self.APP})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), self.APP)
        self.assertIn("Origin", r.header("Vary", ""))

    def test_read_from_another_origin(self):
        r = self.get(API + "/tags", {"Origin": "https://elsewhere.example"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")
        self.assertIn("Origin", r.header("Vary", ""))


class BadCorsOriginsConfig(harness.ServerTestCase):
    """A listed origin that is not scheme://host stops start-up."""

    @classmethod
    def setUpClass(cls):
        cls.gz = harness.Gazette()
        cls.gz.prepare()

    @classmethod
    def tearDownClass(cls):
        cls.gz.cleanup()

    def test_origin_without_scheme_is_refused(self):
        p = self.gz.cli("--port", "0", "serve", env={
            "GAZETTE_API_CORS_ORIGINS": "https://ok.example, app.example.org"},
            timeout=20)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("api.cors_origins", p.stderr)
        self.assertIn("app.example.org", p.stderr)


class MetricsOutbox(harness.ServerTestCase):
    """/metrics reports the outbox's depth by status."""

    STATUSES = ("queued", "sending", "sent", "failed")

    def add_rows(self):
        now = int(time.time())
        con = sqlite3.connect(self.gz.db, timeout=10)
        try:
            # queued rows wait far in the future, so the sender leaves them.
            rows = [("queued", 3), ("sent", 2), ("failed", 1)]
            for status, n in rows:
                for i in range(n):
                    con.execute(
                        "INSERT INTO outbox (kind, recipient, subject, "
                        "body_text, status, next_try_at, created_at) "
                        "VALUES ('test', ?, 'metrics probe', 'x', ?, ?, ?)",
                        ("m%d-%s@example.com" % (i, status), status,
                         now + 10 * 86400, now))
            con.commit()
        finally:
            con.close()

    def db_counts(self):
        con = sqlite3.connect(self.gz.db, timeout=10)
        try:
            got = dict(con.execute(
                "SELECT status, count(*) FROM outbox GROUP BY status"))
        finally:
            con.close()
        return {s: got.get(s, 0) for s in self.STATUSES}

    def metric_counts(self):
        r = self.get("/metrics")
        self.assertEqual(r.status, 200)
        text = r.text
        self.assertIn("# TYPE gazette_outbox_messages gauge\n", text)
        out = {}
        for s in self.STATUSES:
            m = re.search(r'^gazette_outbox_messages\{status="%s"\} (\d+)$'
                          % s, text, re.M)
            self.assertIsNotNone(m, "no gazette_outbox_messages{status=%r}"
                                 % s)
            out[s] = int(m.group(1))
        return out

    def test_outbox_gauges(self):
        self.add_rows()
        want = self.db_counts()
        self.assertGreaterEqual(want["queued"], 3)
        self.assertGreaterEqual(want["sent"], 2)
        self.assertGreaterEqual(want["failed"], 1)
        self.assertEqual(self.metric_counts(), want)
