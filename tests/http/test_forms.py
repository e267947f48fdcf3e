"""The readers' form and token routes of SPEC section 2 (comments,
subscribe, confirm, unsubscribe) and /media/, at the HTTP level: status,
answer shape, errors beside the fields, no address enumeration, rate
limits, cross-site refusal, never a 500.

Each post comes from its own loopback address (127.0.x.y), so the
per-client rate limits of SPEC sections 4 and 5 do not leak between
tests; test_rate_limit checks those limits on purpose."""
import json
import urllib.parse

import harness
from harness import new_client_address

STORY = "harbour-night-market-returns"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = dict(FORM, Accept="application/json")


def form(**fields):
    return urllib.parse.urlencode(fields).encode()


class FormCase(harness.ServerTestCase):
    FIXTURES = ("extra.json",)

    def post(self, path, fields, headers=FORM, source=None):
        return self.request("POST", path, headers=headers, body=form(**fields),
                            source=source or new_client_address())


class CrossSite(FormCase):

    def test_cross_site_posts_are_refused(self):
        for path in ("/subscribe", "/articles/%s/comments" % STORY,
                     "/unsubscribe?token=x", "/subscribe/confirm?token=x"):
            for headers in ({"Origin": "https://evil.example"},
                            {"Sec-Fetch-Site": "cross-site"},
                            {"Origin": "null"}):
                r = self.post(path, {"email": "victim@example.org",
                                     "name": "x", "body": "x"},
                              headers=dict(FORM, **headers))
                self.assertEqual(r.status, 403, "%s with %s" % (path,
                                                                headers))
        # The same form from this site is not refused for its origin: the
        # sign-up goes through (200, the "subscribed" page).
        r = self.post("/subscribe", {"email": "same-site@example.org"},
                      headers=dict(FORM, Origin=self.gz.base))
        self.assertEqual(r.status, 200, r.body[:300])

    def test_media(self):
        # A name the media table does not list is a 404; a path with a dot
        # segment (decoded or not) is refused by src/http/request.c before
        # any route sees it: 400.
        for path, status in (("/media/", 404),
                             ("/media/nope.png", 404),
                             ("/media/../meson.build", 400),
                             ("/media/%2e%2e/gazette.db", 400),
                             ("/media/.upload-x", 404)):
            r = self.get(path)
            self.assertEqual(r.status, status, path)
            self.assertNotIn(b"SQLite format", r.body)


