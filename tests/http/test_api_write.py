"""The JSON API, writing (docs/API.md): tokens from the command line,
stories (create draft / published / scheduled, PATCH, DELETE, slugs,
validation, what an author may do), media uploads shown on the site,
comments (policies, validation, rate limit, moderation), subscribers,
the session cookie with X-CSRF-Token, and CORS on writes.
"""
import hashlib
import re
import time

import harness
from test_admin_support import multipart, png
from test_api_read import (JSON, MEDIA_KEYS, MODERATION_KEYS,
                           SUBSCRIBER_KEYS, TIME_RE, ApiCase, path_of)

OTTERS = "otters-return-to-alder-river"


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def epoch(s):
    import calendar
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


class ApiWriteBase(ApiCase):
    """Helpers shared by the write classes."""

    def create(self, body, who="editor", status=201, **kw):
        r = self.api("POST", "/articles", body, token=self.token(who), **kw)
        if status is None:
            return r
        return self.one(r, "articles", status)

    def read(self, slug, who="editor"):
        return self.one(self.get_api("/articles/" + slug,
                                     token=self.token(who)), "articles")

    def patch(self, sid, body, who="editor"):
        return self.api("PATCH", "/articles/%d" % sid, body,
                        token=self.token(who))

    def upload(self, data, filename="harbour.png", ctype="image/png",
               field="file", who="editor"):
        body, mp = multipart({}, [(field, filename, data, ctype)])
        return self.api("POST", "/media", body, token=self.token(who),
                        ctype=mp)

    def public_slugs(self):
        items = self.all_items("/articles", "articles")
        return [s["slug"] for s in items]

    def comment(self, slug, source=None, **fields):
        body = {"name": "Ann Reader", "email": "ann.reader@example.com",
                "body": "Good to see this."}
        body.update(fields)
        body = {k: v for k, v in body.items() if v is not None}
        return self.api("POST", "/articles/%s/comments" % slug, body,
                        source=source or harness.new_client_address())

    def public_comment_bodies(self, slug):
        items = self.all_items("/articles/%s/comments" % slug, "comments")
        return [c["body"] for c in items]

    def moderation(self, status="all", who="editor"):
        return self.all_items("/comments?status=" + status, "comments",
                              token=self.token(who))

    def subscribe(self, email, source=None, **more):
        body = {"email": email}
        body.update(more)
        return self.api("POST", "/subscribers", body,
                        source=source or harness.new_client_address())


