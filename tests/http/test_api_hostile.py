"""The JSON API against hostile input (docs/API.md "Errors"): malformed
JSON (400 invalid_json with line and column), deep nesting, huge strings
and numbers, invalid UTF-8, duplicate keys, null and arrays where objects
belong, wrong Content-Types, odd paths, query strings and credentials.
Never a 500, never a crash: after every test GET /healthz answers 200.
"""
import json
import re
import socket
import time
import urllib.parse

import harness
from test_admin_support import multipart, png
from test_api_read import API, JSON, ApiCase

OTTERS = "otters-return-to-alder-river"
FORM_LIMIT = 1 << 20   # server.max_form_bytes: "largest form or JSON body"
# Story writes take a larger body, so that a story of 1 MiB of Markdown
# (the form's limit) fits even when JSON escaping makes it longer: the
# route table gives POST/PATCH /api/v1/articles 3 MiB.
STORY_LIMIT = 3 << 20


class ApiHostile(ApiCase):

    def setUp(self):
        super().setUp()
        self.log_mark = len(self.gz.access_lines())

    def tearDown(self):
        # Whatever a test sent, the server is still up and answering, and
        # it answered no request with a 5xx.
        try:
            self.assertTrue(self.gz.running, "gazette exited: %s" %
                            self.gz.stderr_text()[-1500:])
            r = self.get("/healthz")
            self.assertEqual(r.status, 200, "GET /healthz after %s: %d" % (
                self.id(), r.status))
            for _ in range(50):   # the log line follows the answer
                if any(x.startswith("GET /healthz ") for x in
                       self.gz.access_lines()[self.log_mark:]):
                    break
                time.sleep(0.02)
            bad = [x for x in self.gz.access_lines()[self.log_mark:]
                   if re.match(r"^\S+ \S+ 5\d\d ", x)]
            self.assertEqual(bad, [], "5xx answers during " + self.id())
        finally:
            super().tearDown()

    # -- helpers --

    def post_story(self, body, ctype=JSON, token=True, method="POST",
                   path="/articles"):
        return self.api(method, path, body,
                        token=self.token("editor") if token else None,
                        ctype=ctype)

    def invalid_json(self, r):
        e = self.expect_error(r, 400, "invalid_json")
        return e

    def send_big(self, method, path, headers, body, timeout=30):
        """Sends a large body the way a robust client does (keeps going
        until the server stops reading, then reads its answer); returns
        (status, headers, body bytes)."""
        s = socket.create_connection(("127.0.0.1", self.gz.port),
                                     timeout=timeout)
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % (
            method, path)
        for k, v in headers.items():
            head += "%s: %s\r\n" % (k, v)
        head += "Content-Length: %d\r\n\r\n" % len(body)
        out = b""
        try:
            try:
                s.sendall(head.encode("latin-1"))
                for i in range(0, len(body), 65536):
                    s.sendall(body[i:i + 65536])
            except (BrokenPipeError, ConnectionResetError):
                pass
            while True:
                try:
                    d = s.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not d:
                    break
                out += d
        finally:
            s.close()
        r = harness.RawResponse(out)
        return r

    # -- malformed JSON -------------------------------------------------------

    def test_malformed_json_names_line_and_column(self):
        body = '{"title": "Harbour",\n  "markdown": }'
        e = self.invalid_json(self.post_story(body))
        msg = e["message"].lower()
        self.assertRegex(msg, r"line\D{0,3}2\b", e["message"])
        self.assertRegex(msg, r"col(umn)?\D{0,3}\d+", e["message"])
        self.assertIsNone(e["field"])

    def test_not_json_at_all(self):
        for body in ('{"title": "x"', "title=x&markdown=y", "{'title': 'x'}",
                     '{"title": "x",}', "", " ", "{", '{"title" "x"}',
                     '{"title": "x"} trailing', "NaN", '{"title": tru}',
                     '{"title": "\\x41"}', '{"title": "tab\tinside"}'):
            with self.subTest(body=body[:30]):
                self.invalid_json(self.post_story(body))

    def test_invalid_utf8_in_a_string(self):
        for raw in (b'{"title": "caf\xe9", "markdown": "x"}',
                    b'{"title": "\xc0\xaf", "markdown": "x"}',
                    b'{"title": "\xed\xa0\x80", "markdown": "x"}',
                    b'{"title": "ok", "markdown": "\xff\xfe"}',
                    b'{"title": "\xf4\x90\x80\x80", "markdown": "x"}'):
            with self.subTest(raw=raw):
                self.invalid_json(self.post_story(raw))

    # RFC 8259 section 9 lets a parser limit what strings and numbers it
    # takes; ours (jansson) refuses a lone surrogate, \u0000, numbers out
    # of range and nesting past 2048, and says where: 400 invalid_json.

    def test_lone_surrogate_escape(self):
        r = self.post_story('{"title": "\\ud800 lone", "markdown": "x"}')
        self.invalid_json(r)

    def test_nul_escape_in_a_string(self):
        r = self.post_story('{"title": "nul\\u0000here", "markdown": "x"}')
        self.invalid_json(r)

    def test_deep_nesting(self):
        # Unclosed: not JSON.
        self.invalid_json(self.post_story("[" * 100000))
        self.invalid_json(self.post_story('{"title": ' + "[" * 100000))
        self.invalid_json(self.post_story("{" * 100000))
        # Closed, but deeper than any sane document: refused by the
        # parser's depth limit, no crash.
        self.invalid_json(self.post_story("[" * 100000 + "]" * 100000))
        self.invalid_json(self.post_story(
            '{"title": "x", "markdown": "y", "tags": ' + "[" * 50000 +
            "]" * 50000 + "}"))

    def test_not_an_object(self):
        # JSON, but not the object (or {"articles": [object]}) a write takes.
        for body in ("null", "[]", '[{"title": "x", "markdown": "y"}]', "5",
                     '"a string"', "true", '{"articles": []}',
                     '{"articles": [1]}', '{"articles": {"title": "x"}}',
                     '{"articles": [{"title": "a"}, {"title": "b"}]}'):
            with self.subTest(body=body):
                r = self.post_story(body)
                self.expect_error(r, 422, "validation_failed")

    def test_null_feature_image_is_no_image(self):
        s = self.one(self.post_story({"title": "Null image", "markdown": "x",
                                      "feature_image": None}), "articles", 201)
        self.assertIsNone(s["feature_image"])

    # -- size -----------------------------------------------------------------

    def big(self, path, body, token=True):
        h = {"Content-Type": JSON}
        if token:
            h["Authorization"] = "Bearer " + self.token("editor")
        r = self.send_big("POST", API + path, h, body)
        self.assertIsNotNone(r.status, repr(r))
        self.assertEqual((r.header("content-type") or "").split(";")[0],
                         JSON, repr(r))
        return r, json.loads(r.body.decode("utf-8"))

    def test_title_of_a_mebibyte_is_a_422(self):
        # Over the form limit, under the story limit: the title's rule.
        body = json.dumps({"title": "x" * FORM_LIMIT,
                           "markdown": "y"}).encode()
        self.assertGreater(len(body), FORM_LIMIT)
        r, j = self.big("/articles", body)
        self.assertEqual(r.status, 422, repr(r))
        self.assertEqual(j["error"]["code"], "validation_failed")
        self.assertEqual(j["error"]["field"], "title")

    def test_story_body_over_its_limit_is_413(self):
        body = json.dumps({"title": "Too big", "markdown": "y" * (
            STORY_LIMIT + 65536)}).encode()
        r, j = self.big("/articles", body)
        self.assertEqual(r.status, 413, repr(r))
        self.assertEqual(j["error"]["code"], "payload_too_large")

    def test_comment_and_subscriber_bodies_over_the_form_limit_are_413(self):
        for path, body in (
                ("/articles/%s/comments" % OTTERS,
                 {"name": "Big", "body": "b" * FORM_LIMIT}),
                ("/subscribers", {"email": "big@example.com",
                                  "name": "n" * FORM_LIMIT})):
            with self.subTest(path=path):
                r, j = self.big(path, json.dumps(body).encode(), token=False)
                self.assertEqual(r.status, 413, repr(r))
                self.assertEqual(j["error"]["code"], "payload_too_large")

    def test_long_title_under_the_body_limit_is_422(self):
        for n in (301, 100000, FORM_LIMIT - 4096):
            with self.subTest(n=n):
                r = self.post_story({"title": "x" * n, "markdown": "y"})
                self.expect_error(r, 422, "validation_failed", "title")

    def test_markdown_near_a_mebibyte_is_taken(self):
        # Markdown may be up to 1 MiB (docs/NEWSROOM.md); a body just under
        # the body limit is taken.
        md = "word " * ((FORM_LIMIT - 4096) // 5)
        s = self.one(self.post_story({"title": "Big body", "markdown": md}),
                     "articles", 201)
        back = self.one(self.get_api("/articles/" + s["slug"],
                                     token=self.token("editor")), "articles")
        self.assertEqual(back["markdown"].strip(), md.strip())

    def test_huge_numbers(self):
        for field, num in (("published_at", "1e999"),
                           ("published_at", "99999999999999999999"),
                           ("published_at", "-1e999"),
                           ("comments_open", "1e999"),
                           ("comments_open", "99999999999999999999"),
                           ("title", "1e309")):
            with self.subTest(field=field, num=num):
                # The field holds the number (never a second "title" key,
                # which would be refused as a duplicate instead).
                fields = {"title": '"Huge numbers"', "markdown": '"x"',
                          "status": '"draft"'}
                fields[field] = num
                body = "{%s}" % ", ".join('"%s": %s' % kv
                                          for kv in fields.items())
                r = self.post_story(body)
                # The parser refuses a number it cannot hold (integer past
                # 64 bits, real past a double): 400 invalid_json, before
                # any field is looked at.
                e = self.invalid_json(r)
                self.assertIn(num, e["message"], self.where(r))

    def test_duplicate_keys(self):
        # docs/API.md does not fix this. What the server does, and we keep:
        # a duplicate key makes the body invalid JSON (400, with where),
        # so neither "first wins" nor "last wins" can surprise a script.
        r = self.post_story('{"title": "First title", "title": "Last title",'
                            ' "markdown": "x"}')
        e = self.invalid_json(r)
        self.assertIn("line 1", e["message"])
        r = self.api("POST", "/articles/%s/comments" % OTTERS,
                     '{"name": "A", "body": "one", "body": "two"}',
                     source=harness.new_client_address())
        self.invalid_json(r)
        r = self.api("POST", "/subscribers", '{"email": "a@example.com", '
                     '"email": "b@example.com"}',
                     source=harness.new_client_address())
        self.invalid_json(r)
        sid = self.one(self.post_story({"title": "Dup patch",
                                        "markdown": "x"}), "articles",
                       201)["id"]
        r = self.post_story('{"title": "A", "title": "B"}', method="PATCH",
                            path="/articles/%d" % sid)
        self.invalid_json(r)

    # -- Content-Type ---------------------------------------------------------

    def test_wrong_content_type_is_415(self):
        body = '{"title": "Typed", "markdown": "x"}'
        for ctype in ("text/plain", "application/x-www-form-urlencoded",
                      "multipart/form-data; boundary=x", "application/xml",
                      "application/jsonx", "text/json", None):
            with self.subTest(ctype=ctype):
                r = self.api("POST", "/articles", body,
                             token=self.token("editor"), ctype=ctype)
                self.expect_error(r, 415, "unsupported_media_type")
                r = self.api("PATCH", "/articles/1", body,
                             token=self.token("editor"), ctype=ctype)
                self.expect_error(r, 415, "unsupported_media_type")
                r = self.api("POST", "/articles/%s/comments" % OTTERS,
                             '{"name": "A", "body": "b"}', ctype=ctype,
                             source=harness.new_client_address())
                self.expect_error(r, 415, "unsupported_media_type")
                r = self.api("POST", "/subscribers",
                             '{"email": "ct@example.com"}', ctype=ctype,
                             source=harness.new_client_address())
                self.expect_error(r, 415, "unsupported_media_type")

    def test_json_with_charset_is_fine(self):
        r = self.api("POST", "/articles",
                     {"title": "Charset", "markdown": "x"},
                     token=self.token("editor"),
                     ctype="application/json; charset=utf-8")
        self.one(r, "articles", 201)

    def test_upload_garbage(self):
        body, mp = multipart({}, [("file", "x.png", png() + b"\0" * 100,
                                   "image/png")])
        mangled = body.replace(b"\r\n\r\n", b"\r\n", 1)
        r = self.api("POST", "/media", mangled, token=self.token("editor"),
                     ctype=mp)
        self.expect_error(r, 400, "bad_request")
        # No boundary: the body cannot be split into parts any more than
        # the mangled one above; the same malformed-body answer, 400.
        r = self.api("POST", "/media", body, token=self.token("editor"),
                     ctype="multipart/form-data")   # no boundary
        self.assertEqual(
            r.status, 400,
            "SERVER BUG (src/http/request.c begin: when "
            "MHD_create_post_processor refuses a multipart type without "
            "boundary the fields just stay empty, and gz_api_media_upload "
            "answers 422 \"send the image as the multipart field file\" to "
            "a client that did): a multipart body that cannot be parsed is "
            "a 400 bad_request, as the mangled one is; got " + self.where(r))
        self.expect_error(r, 400, "bad_request")
        r = self.api("POST", "/media", b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
                     token=self.token("editor"), ctype="image/png")
        self.expect_error(r, 415, "unsupported_media_type")

    # -- comments and subscribers ---------------------------------------------

    def test_comment_bodies(self):
        # Not JSON: 400 invalid_json; JSON but not an object: 422.
        for body, status, code in (
                ('{"name": "A", "body": "b"', 400, "invalid_json"),
                ("[]", 422, "validation_failed"),
                ("null", 422, "validation_failed"),
                (b'{"name": "A", "body": "\xff"}', 400, "invalid_json"),
                ('{"name": "A", "body": ' + "[" * 100000, 400,
                 "invalid_json")):
            with self.subTest(body=body[:30]):
                r = self.api("POST", "/articles/%s/comments" % OTTERS, body,
                             source=harness.new_client_address())
                self.expect_error(r, status, code)
        r = self.api("POST", "/articles/%s/comments" % OTTERS,
                     '{"name": "A", "body": "b"', source=harness.
                     new_client_address())
        self.invalid_json(r)

    def test_moderation_and_subscriber_bodies(self):
        tok = self.token("editor")
        cid = self.all_items("/comments?status=all", "comments", token=tok)[0]
        for body, code in (('{"status": ', "invalid_json"),
                           ("null", "validation_failed"),
                           ('{"status": null}', "validation_failed"),
                           ('{"status": ["approved"]}', "validation_failed")):
            with self.subTest(body=body):
                r = self.api("PATCH", "/comments/%d" % cid["id"], body,
                             token=tok)
                self.expect_error(r, 400 if code == "invalid_json" else 422,
                                  code)
        r = self.api("POST", "/subscribers", '{"email": ',
                     source=harness.new_client_address())
        self.invalid_json(r)
        r = self.api("POST", "/subscribers", '{"email": {"$ne": ""}}',
                     source=harness.new_client_address())
        self.expect_error(r, 422, "validation_failed", "email")

    # -- paths, queries, credentials ------------------------------------------

    def test_odd_paths(self):
        # A path that does not decode to clean UTF-8 text or holds a dot
        # segment is refused before routing (src/http/request.c
        # decode_path): 400 bad_request. One that decodes but names nothing
        # ("<script>" is no slug, an empty segment no route) is a 404.
        for path, status in (("/articles/%00", 400),
                             ("/articles/..%2f..%2fetc%2fpasswd", 400),
                             ("/articles/%3Cscript%3E", 404),
                             ("/articles/" + "%ff" * 20, 400),
                             ("/tags/%00", 400), ("/authors/..", 400),
                             ("/articles/x/comments/%00", 400),
                             ("/articles//comments", 404),
                             ("/comments/%00", 400)):
            with self.subTest(path=path):
                r = self.get_api(path)
                self.expect_error(r, status, "bad_request" if status == 400
                                  else "not_found")
                self.assertNotIn("<script>", r.text)

    def test_odd_ids(self):
        tok = self.token("editor")
        for sid in ("abc", "-1", "0", "1.5", "99999999999999999999", "1e3",
                    "1%20OR%201=1", "0x1", "+1"):
            with self.subTest(id=sid):
                r = self.api("PATCH", "/articles/" + sid, {"title": "x"},
                             token=tok)
                self.expect_error(r, 404, "not_found")
                r = self.api("DELETE", "/comments/" + sid, token=tok)
                self.expect_error(r, 404, "not_found")
                r = self.api("DELETE", "/subscribers/" + sid, token=tok)
                self.expect_error(r, 404, "not_found")

    def test_search_syntax_is_not_an_error(self):
        # Words to search for: FTS operators and stray quotes are words.
        for q in ('"', "harbour OR", "AND", "*", "(", "NEAR(", "harbour\"",
                  "-", "^", "title:harbour", "\u00e9t\u00e9",
                  "'; DROP TABLE articles; --", "harbour*", ":", "{}",
                  "a" * 190, "harbour NOT", "OR OR OR", "\"\"\"",
                  "harbour -market", "col:x AND y"):
            with self.subTest(q=q[:20]):
                for path in ("/search", "/articles"):
                    r = self.get_api(path + "?q=" + urllib.parse.quote(q))
                    self.assertEqual(r.status, 200, self.where(r))
                    self.listing(r, "articles")
        # Very long: docs/API.md, q is at most 200 bytes (400 naming q).
        for path in ("/search", "/articles"):
            r = self.get_api(path + "?q=" + "a" * 2000)
            self.expect_error(r, 400, "bad_request", "q")
        self.assertEqual(self.get_api("/articles?limit=100").status, 200)

    def test_deep_filter(self):
        # Over 1000 bytes: refused for its length (docs/API.md); under it,
        # too deep or too wide for the NQL parser's limits (10 levels of
        # parentheses, 64 parts): refused saying where. 400 naming filter.
        for f, says in (("(" * 1000 + "tag:city" + ")" * 1000, "1000"),
                        ("tag:city" + ",tag:city" * 400, "1000"),
                        ("(" * 495 + "tag:city" + ")" * 495, "deeper"),
                        ("tag:city" + ",tag:city" * 110, "parts")):
            with self.subTest(filter=f[:20], length=len(f)):
                r = self.get_api("/articles?filter=" + urllib.parse.quote(f))
                e = self.expect_error(r, 400, "bad_request", "filter")
                self.assertIn(says, e["message"])

    def test_repeated_parameters(self):
        # The first value of a repeated parameter wins (src/http/request.c
        # collect_query), so neither the later 500 nor its 400 is seen...
        items, p = self.listing(self.get_api("/articles?limit=2&limit=500"),
                                "articles")
        self.assertEqual((len(items), p["limit"]), (2, 2))
        # ...and the other way round the first, out of range, is the 400.
        self.expect_error(self.get_api("/articles?limit=500&limit=2"), 400,
                          "bad_request", "limit")

    def test_long_url_is_414_json(self):
        r = self.get_api("/articles?q=" + "a" * 9000)
        self.expect_error(r, 414, "uri_too_long")

    def test_hostile_credentials(self):
        for auth in ("Bearer " + "A" * 8000, "Bearer \x01\x02",
                     "Bearer gzt_" + "g" * 64, "Bearer %s %s" % (
                         self.token("editor"), "extra"),
                     "Bearer " + self.token("editor")[:-1],
                     "Bearer " + self.token("editor") + "0",
                     "Bearer " + self.token("editor").upper(),
                     "Token " + self.token("editor")):
            with self.subTest(auth=auth[:30]):
                r = self.api("POST", "/articles", {"title": "Hostile auth",
                                                   "markdown": "x"},
                             headers={"Authorization": auth})
                self.expect_error(r, 401, "unauthorized")
        r = self.api("POST", "/articles", {"title": "Cookie junk",
                                           "markdown": "x"},
                     headers={"Cookie": "gz_session=" + "0" * 64,
                              "X-CSRF-Token": "0" * 64})
        self.expect_error(r, 401, "unauthorized")

    def test_many_bad_requests_in_a_row(self):
        for i in range(50):
            r = self.post_story('{"title": "%d",' % i)
            self.invalid_json(r)
        self.one(self.post_story({"title": "Still writing", "markdown": "x"}),
                 "articles", 201)