class Comments(FormCase):
    PATH = "/articles/%s/comments" % STORY

    def test_post_without_js_redirects_to_the_story(self):
        r = self.post(self.PATH, {"name": "Form Reader",
                                  "email": "reader@example.org",
                                  "body": "A comment from a browser "
                                          "without JS."})
        self.assertEqual(r.status, 303, r.body[:300])
        loc = urllib.parse.urlsplit(r.header("Location") or "")
        self.assertEqual(loc.path, "/articles/" + STORY)
        page = self.get("/articles/" + STORY)
        self.assertAbsent("reader@example.org", page.text,
                          "the commenter's email is shown")

    def test_post_json(self):
        r = self.post(self.PATH, {"name": "Json Reader",
                                  "email": "json@example.org",
                                  "body": "Posted as JSON."}, headers=JSON)
        # SPEC section 4: 202 when held. The demo's policy holds a
        # first-time commenter, and this one is new.
        self.assertEqual(r.status, 202, r.body[:300])
        self.assertEqual(r.ctype, "application/json")
        body = r.json()
        self.assertIsInstance(body, dict)
        self.assertNotIn("json@example.org", r.text,
                         "the answer echoes the email")

    def test_invalid_fields(self):
        for fields, field in (({"name": "", "body": "x"}, "name"),
                              ({"name": "n" * 81, "body": "x"}, "name"),
                              ({"name": "Ann", "body": ""}, "body"),
                              ({"name": "Ann", "body": "b" * 5001}, "body"),
                              ({"name": "Ann", "body": "x",
                                "email": "not-an-email"}, "email")):
            r = self.post(self.PATH, fields, headers=JSON)
            self.assertEqual(r.status, 422, "%s: %s" % (fields, r.text))
            self.assertEqual(r.json().get("error", {}).get("field"), field,
                             r.text)
            # Without JS: the story again, the error beside the field, the
            # input kept, never a 500.
            r = self.post(self.PATH, fields)
            self.assertEqual(r.status, 422, fields)
            self.assertEqual(r.ctype, "text/html")
            doc = harness.parse_html(r.text)
            invalid = [e for e in doc.elements
                       if e.get("aria-invalid") == "true"]
            self.assertTrue(invalid, "no field marked invalid for %s"
                            % field)
            if fields["name"] and len(fields["name"]) <= 80:
                names = [e.get("value") for e in doc.find_all("input")
                         if e.get("name") == "name"]
                self.assertIn(fields["name"], names, "typed name lost")

    def test_unknown_or_closed_story(self):
        for slug in ("no-such-story", "draft-story-never-shown"):
            r = self.post("/articles/%s/comments" % slug,
                          {"name": "Ann", "body": "x"}, headers=JSON)
            self.assertEqual(r.status, 404, slug)
        r = self.post("/articles/quiet-story-comments-closed/comments",
                      {"name": "Ann", "body": "x"}, headers=JSON)
        self.assertEqual(r.status, 403)

    def test_rate_limit(self):
        me = new_client_address()
        statuses = []
        for i in range(8):
            r = self.post(self.PATH, {"name": "Fast %d" % i, "body": "x"},
                          headers=JSON, source=me)
            statuses.append(r.status)
            if r.status == 429:
                self.assertTrue((r.header("Retry-After") or "").isdigit())
                break
        self.assertEqual(statuses[-1], 429, "no rate limit: %s" % statuses)
        self.assertGreaterEqual(len(statuses), 3, statuses)
        # Another reader is not affected (held: a first-time commenter).
        r = self.post(self.PATH, {"name": "Slow", "body": "x"}, headers=JSON)
        self.assertEqual(r.status, 202, r.body[:300])


class Subscribe(FormCase):

    def test_subscribe_json_and_form(self):
        # The site's own JSON answer is a 200 {"ok": true, ...} (the API's
        # POST /api/v1/subscribers is the one that answers 202); without
        # JS the answer is the "subscribed" page itself, not a redirect.
        r = self.post("/subscribe", {"email": "new-reader@example.org"},
                      headers=JSON)
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.ctype, "application/json")
        r = self.post("/subscribe", {"email": "form-reader@example.org"})
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.ctype, "text/html")

    def test_no_address_enumeration(self):
        first = self.post("/subscribe", {"email": "twice@example.org"},
                          headers=JSON)
        second = self.post("/subscribe", {"email": "twice@example.org"},
                           headers=JSON)
        other = self.post("/subscribe", {"email": "once@example.org"},
                          headers=JSON)
        self.assertEqual(second.status, first.status)
        self.assertEqual(second.status, other.status)
        self.assertEqual(second.body, other.body,
                         "a known address gets another answer than a new one")

    def test_invalid_email(self):
        for email in ("", "no-at-sign", "a@" + "b" * 260 + ".org",
                      "<script>@x.org"):
            r = self.post("/subscribe", {"email": email}, headers=JSON)
            self.assertEqual(r.status, 422, email)
            self.assertEqual(r.json().get("error", {}).get("field"), "email")
            self.assertAbsent("<script>", r.text)

    def test_tokens(self):
        # A link opened by a mail scanner confirms nothing: GET is a page;
        # bad tokens are refused politely, never with a 500. A missing or
        # unknown token is one case for src/site/subscribe.c (token_param:
        # NULL when missing or malformed): "this link does not work", 404,
        # for the page (GET) and the action (POST) alike.
        for path in ("/subscribe/confirm?token=bogus", "/subscribe/confirm",
                     "/unsubscribe?token=bogus", "/unsubscribe"):
            r = self.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.ctype, "text/html", path)
            r = self.request("POST", path, headers=FORM,
                             body=b"List-Unsubscribe=One-Click",
                             source=new_client_address())
            self.assertEqual(r.status, 404, path)