class ApiWrite(ApiWriteBase):

    # -- tokens ---------------------------------------------------------------

    def test_token_cli_create_list_revoke(self):
        p = self.gz.cli("token", "create", "--name", "cli-check", "--user",
                        "editor@example.org")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 1, "the token alone: %r" % p.stdout)
        tok = lines[0].strip()
        self.assertRegex(tok, r"^\S{32,}$")
        # Stored as a SHA-256 hash, never as itself.
        rows = self.cls_sql("SELECT token_hash FROM api_tokens")
        hashes = {r[0] for r in rows}
        self.assertNotIn(tok, hashes)
        self.assertIn(hashlib.sha256(tok.encode()).hexdigest(), hashes)
        # It works.
        self.create({"title": "Made with a fresh token", "markdown": "x"},
                    headers={"Authorization": "Bearer " + tok})
        # The list: name, owner, last use; never the token.
        line = []
        for _ in range(20):   # the last use may be recorded just after
            p = self.gz.cli("token", "list")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn(tok, p.stdout)
            line = [x for x in p.stdout.splitlines() if "cli-check" in x]
            self.assertEqual(len(line), 1, p.stdout)
            if re.search(r"\d{4}-\d\d-\d\d", line[0]):
                break
            time.sleep(0.1)
        self.assertIn("editor@example.org", line[0])
        self.assertRegex(line[0], r"\d{4}-\d\d-\d\d", "the last use")
        tid = re.search(r"\d+", line[0]).group(0)
        p = self.gz.cli("token", "revoke", tid)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = self.api("POST", "/articles",
                     {"title": "Revoked", "markdown": "x"}, token=tok)
        self.expect_error(r, 401, "unauthorized")
        self.assertTrue(r.header("WWW-Authenticate", "").startswith("Bearer"))
        # Unknown id, unknown user: errors, nothing on stdout.
        p = self.gz.cli("token", "revoke", "999999")
        self.assertNotEqual(p.returncode, 0)
        p = self.gz.cli("token", "create", "--name", "x", "--user",
                        "nobody@example.org")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout.strip(), "")

    def test_writes_without_credentials_are_401(self):
        sid = self.create({"title": "Target of anonymous writes",
                           "markdown": "x"})["id"]
        body, mp = multipart({}, [("file", "a.png", png(), "image/png")])
        for method, path, b, ct in (
                ("POST", "/articles", {"title": "Anon", "markdown": "x"},
                 JSON),
                ("PATCH", "/articles/%d" % sid, {"title": "Anon"}, JSON),
                ("DELETE", "/articles/%d" % sid, None, None),
                ("POST", "/media", body, mp),
                ("GET", "/comments?status=pending", None, None),
                ("PATCH", "/comments/1", {"status": "spam"}, JSON),
                ("DELETE", "/comments/1", None, None),
                ("GET", "/subscribers", None, None),
                ("DELETE", "/subscribers/1", None, None)):
            for auth in (None, "Bearer nope", "Bearer gzt_" + "0" * 64,
                         "Basic ZWRpdG9yOnB3", "Bearer"):
                with self.subTest(method=method, path=path, auth=auth):
                    r = self.api(method, path, b, ctype=ct,
                                 headers={"Authorization": auth})
                    self.expect_error(r, 401, "unauthorized")
                    self.assertTrue((r.header("WWW-Authenticate") or "")
                                    .startswith("Bearer"), self.where(r))
        self.assertEqual(self.read_by_id_title(sid),
                         "Target of anonymous writes")

    def read_by_id_title(self, sid):
        items = self.all_items("/articles?status=all", "articles",
                               token=self.token("editor"))
        return [s["title"] for s in items if s["id"] == sid][0]

    # -- stories --------------------------------------------------------------

    def test_create_draft_and_read_it_back(self):
        s = self.create({"title": "Ferry timetable for the winter",
                         "markdown": "The **last ferry** leaves at 22:40.",
                         "custom_excerpt": "Fewer crossings after dark.",
                         "tags": ["Ferries", "City"]})
        self.assertEqual(s["status"], "draft")
        self.assertIsNone(s["published_at"])
        self.assertEqual(s["slug"], "ferry-timetable-for-the-winter")
        self.assertIsInstance(s["id"], int)
        back = self.read(s["slug"])
        self.assertEqual(back["id"], s["id"])
        self.assertEqual(back["title"], "Ferry timetable for the winter")
        self.assertEqual(back["markdown"],
                         "The **last ferry** leaves at 22:40.")
        self.assertIn("<strong>last ferry</strong>", back["html"])
        self.assertEqual(back["custom_excerpt"], "Fewer crossings after dark.")
        self.assertEqual(back["excerpt"], "Fewer crossings after dark.")
        self.assertEqual([t["slug"] for t in back["tags"]],
                         ["ferries", "city"])
        self.assertEqual(back["primary_tag"]["slug"], "ferries")
        self.assertEqual(back["primary_author"]["name"], "Eddie Editor")
        self.assertIs(back["comments_open"], True)
        self.assertRegex(back["created_at"], TIME_RE)
        # Not public.
        self.expect_error(self.get_api("/articles/" + s["slug"]), 404,
                          "not_found")
        self.assertEqual(self.get("/articles/" + s["slug"]).status, 404)
        self.assertNotIn(s["slug"], self.public_slugs())

    def test_create_with_the_wrapped_shape(self):
        s = self.create({"articles": [{"title": "Wrapped shape story",
                                       "markdown": "Wrapped."}]})
        self.assertEqual(s["title"], "Wrapped shape story")
        self.assertEqual(self.read(s["slug"])["markdown"], "Wrapped.")

    def test_media_upload(self):
        data = png(16, 9, (10, 90, 160))
        r = self.upload(data)
        m = self.one(r, "media", 201)
        self.assertEqual(set(m), MEDIA_KEYS)
        self.assertEqual(m["mime"], "image/png")
        self.assertEqual(m["bytes"], len(data))
        self.assertEqual((m["width"], m["height"]), (16, 9))
        self.assertRegex(m["url"], r"^https?://")
        self.assertRegex(m["created_at"], TIME_RE)
        got = self.get(path_of(m["url"]))
        self.assertEqual(got.status, 200)
        self.assertEqual(got.body, data)
        self.assertEqual(got.ctype, "image/png")

    def test_media_refused(self):
        r = self.upload(b"just some text, not an image\n", "notes.png",
                        "image/png")
        self.expect_error(r, 415, "unsupported_media_type")
        r = self.upload(b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                        "x.svg", "image/svg+xml")
        self.expect_error(r, 415, "unsupported_media_type")
        r = self.upload(png(), field="image")
        self.expect_error(r, 422, "validation_failed", "file")
        r = self.api("POST", "/media", {"file": "x"},
                     token=self.token("editor"))
        self.expect_error(r, 415, "unsupported_media_type")

    def test_create_published_with_tags_and_image_shows_on_the_site(self):
        data = png(24, 12, (200, 150, 40))
        media = self.one(self.upload(data, "quay.png"), "media", 201)
        before = time.time()
        s = self.create({
            "title": "Quay lights switched on for the season",
            "markdown": "The lights along the **quay** came on at dusk.",
            "tags": ["City", "Harbour works"], "status": "published",
            "feature_image": {"url": media["url"], "alt": "Lights at dusk",
                              "caption": "Quay Street at six"}})
        self.assertEqual(s["status"], "published")
        self.assertLessEqual(abs(epoch(s["published_at"]) - before), 120)
        back = self.one(self.get_api("/articles/" + s["slug"]), "articles")
        self.assertEqual([t["slug"] for t in back["tags"]],
                         ["city", "harbour-works"])
        fi = back["feature_image"]
        self.assertEqual(fi["url"], media["url"])
        self.assertEqual((fi["alt"], fi["caption"], fi["width"], fi["height"]),
                         ("Lights at dusk", "Quay Street at six", 24, 12))
        items = self.all_items("/articles", "articles")
        self.assertIn(s["slug"], [x["slug"] for x in items])
        for x in items:
            self.assertLessEqual(x["published_at"], s["published_at"],
                                 "the newest story is first")
        # The story page shows it, with its image.
        r, doc = self.page("/articles/" + s["slug"])
        self.assertIn("Quay lights switched on for the season", r.text)
        srcs = [path_of(i.get("src", "")) for i in doc.find_all("img")]
        self.assertIn(path_of(media["url"]), srcs)
        img = [i for i in doc.find_all("img")
               if path_of(i.get("src", "")) == path_of(media["url"])][0]
        self.assertEqual(img.get("alt"), "Lights at dusk")
        # So does the home page (the newest story leads).
        r, doc = self.page("/")
        self.assertIn("Quay lights switched on for the season", r.text)
        self.assertIn(path_of(media["url"]),
                      [path_of(i.get("src", "")) for i in doc.find_all("img")])
        # And the tag page of the new tag.
        r, _ = self.page("/tags/harbour-works")
        self.assertIn("Quay lights switched on for the season", r.text)

    def test_feature_image_must_be_an_uploaded_one(self):
        for url in ("/media/" + "0" * 64 + ".png",
                    "https://evil.example/x.png", "javascript:alert(1)",
                    self.gz.base + "/media/" + "1" * 64 + ".png", ""):
            with self.subTest(url=url):
                r = self.create({"title": "Bad image", "markdown": "x",
                                 "feature_image": {"url": url, "alt": "a"}},
                                status=None)
                self.expect_error(r, 422, "validation_failed",
                                  "feature_image.url")
        r = self.create({"title": "Bad image", "markdown": "x",
                         "feature_image": "/media/x.png"}, status=None)
        self.expect_error(r, 422, "validation_failed", "feature_image")
        s = self.create({"title": "No image at all", "markdown": "x",
                         "feature_image": None})
        self.assertIsNone(s["feature_image"])

    def test_create_scheduled(self):
        s = self.create({"title": "Council meets on Monday",
                         "markdown": "Agenda to follow.",
                         "status": "scheduled",
                         "published_at": "2099-01-01T09:00:00Z"})
        self.assertEqual(s["status"], "scheduled")
        self.assertEqual(s["published_at"], "2099-01-01T09:00:00Z")
        self.assertEqual(self.read(s["slug"])["status"], "scheduled")
        self.expect_error(self.get_api("/articles/" + s["slug"]), 404,
                          "not_found")
        self.assertEqual(self.get("/articles/" + s["slug"]).status, 404)
        self.assertNotIn(s["slug"], self.public_slugs())
        r, _ = self.page("/")
        self.assertNotIn("Council meets on Monday", r.text)

    def test_scheduled_story_goes_live_on_time(self):
        when = int(time.time()) + 4
        s = self.create({"title": "Due in four seconds", "markdown": "x",
                         "status": "scheduled",
                         "published_at": rfc3339(when)})
        self.assertEqual(s["status"], "scheduled")
        self.assertEqual(self.get("/articles/" + s["slug"]).status, 404)
        live = self.wait_for(lambda: self.get_api(
            "/articles/" + s["slug"]).status == 200, timeout=12, step=0.25)
        self.assertTrue(live, "the scheduler publishes it (every 2 s)")
        got = self.one(self.get_api("/articles/" + s["slug"]), "articles")
        self.assertEqual(got["status"], "published")
        self.assertEqual(got["published_at"], rfc3339(when))
        self.assertEqual(self.get("/articles/" + s["slug"]).status, 200)

    def test_patch_feature_image(self):
        media = self.one(self.upload(png(6, 4, (1, 2, 3)), "p.png"), "media",
                         201)
        s = self.create({"title": "Image added later", "markdown": "x"})
        self.assertIsNone(s["feature_image"])
        p = self.one(self.patch(s["id"], {"feature_image": {
            "url": media["url"], "alt": "Later"}}), "articles")
        self.assertEqual(p["feature_image"]["url"], media["url"])
        self.assertEqual(self.read(s["slug"])["feature_image"]["alt"], "Later")
        self.one(self.patch(s["id"], {"title": "Image kept"}), "articles")
        self.assertEqual(self.read(s["slug"])["feature_image"]["url"],
                         media["url"])
        self.one(self.patch(s["id"], {"feature_image": None}), "articles")
        self.assertIsNone(self.read(s["slug"])["feature_image"])

    def test_scheduled_needs_a_future_published_at(self):
        for extra in ({}, {"published_at": None},
                      {"published_at": rfc3339(time.time() - 3600)},
                      {"published_at": "tomorrow"},
                      {"published_at": "2099-13-45T99:00:00Z"},
                      {"published_at": 4070908800}):
            with self.subTest(extra=extra):
                body = {"title": "Scheduled without a time", "markdown": "x",
                        "status": "scheduled"}
                body.update(extra)
                r = self.create(body, status=None)
                self.expect_error(r, 422, "validation_failed", "published_at")

    def test_patch_changes_only_the_fields_sent(self):
        s = self.create({"title": "Patch me gently", "markdown": "Body *one*.",
                         "custom_excerpt": "Kept excerpt",
                         "tags": ["Science", "Culture"],
                         "comments_open": False})
        before = self.read(s["slug"])
        r = self.patch(s["id"], {"title": "Patched title"})
        after = self.one(r, "articles")
        self.assertEqual(after["title"], "Patched title")
        again = self.read(s["slug"])
        self.assertEqual(again["title"], "Patched title")
        for k in ("slug", "markdown", "html", "custom_excerpt", "tags",
                  "comments_open", "status", "created_at", "feature_image",
                  "published_at", "authors"):
            self.assertEqual(again[k], before[k], k)
        # Another field, the wrapped shape.
        r = self.patch(s["id"], {"articles": [{"markdown": "Body *two*."}]})
        self.one(r, "articles")
        again = self.read(s["slug"])
        self.assertIn("<em>two</em>", again["html"])
        self.assertEqual(again["title"], "Patched title")
        self.assertEqual(again["custom_excerpt"], "Kept excerpt")
        # Clearing: tags to none, custom excerpt to null.
        self.one(self.patch(s["id"], {"tags": [], "custom_excerpt": None}),
                 "articles")
        again = self.read(s["slug"])
        self.assertEqual(again["tags"], [])
        self.assertIsNone(again["primary_tag"])
        self.assertIsNone(again["custom_excerpt"])
        self.assertTrue(again["excerpt"], "an excerpt made from the body")
        self.assertIs(again["comments_open"], False)

    def test_patch_publishes_and_unpublishes(self):
        s = self.create({"title": "Publish me later", "markdown": "Now."})
        p = self.one(self.patch(s["id"], {"status": "published"}), "articles")
        self.assertEqual(p["status"], "published")
        self.assertRegex(p["published_at"], TIME_RE)
        self.assertEqual(self.get("/articles/" + s["slug"]).status, 200)
        p = self.one(self.patch(s["id"], {"status": "draft"}), "articles")
        self.assertEqual(p["status"], "draft")
        self.assertEqual(self.get("/articles/" + s["slug"]).status, 404)

    def test_delete(self):
        s = self.create({"title": "Delete me soon", "markdown": "x",
                         "status": "published"})
        self.assertEqual(self.get("/articles/" + s["slug"]).status, 200)
        r = self.api("DELETE", "/articles/%d" % s["id"],
                     token=self.token("editor"))
        self.expect(r, 204)
        self.expect_error(self.get_api("/articles/" + s["slug"],
                                       token=self.token("editor")), 404,
                          "not_found")
        self.assertEqual(self.get("/articles/" + s["slug"]).status, 404)
        self.expect_error(self.api("DELETE", "/articles/%d" % s["id"],
                                   token=self.token("editor")), 404,
                          "not_found")
        self.expect_error(self.patch(s["id"], {"title": "Ghost"}), 404,
                          "not_found")
        for sid in ("999999", "0", "abc", "-1", "99999999999999999999"):
            self.expect_error(self.api("DELETE", "/articles/" + sid,
                                       token=self.token("editor")), 404,
                              "not_found")

    def test_slug_conflict_is_409(self):
        r = self.create({"title": "Copycat", "markdown": "x",
                         "slug": "harbour-night-market-returns"}, status=None)
        self.expect_error(r, 409, "conflict", "slug")
        s = self.create({"title": "Own slug story", "markdown": "x",
                         "slug": "own-slug-story-2026"})
        self.assertEqual(s["slug"], "own-slug-story-2026")
        r = self.patch(s["id"], {"slug": OTTERS})
        self.expect_error(r, 409, "conflict", "slug")
        self.assertEqual(self.read("own-slug-story-2026")["id"], s["id"])
        # A slug made from a taken title is numbered, not refused.
        a = self.create({"title": "Twice told tale", "markdown": "x"})
        b = self.create({"title": "Twice told tale", "markdown": "x"})
        self.assertNotEqual(a["slug"], b["slug"])
        r = self.create({"title": "Bad slug", "markdown": "x",
                         "slug": "Not A Slug"}, status=None)
        self.expect_error(r, 422, "validation_failed", "slug")

    def test_title_rules(self):
        for body in ({"markdown": "no title"}, {"title": "", "markdown": "x"},
                     {"title": "   ", "markdown": "x"},
                     {"title": 5, "markdown": "x"},
                     {"title": None, "markdown": "x"},
                     {"title": ["a"], "markdown": "x"},
                     {"title": "x" * 301, "markdown": "x"},
                     {"title": "Two\nlines", "markdown": "x"}):
            with self.subTest(body=str(body)[:60]):
                r = self.create(body, status=None)
                self.expect_error(r, 422, "validation_failed", "title")
        sid = self.create({"title": "Title kept", "markdown": "x"})["id"]
        self.expect_error(self.patch(sid, {"title": ""}), 422,
                          "validation_failed", "title")
        self.expect_error(self.patch(sid, {"title": 5}), 422,
                          "validation_failed", "title")

    def test_other_field_types(self):
        for field, value in (("markdown", 5), ("markdown", ["x"]),
                             ("tags", "City"), ("tags", [5]),
                             ("tags", ["t%d" % i for i in range(11)]),
                             ("tags", ["a" * 61]),
                             ("comments_open", "yes"), ("comments_open", 1),
                             ("status", "live"), ("status", 1),
                             ("custom_excerpt", "e" * 1001),
                             ("custom_excerpt", 5), ("slug", 5)):
            with self.subTest(field=field, value=str(value)[:30]):
                body = {"title": "Typed wrong", "markdown": "x"}
                body[field] = value
                r = self.create(body, status=None)
                self.expect_error(r, 422, "validation_failed", field)

    # -- what an author may do ------------------------------------------------

    def test_author_cannot_publish_or_schedule(self):
        for extra in ({"status": "published"},
                      {"status": "scheduled",
                       "published_at": "2099-01-01T09:00:00Z"}):
            with self.subTest(extra=extra):
                body = {"title": "Author tries to publish", "markdown": "x"}
                body.update(extra)
                r = self.create(body, who="author", status=None)
                self.expect_error(r, 403, "forbidden")
        drafts = self.all_items("/articles?status=all", "articles",
                                token=self.token("editor"))
        self.assertNotIn("Author tries to publish",
                         [s["title"] for s in drafts], "nothing created")

    def test_author_drafts_own_only(self):
        mine = self.create({"title": "Author's own draft", "markdown": "x"},
                           who="author")
        self.assertEqual(mine["status"], "draft")
        self.assertEqual(self.read(mine["slug"], who="author")
                         ["primary_author"]["name"], "Ann Author")
        p = self.one(self.patch(mine["id"], {"title": "Author's own, edited"},
                                who="author"), "articles")
        self.assertEqual(p["title"], "Author's own, edited")
        # Never publish, not even their own.
        self.expect_error(self.patch(mine["id"], {"status": "published"},
                                     who="author"), 403, "forbidden")
        self.assertEqual(self.read(mine["slug"])["status"], "draft")
        # Not someone else's draft.
        theirs = self.create({"title": "Editor's own draft", "markdown": "x"})
        self.expect_error(self.patch(theirs["id"], {"title": "Hijacked"},
                                     who="author"), 403, "forbidden")
        self.expect_error(self.api("DELETE", "/articles/%d" % theirs["id"],
                                   token=self.token("author")), 403,
                          "forbidden")
        self.expect_error(self.patch(mine["id"], {"title": "Other author"},
                                     who="author2"), 403, "forbidden")
        self.assertEqual(self.read(theirs["slug"])["title"],
                         "Editor's own draft")
        # Not a published story.
        otters = self.read(OTTERS)
        self.expect_error(self.patch(otters["id"], {"title": "Otters gone"},
                                     who="author"), 403, "forbidden")
        self.expect_error(self.api("DELETE", "/articles/%d" % otters["id"],
                                   token=self.token("author")), 403,
                          "forbidden")
        self.assertEqual(self.read(OTTERS)["title"], otters["title"])
        # An editor may change the author's draft; the author may delete it.
        self.one(self.patch(mine["id"], {"markdown": "Edited by the editor"}),
                 "articles")
        self.expect(self.api("DELETE", "/articles/%d" % mine["id"],
                             token=self.token("author")), 204)

    # -- comments -------------------------------------------------------------

    def test_comment_policy_decides_201_or_202(self):
        self.set_setting("comment_policy", "approve")
        r = self.comment(OTTERS, body="Shown at once, policy approve.")
        c = self.one(r, "comments", 201)
        self.assertEqual(c["body"], "Shown at once, policy approve.")
        self.assertNotIn("email", c)
        self.assertNotIn("ann.reader@example.com", r.text,
                         "the answer never shows the address")
        self.assertIn("Shown at once, policy approve.",
                      self.public_comment_bodies(OTTERS))
        self.set_setting("comment_policy", "hold")
        r = self.comment(OTTERS, body="Held back, policy hold.")
        self.one(r, "comments", 202)
        self.assertNotIn("Held back, policy hold.",
                         self.public_comment_bodies(OTTERS))
        self.set_setting("comment_policy", "first")
        r = self.comment(OTTERS, email="first.timer@example.com",
                         body="A first-timer waits.")
        self.one(r, "comments", 202)

    def test_comment_validation(self):
        self.set_setting("comment_policy", "approve")
        for fields, field in (({"body": ""}, "body"),
                              ({"body": "   "}, "body"),
                              ({"body": None}, "body"), ({"body": 5}, "body"),
                              ({"body": "b" * 5001}, "body"),
                              ({"name": ""}, "name"), ({"name": None}, "name"),
                              ({"name": "n" * 81}, "name"),
                              ({"email": "not-an-address"}, "email"),
                              ({"parent_id": 99999999}, "parent_id")):
            with self.subTest(fields=str(fields)[:40]):
                r = self.comment(OTTERS, **fields)
                self.expect_error(r, 422, "validation_failed", field)

    def test_comment_on_unknown_draft_or_closed_story(self):
        self.expect_error(self.comment("no-such-story"), 404, "not_found")
        d = self.create({"title": "Draft takes no comments", "markdown": "x"})
        self.expect_error(self.comment(d["slug"]), 404, "not_found")
        c = self.create({"title": "Comments closed here", "markdown": "x",
                         "status": "published", "comments_open": False})
        self.expect_error(self.comment(c["slug"]), 403, "forbidden")

    def test_comment_rate_limit(self):
        self.set_setting("comment_policy", "approve")
        src = harness.new_client_address()
        for i in range(5):
            r = self.comment(OTTERS, source=src, body="Quick post %d" % i)
            self.expect(r, 201)
        r = self.comment(OTTERS, source=src, body="One too many")
        self.expect_error(r, 429, "rate_limited")
        self.assertRegex(r.header("Retry-After") or "", r"^[1-9]\d*$")
        # Another address is not limited.
        self.expect(self.comment(OTTERS, body="From elsewhere"), 201)

    def test_moderation_flow(self):
        self.set_setting("comment_policy", "hold")
        body = "Moderate me, please %d" % time.time()
        c = self.one(self.comment(OTTERS, body=body,
                                  email="mod.me@example.com"), "comments", 202)
        cid = c["id"]
        pending = self.moderation("pending")
        mine = [x for x in pending if x["id"] == cid]
        self.assertEqual(len(mine), 1)
        self.assertEqual(set(mine[0]), MODERATION_KEYS)
        self.assertEqual(mine[0]["status"], "pending")
        self.assertEqual(mine[0]["email"], "mod.me@example.com")
        self.assertEqual(mine[0]["body"], body)
        for x in pending:
            self.assertEqual(x["status"], "pending")
        self.assertNotIn(body, self.public_comment_bodies(OTTERS))
        # Approve: public at once.
        r = self.api("PATCH", "/comments/%d" % cid, {"status": "approved"},
                     token=self.token("editor"))
        a = self.one(r, "comments")
        self.assertEqual(a["status"], "approved")
        self.assertIn(body, self.public_comment_bodies(OTTERS))
        r, _ = self.page("/articles/" + OTTERS)
        self.assertIn(body, r.text)
        self.assertNotIn(cid, [x["id"] for x in self.moderation("pending")])
        self.assertIn(cid, [x["id"] for x in self.moderation("approved")])
        # Spam: gone from the public list.
        self.one(self.api("PATCH", "/comments/%d" % cid, {"status": "spam"},
                          token=self.token("editor")), "comments")
        self.assertNotIn(body, self.public_comment_bodies(OTTERS))
        self.assertIn(cid, [x["id"] for x in self.moderation("spam")])
        # Bad status.
        self.expect_error(self.api("PATCH", "/comments/%d" % cid,
                                   {"status": "published"},
                                   token=self.token("editor")), 422,
                          "validation_failed", "status")
        # Delete.
        self.expect(self.api("DELETE", "/comments/%d" % cid,
                             token=self.token("editor")), 204)
        self.assertNotIn(cid, [x["id"] for x in self.moderation("all")])
        self.expect_error(self.api("DELETE", "/comments/%d" % cid,
                                   token=self.token("editor")), 404,
                          "not_found")
        self.expect_error(self.api("PATCH", "/comments/%d" % cid,
                                   {"status": "approved"},
                                   token=self.token("editor")), 404,
                          "not_found")

    def test_moderation_is_for_editors(self):
        tok = self.token("author")
        self.expect_error(self.get_api("/comments?status=pending", token=tok),
                          403, "forbidden")
        self.expect_error(self.get_api("/comments?status=pending"), 401,
                          "unauthorized")
        cid = self.moderation("approved")[0]["id"]
        self.expect_error(self.api("PATCH", "/comments/%d" % cid,
                                   {"status": "spam"}, token=tok), 403,
                          "forbidden")
        self.expect_error(self.api("DELETE", "/comments/%d" % cid,
                                   token=tok), 403, "forbidden")
        self.assertIn(cid, [x["id"] for x in self.moderation("approved")])
        # Admins may.
        self.expect(self.get_api("/comments?status=all",
                                 token=self.token("admin")), 200)

    # -- subscribers ----------------------------------------------------------

    def test_subscribe_same_answer_new_or_known(self):
        def answer(r):
            j = self.expect(r, 202)
            if isinstance(j, dict) and isinstance(j.get("error"), dict):
                self.fail("an error: %r" % j)
            return j
        first = answer(self.subscribe("new.reader@example.com",
                                      name="New Reader"))
        again = answer(self.subscribe("new.reader@example.com",
                                      name="New Reader"))
        other = answer(self.subscribe("NEW.READER@example.com"))
        fresh = answer(self.subscribe("another.reader@example.com"))
        self.assertEqual(first, again)
        self.assertEqual(first, other)
        self.assertEqual(first, fresh)
        subs = self.all_items("/subscribers?status=all", "subscribers",
                              token=self.token("editor"))
        emails = [s["email"].lower() for s in subs]
        self.assertEqual(emails.count("new.reader@example.com"), 1)
        self.assertIn("another.reader@example.com", emails)
        for s in subs:
            self.assertEqual(set(s), SUBSCRIBER_KEYS)
            self.assertIn(s["status"], ("pending", "active", "unsubscribed"))
            self.assertRegex(s["created_at"], TIME_RE)

    def test_subscribe_invalid_email(self):
        for email in ("not-an-address", "", "a@b", "two@@example.com",
                      "x" * 250 + "@example.com", "line\nbreak@example.com",
                      "sp ace@example.com", 5, None):
            with self.subTest(email=str(email)[:30]):
                r = self.api("POST", "/subscribers", {"email": email},
                             source=harness.new_client_address())
                self.expect_error(r, 422, "validation_failed", "email")
        r = self.api("POST", "/subscribers", {"name": "No email"},
                     source=harness.new_client_address())
        self.expect_error(r, 422, "validation_failed", "email")

    def test_subscribe_rate_limit(self):
        src = harness.new_client_address()
        for i in range(5):
            self.expect(self.subscribe("burst%d@example.com" % i, source=src),
                        202)
        r = self.subscribe("burst9@example.com", source=src)
        self.expect_error(r, 429, "rate_limited")
        self.assertRegex(r.header("Retry-After") or "", r"^[1-9]\d*$")

    def test_subscribe_limit_shared_with_the_form(self):
        # "the same rules as the form": one limit per client address.
        src = harness.new_client_address()
        for i in range(3):
            r = self.gz.request("POST", "/subscribe", {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json"},
                "email=shared%d%%40example.com" % i, source=src)
            self.assertEqual(r.status, 200, r.body[:300])
        for i in range(3, 5):
            self.expect(self.subscribe("shared%d@example.com" % i,
                                       source=src), 202)
        r = self.subscribe("shared9@example.com", source=src)
        self.expect_error(r, 429, "rate_limited")

    def test_subscribers_list_and_delete(self):
        self.expect(self.subscribe("leaving.soon@example.com"), 202)
        tok = self.token("editor")
        subs = self.all_items("/subscribers?status=all", "subscribers",
                              token=tok)
        sid = [s["id"] for s in subs
               if s["email"] == "leaving.soon@example.com"][0]
        self.expect(self.api("DELETE", "/subscribers/%d" % sid, token=tok),
                    204)
        subs = self.all_items("/subscribers?status=all", "subscribers",
                              token=tok)
        self.assertNotIn(sid, [s["id"] for s in subs])
        self.expect_error(self.api("DELETE", "/subscribers/%d" % sid,
                                   token=tok), 404, "not_found")
        self.expect_error(self.get_api("/subscribers",
                                       token=self.token("author")), 403,
                          "forbidden")
        self.expect_error(self.api("DELETE", "/subscribers/%d" % subs[0]["id"],
                                   token=self.token("author")), 403,
                          "forbidden")

    # -- the newsroom's session -----------------------------------------------

    def test_session_cookie_with_csrf_header(self):
        c = self.editor()
        csrf = c.token()
        self.assertTrue(csrf)
        cookie = "gz_session=" + c.cookie
        origin = {"Origin": c.origin}
        r = self.api("POST", "/articles", {"title": "Written in a session",
                                           "markdown": "x"},
                     headers=dict(origin, Cookie=cookie,
                                  **{"X-CSRF-Token": csrf}))
        s = self.one(r, "articles", 201)
        # Reads need no CSRF token.
        got = self.one(self.get_api("/articles/" + s["slug"],
                                    headers={"Cookie": cookie}), "articles")
        self.assertEqual(got["status"], "draft")
        # Without the header, or with a wrong one: 403, nothing done.
        for hdr in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": ""}):
            with self.subTest(csrf=hdr):
                h = dict(origin, Cookie=cookie)
                h.update(hdr)
                r = self.api("POST", "/articles",
                             {"title": "Forged in a session", "markdown": "x"},
                             headers=h)
                self.expect_error(r, 403, "forbidden")
                r = self.api("PATCH", "/articles/%d" % s["id"],
                             {"title": "Forged"}, headers=h)
                self.expect_error(r, 403, "forbidden")
                r = self.api("DELETE", "/articles/%d" % s["id"], headers=h)
                self.expect_error(r, 403, "forbidden")
        self.assertEqual(self.read(s["slug"])["title"], "Written in a session")
        # With it: PATCH and DELETE too.
        h = dict(origin, Cookie=cookie, **{"X-CSRF-Token": csrf})
        self.one(self.api("PATCH", "/articles/%d" % s["id"],
                          {"title": "Renamed in a session"}, headers=h),
                 "articles")
        self.expect(self.api("DELETE", "/articles/%d" % s["id"], headers=h),
                    204)

    def test_session_of_an_author_cannot_publish(self):
        c = self.author()
        h = {"Cookie": "gz_session=" + c.cookie, "X-CSRF-Token": c.token(),
             "Origin": c.origin}
        r = self.api("POST", "/articles", {"title": "Session author publish",
                                           "markdown": "x",
                                           "status": "published"}, headers=h)
        self.expect_error(r, 403, "forbidden")

    # -- CORS on writes -------------------------------------------------------

    def test_writes_get_no_cors_headers_by_default(self):
        r = self.api("POST", "/articles", {"title": "Cross-origin write",
                                           "markdown": "x"},
                     token=self.token("editor"),
                     headers={"Origin": "https://elsewhere.example"})
        self.expect(r, 201)
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))


class ApiCorsConfigured(ApiWriteBase):
    """api.cors_origins lists an origin: its writes get CORS headers,
    others' do not."""

    CONF = "[api]\ncors_origins = https://app.example\n"

    def test_listed_origin_gets_cors_on_writes(self):
        r = self.api("POST", "/articles", {"title": "From the app",
                                           "markdown": "x"},
                     token=self.token("editor"),
                     headers={"Origin": "https://app.example"})
        self.expect(r, 201)
        self.assertEqual(r.header("Access-Control-Allow-Origin"),
                         "https://app.example")
        r = self.api("POST", "/articles", {"title": "From elsewhere",
                                           "markdown": "x"},
                     token=self.token("editor"),
                     headers={"Origin": "https://evil.example"})
        self.expect(r, 201)
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        # Public reads stay open to all.
        r = self.get_api("/articles",
                         headers={"Origin": "https://evil.example"})
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "*")

    def test_preflight_of_the_listed_origin(self):
        r = self.api("OPTIONS", "/articles", headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(r.status, 204, self.where(r))
        self.assertEqual(r.header("Access-Control-Allow-Origin"),
                         "https://app.example")
        methods = (r.header("Access-Control-Allow-Methods") or "").upper()
        self.assertIn("POST", methods)
        allowed = (r.header("Access-Control-Allow-Headers") or "").lower()
        self.assertIn("authorization", allowed)
        self.assertIn("content-type", allowed)
