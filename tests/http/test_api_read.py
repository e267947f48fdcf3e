"""The JSON API, reading (docs/API.md): list shapes and pagination meta
checked against the demo's published stories, single stories (html,
tags, authors, markdown only with a token), drafts, tags, authors,
comments, search snippets, the OpenAPI document, CORS and the JSON
error shape.

Also home of ApiCase, the base class of every tests/http/test_api_*.py:
a server with the demo, a newsroom of four (admin, editor, two authors)
and an API token for each made with `gazette token create`, plus helpers
to call /api/v1 and check answers. It holds no tests itself.
"""
import contextlib
import json
import re
import shutil
import time
import urllib.parse

import harness
from test_admin_support import PASSWORD, NewsroomCase

API = "/api/v1"
JSON = "application/json"
MISSING = object()

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

STORY_KEYS = {"id", "slug", "title", "url", "status", "excerpt",
              "custom_excerpt", "feature_image", "published_at",
              "updated_at", "created_at", "reading_time", "comments_open"}
INCLUDE_KEYS = {"tags": {"tags", "primary_tag"},
                "authors": {"authors", "primary_author"},
                "comment_count": {"comment_count"}}
TAG_KEYS = {"id", "slug", "name", "description", "url", "feed_url",
            "article_count"}
AUTHOR_KEYS = {"id", "slug", "name", "bio", "url", "article_count"}
COMMENT_KEYS = {"id", "article_id", "parent_id", "name", "body", "html",
                "created_at"}
MODERATION_KEYS = COMMENT_KEYS | {"status", "email"}
SUBSCRIBER_KEYS = {"id", "email", "name", "status", "created_at",
                   "confirmed_at"}
MEDIA_KEYS = {"id", "url", "mime", "bytes", "width", "height", "created_at"}
PAGINATION_KEYS = {"page", "limit", "pages", "total", "next", "prev"}
ERROR_KEYS = {"code", "message", "field", "request_id"}


def q(**params):
    """A query string, every value percent-encoded (a '+' in a filter is
    sent as %2B, as the docs do)."""
    return "?" + "&".join("%s=%s" % (k, urllib.parse.quote(str(v), safe=""))
                          for k, v in params.items())


def path_of(url):
    return urllib.parse.urlsplit(url).path


class ApiCase(NewsroomCase):
    """A server with demo content, the NewsroomCase users and one API
    token each (self.token("editor")...)."""

    ROLES = {"admin": "admin@example.org", "editor": "editor@example.org",
             "author": "author@example.org", "author2": "author2@example.org"}

    CONF = ""      # text of the configuration file (INI), if any

    @classmethod
    def setUpClass(cls):
        # As NewsroomCase does, plus the configuration file and the tokens
        # (made before the server starts).
        cls.media_tmp = harness.temp_dir("gz-media-")
        cls.ENV = dict(cls.ENV)
        cls.ENV["GAZETTE_DATA_DIR"] = cls.media_tmp
        cls.gz = harness.Gazette(env=cls.ENV, fixtures=cls.FIXTURES,
                                 demo=cls.DEMO)
        try:
            if cls.CONF:
                with open(cls.gz.conf, "w") as f:
                    f.write(cls.CONF)
            cls.gz.prepare()
            for email, name, role in cls.USERS:
                cls.gz.cli_ok("user", "add", "--email", email, "--name",
                              name, "--role", role, input=PASSWORD + "\n")
            # A token that cannot be made fails the tests that use it.
            cls.tokens, cls.token_errors = {}, {}
            for who, email in cls.ROLES.items():
                p = cls.gz.cli("token", "create", "--name", "tests-" + who,
                               "--user", email)
                out = p.stdout.strip()
                if p.returncode == 0 and out and "\n" not in out:
                    cls.tokens[who] = out
                else:
                    cls.token_errors[who] = "exit %d, stdout %r, stderr %r" % (
                        p.returncode, p.stdout[:300], p.stderr[:300])
            cls.gz.start(prepare=False)
        except BaseException:
            cls.gz.cleanup()
            shutil.rmtree(cls.media_tmp, ignore_errors=True)
            raise
        # Nothing may raise from here on (tearDownClass would not run).
        try:
            cls.setUpData()
        except Exception as e:  # pragma: no cover
            cls.data_error = repr(e)

    data_error = None

    @classmethod
    def setUpData(cls):
        """Per-class data, written once the server runs."""

    def setUp(self):
        super().setUp()
        self._sub_failures = []
        self.addCleanup(self._report_sub_failures)
        if self.data_error:
            self.fail("setting up the test data failed: " + self.data_error)

    @contextlib.contextmanager
    def subTest(self, msg=None, **params):
        """Like unittest's, but the failures of the cases are gathered and
        fail the test once at its end, so the test counts as failed (run.py
        counts test methods; unittest reports failed sub-tests apart)."""
        try:
            yield
        except self.failureException as e:
            what = ", ".join("%s=%r" % kv for kv in params.items())
            self._sub_failures.append("[%s%s] %s" % (
                msg + " " if msg else "", what, e))

    def _report_sub_failures(self):
        if self._sub_failures:
            n = len(self._sub_failures)
            self.fail("%d case%s failed:\n%s" % (
                n, "" if n == 1 else "s", "\n\n".join(self._sub_failures)))

    # -- credentials --

    def token(self, who="editor"):
        t = self.tokens.get(who)
        if not t:
            self.fail("no API token for %s: `gazette token create --name ... "
                      "--user %s` failed: %s" % (who, self.ROLES[who],
                                                 self.token_errors.get(who)))
        return t

    # -- the database, for set-up only --

    @classmethod
    def cls_sql(cls, query, params=()):
        import sqlite3
        con = sqlite3.connect(cls.gz.db, timeout=10)
        con.row_factory = sqlite3.Row
        try:
            with con:
                return con.execute(query, params).fetchall()
        finally:
            con.close()

    @classmethod
    def user_id(cls, email):
        return cls.cls_sql("SELECT id FROM users WHERE email = ?",
                           (email,))[0][0]

    @classmethod
    def insert_story(cls, slug, title, status="draft", author=None,
                     published_at=None, markdown="Body of the story."):
        """A story written straight into the database (for drafts and
        scheduled stories the reading tests need)."""
        now = int(time.time())
        uid = cls.user_id(author or cls.ROLES["editor"])
        cls.cls_sql(
            "INSERT INTO articles (slug, title, excerpt, markdown, html,"
            " plain, status, author_id, comments_open, notified, created_at,"
            " updated_at, published_at) VALUES (?, ?, '', ?, ?, ?, ?, ?, 1,"
            " 1, ?, ?, ?)",
            (slug, title, markdown, "<p>%s</p>" % markdown, markdown, status,
             uid, now, now, published_at))
        return cls.cls_sql("SELECT id FROM articles WHERE slug = ?",
                           (slug,))[0][0]

    @classmethod
    def set_setting(cls, key, value):
        cls.cls_sql("INSERT OR REPLACE INTO settings (key, value)"
                    " VALUES (?, ?)", (key, value))

    # -- HTTP --

    def api(self, method, path, body=None, token=None, headers=None,
            source=None, ctype=JSON, timeout=30):
        """A request to /api/v1 + path. body: a dict/list (sent as JSON),
        str or bytes (sent as they are). token: the bearer token.
        headers with a None value are left out."""
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            if isinstance(body, bytes):
                data = body
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = json.dumps(body).encode("utf-8")
            if ctype:
                h["Content-Type"] = ctype
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        return self.gz.request(method, API + path, h, data, source=source,
                               timeout=timeout)

    def get_api(self, path, token=None, **kw):
        return self.api("GET", path, token=token, **kw)

    def where(self, r):
        return "%s %s -> %d %s: %r" % (r.method, r.path, r.status,
                                       r.header("Content-Type"),
                                       r.body[:600])

    def expect(self, r, status):
        """Asserts the status, exactly one (and JSON for anything but
        204); returns the parsed body (None for 204)."""
        self.assertIsInstance(status, int, "expect() takes one status: "
                              "where the outcome is determined, a test "
                              "names it")
        self.assertEqual(r.status, status, self.where(r))
        if r.status == 204:
            self.assertEqual(r.body, b"", "a 204 has no body: " +
                             self.where(r))
            return None
        self.assertEqual(r.ctype, JSON, self.where(r))
        try:
            return r.json()
        except ValueError as e:
            self.fail("not JSON (%s): %s" % (e, self.where(r)))

    def expect_error(self, r, status, code, field=MISSING):
        j = self.expect(r, status)
        self.assertIsInstance(j, dict, self.where(r))
        self.assertEqual(set(j), {"error"}, self.where(r))
        e = j["error"]
        self.assertIsInstance(e, dict, self.where(r))
        self.assertTrue(ERROR_KEYS <= set(e), "error keys %r: %s" % (
            sorted(e), self.where(r)))
        self.assertEqual(e["code"], code, self.where(r))
        self.assertIsInstance(e["message"], str)
        self.assertTrue(e["message"].strip(), self.where(r))
        if field is not MISSING:
            self.assertEqual(e["field"], field, self.where(r))
        return e

    def one(self, r, resource, status=200):
        """A single item: {"<resource>": [item]} -> item."""
        j = self.expect(r, status)
        self.assertIsInstance(j, dict, self.where(r))
        self.assertIn(resource, j, self.where(r))
        self.assertIsInstance(j[resource], list, self.where(r))
        self.assertEqual(len(j[resource]), 1, self.where(r))
        return j[resource][0]

    def listing(self, r, resource, status=200):
        """A list answer: checks the shape; returns (items, pagination)."""
        j = self.expect(r, status)
        self.assertIsInstance(j, dict, self.where(r))
        self.assertEqual(set(j), {resource, "meta"}, self.where(r))
        self.assertIsInstance(j[resource], list)
        # A search (q=) also says how it chose its stories.
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(r.path).query)
        searched = resource == "articles" and "q" in query
        self.assertEqual(set(j["meta"]), {"pagination", "search"} if searched
                         else {"pagination"}, self.where(r))
        if searched:
            s = j["meta"]["search"]
            self.assertEqual({k: type(v) for k, v in s.items()},
                             {"ranked": bool, "capped": bool},
                             self.where(r))
        p = j["meta"]["pagination"]
        self.assertEqual(set(p), PAGINATION_KEYS, self.where(r))
        return j[resource], p

    def all_items(self, path, resource, token=None, limit=100):
        """Every item of a list, following pages."""
        items, page = [], 1
        sep = "&" if "?" in path else "?"
        while True:
            got, p = self.listing(self.get_api(
                "%s%spage=%d&limit=%d" % (path, sep, page, limit),
                token=token), resource)
            items += got
            if p["next"] is None:
                return items
            page = p["next"]
            self.assertLess(page, 1000)

    def assert_story(self, s, extra=()):
        """The core story keys with the right types, plus extra keys."""
        self.assertEqual(set(s), STORY_KEYS | set(extra), s.get("slug"))
        self.assertIsInstance(s["id"], int)
        self.assertIsInstance(s["title"], str)
        self.assertIn(s["status"], ("draft", "scheduled", "published"))
        u = urllib.parse.urlsplit(s["url"])
        self.assertIn(u.scheme, ("http", "https"), s["url"])
        self.assertEqual(u.path, "/articles/" + s["slug"])
        for k in ("updated_at", "created_at"):
            self.assertRegex(s[k], TIME_RE)
        if s["status"] == "draft":
            self.assertIsNone(s["published_at"])
        else:
            self.assertRegex(s["published_at"], TIME_RE)
        self.assertIsInstance(s["reading_time"], int)
        self.assertGreaterEqual(s["reading_time"], 1)
        self.assertIsInstance(s["comments_open"], bool)
        self.assertIsInstance(s["excerpt"], str)
        if s["feature_image"] is not None:
            fi = s["feature_image"]
            self.assertTrue({"url", "alt", "caption", "width", "height"}
                            <= set(fi), fi)
            self.assertRegex(fi["url"], r"^https?://")

    def healthy(self):
        r = self.get("/healthz")
        self.assertEqual(r.status, 200, "the server is not healthy: %r"
                         % (r.body[:200],))


# ---------------------------------------------------------------------------

HARBOUR = "harbour-night-market-returns"
PENDING_BODY = "PENDING-comment-never-public-7731"
SPAM_BODY = "SPAM-comment-never-public-7731"


class ApiRead(ApiCase):

    @classmethod
    def setUpData(cls):
        cls.content = harness.Content()
        cls.draft_id = cls.insert_story("api-read-draft", "A draft for later",
                                        markdown="Draft *words* here.")
        cls.sched_id = cls.insert_story(
            "api-read-scheduled", "Scheduled for 2099", status="scheduled",
            published_at=4070908800)
        aid = cls.cls_sql("SELECT id FROM articles WHERE slug = ?",
                          (HARBOUR,))[0][0]
        for body, status in ((PENDING_BODY, "pending"), (SPAM_BODY, "spam")):
            cls.cls_sql("INSERT INTO comments (article_id, name, email, body,"
                        " status, created_at) VALUES (?, 'Hidden Person',"
                        " 'hidden@example.com', ?, ?, ?)",
                        (aid, body, status, int(time.time())))

    @property
    def published(self):
        return self.content.published

    # -- lists and pagination ------------------------------------------------

    def test_list_default_shape_and_meta(self):
        r = self.get_api("/articles")
        items, p = self.listing(r, "articles")
        total = len(self.published)
        self.assertEqual(total, 15, "the demo has 15 published stories")
        self.assertEqual(p, {"page": 1, "limit": 15, "pages": 1,
                             "total": total, "next": None, "prev": None})
        self.assertEqual([s["slug"] for s in items],
                         [a["slug"] for a in self.published],
                         "published stories, newest first")
        for s in items:
            self.assert_story(s)
            self.assertEqual(s["status"], "published")
        self.assertNotIn("api-read-draft", r.text)
        self.assertNotIn("api-read-scheduled", r.text)

    def test_list_story_values_match_the_demo(self):
        items, _ = self.listing(self.get_api("/articles"), "articles")
        by_slug = {s["slug"]: s for s in items}
        for a in self.published:
            s = by_slug[a["slug"]]
            self.assertEqual(s["title"], a["title"])
            self.assertEqual(s["published_at"], a["published_at"])
            self.assertEqual(s["custom_excerpt"], a["excerpt"])
            self.assertEqual(s["excerpt"], a["excerpt"])
            self.assertIs(s["comments_open"], bool(a["comments_open"]))
        fi = by_slug[HARBOUR]["feature_image"]
        demo = self.content.articles[HARBOUR]["feature_image"]
        self.assertEqual(path_of(fi["url"]), demo["url"])
        self.assertEqual((fi["alt"], fi["caption"], fi["width"],
                          fi["height"]), (demo["alt"], demo["caption"],
                                          demo["width"], demo["height"]))

    def test_pagination_walk(self):
        slugs = []
        total = len(self.published)
        pages = -(-total // 4)
        for page in range(1, pages + 1):
            items, p = self.listing(self.get_api("/articles" + q(
                limit=4, page=page)), "articles")
            self.assertEqual(p, {
                "page": page, "limit": 4, "pages": pages, "total": total,
                "next": page + 1 if page < pages else None,
                "prev": page - 1 if page > 1 else None})
            self.assertEqual(len(items), min(4, total - 4 * (page - 1)))
            slugs += [s["slug"] for s in items]
        self.assertEqual(slugs, [a["slug"] for a in self.published])

    def test_page_past_the_end_is_empty_with_true_meta(self):
        total = len(self.published)
        pages = -(-total // 4)
        for page in (pages + 1, pages + 7, 100000):
            items, p = self.listing(self.get_api("/articles" + q(
                limit=4, page=page)), "articles")
            self.assertEqual(items, [])
            self.assertEqual(p, {"page": page, "limit": 4, "pages": pages,
                                 "total": total, "next": None,
                                 "prev": page - 1})

    # -- one story ------------------------------------------------------------

    def test_single_story(self):
        a = self.content.articles[HARBOUR]
        r = self.get_api("/articles/" + HARBOUR)
        s = self.one(r, "articles")
        self.assertEqual(set(r.json()), {"articles"})
        self.assert_story(s, extra=INCLUDE_KEYS["tags"] |
                          INCLUDE_KEYS["authors"] |
                          INCLUDE_KEYS["comment_count"] | {"html"})
        self.assertNotIn("markdown", s, "markdown is for authenticated "
                         "callers only")
        self.assertEqual(s["title"], a["title"])
        self.assertIn("<strong>Night Market</strong>", s["html"])
        self.assertEqual([t["slug"] for t in s["tags"]], a["tags"])
        self.assertEqual(s["primary_tag"]["slug"], a["tags"][0])
        # Embedded tags and authors: at least these keys (the contract
        # does not say they are the whole resource), never an email.
        for t in s["tags"] + [s["primary_tag"]]:
            self.assertTrue({"id", "slug", "name", "url"} <= set(t), t)
            self.assertTrue(set(t) <= TAG_KEYS, t)
        self.assertEqual([x["slug"] for x in s["authors"]], [a["author"]])
        self.assertEqual(s["primary_author"]["slug"], a["author"])
        for x in s["authors"] + [s["primary_author"]]:
            self.assertTrue({"id", "slug", "name", "url"} <= set(x), x)
            self.assertTrue(set(x) <= AUTHOR_KEYS, x)
        self.assertEqual(s["comment_count"],
                         len(self.content.approved_comments(a)),
                         "approved comments and replies only")
        self.assertNotIn("@example.org", r.text, "no email in a story")

    def test_single_story_markdown_with_a_token(self):
        a = self.content.articles[HARBOUR]
        s = self.one(self.get_api("/articles/" + HARBOUR,
                                  token=self.token("editor")), "articles")
        self.assertEqual(s["markdown"], a["markdown"])
        self.assertIn("html", s)
        # An author's token is authenticated too.
        s = self.one(self.get_api("/articles/" + HARBOUR,
                                  token=self.token("author")), "articles")
        self.assertEqual(s["markdown"], a["markdown"])

    def test_authenticated_answers_are_not_stored(self):
        # SPEC section 7: API answers with auth are Cache-Control: no-store.
        r = self.get_api("/articles/" + HARBOUR, token=self.token("editor"))
        self.expect(r, 200)
        self.assertIn("no-store", (r.header("Cache-Control") or ""))

    def test_unknown_story_is_404(self):
        for slug in ("no-such-story", "a" * 300):
            self.expect_error(self.get_api("/articles/" + slug), 404,
                              "not_found", None)

    def test_drafts_and_scheduled_need_auth(self):
        for slug in ("api-read-draft", "api-read-scheduled"):
            self.expect_error(self.get_api("/articles/" + slug), 404,
                              "not_found")
        s = self.one(self.get_api("/articles/api-read-draft",
                                  token=self.token("editor")), "articles")
        self.assertEqual(s["status"], "draft")
        self.assertIsNone(s["published_at"])
        self.assertEqual(s["id"], self.draft_id)
        self.assertEqual(s["markdown"], "Draft *words* here.")
        s = self.one(self.get_api("/articles/api-read-scheduled",
                                  token=self.token("editor")), "articles")
        self.assertEqual(s["status"], "scheduled")
        self.assertEqual(s["published_at"], "2099-01-01T00:00:00Z")

    # -- tags and authors -----------------------------------------------------

    def test_tags_list(self):
        items, p = self.listing(self.get_api("/tags"), "tags")
        self.assertEqual(p["total"], len(self.content.tags))
        self.assertEqual(p["page"], 1)
        by_slug = {t["slug"]: t for t in items}
        self.assertEqual(set(by_slug), set(self.content.tags))
        for slug, t in by_slug.items():
            self.assertEqual(set(t), TAG_KEYS, slug)
            self.assertEqual(t["name"], self.content.tags[slug]["name"])
            self.assertEqual(t["article_count"],
                             len(self.content.with_tag(slug)), slug)
            self.assertEqual(path_of(t["url"]), "/tags/" + slug)
            self.assertRegex(t["url"], r"^https?://")
            self.assertEqual(path_of(t["feed_url"]),
                             "/tags/%s/feed.xml" % slug)

    def test_tags_list_pages(self):
        n = len(self.content.tags)
        items, p = self.listing(self.get_api("/tags?limit=2&page=2"), "tags")
        self.assertEqual(p, {"page": 2, "limit": 2, "pages": -(-n // 2),
                             "total": n, "next": 3 if n > 4 else None,
                             "prev": 1})
        self.assertEqual(len(items), 2)

    def test_tag_single(self):
        t = self.one(self.get_api("/tags/city"), "tags")
        self.assertEqual(set(t), TAG_KEYS)
        self.assertEqual(t["slug"], "city")
        self.assertEqual(t["name"], "City")
        self.assertEqual(t["article_count"],
                         len(self.content.with_tag("city")))
        self.expect_error(self.get_api("/tags/no-such-tag"), 404, "not_found")

    def test_authors_list_without_email(self):
        r = self.get_api("/authors?limit=100")
        items, p = self.listing(r, "authors")
        by_slug = {a["slug"]: a for a in items}
        for slug, demo in self.content.authors.items():
            self.assertIn(slug, by_slug)
            a = by_slug[slug]
            self.assertEqual(set(a), AUTHOR_KEYS, slug)
            self.assertEqual(a["name"], demo["name"])
            self.assertEqual(a["article_count"],
                             len(self.content.by_author(slug)), slug)
            self.assertEqual(path_of(a["url"]), "/authors/" + slug)
            self.assertNotIn(demo["email"], r.text)
        for a in items:
            self.assertNotIn("email", a)
        self.assertNotIn("@example.org", r.text)
        self.assertEqual(p["total"], len(items))

    def test_author_single(self):
        slug = "priya-halloran"
        r = self.get_api("/authors/" + slug)
        a = self.one(r, "authors")
        self.assertEqual(set(a), AUTHOR_KEYS)
        self.assertEqual(a["article_count"], len(self.content.by_author(slug)))
        self.assertEqual(a["bio"], self.content.authors[slug]["bio"])
        self.assertNotIn("@", r.text)
        self.expect_error(self.get_api("/authors/nobody-here"), 404,
                          "not_found")

    # -- comments -------------------------------------------------------------

    def test_story_comments_approved_only_oldest_first(self):
        a = self.content.articles[HARBOUR]
        r = self.get_api("/articles/%s/comments" % HARBOUR)
        items, p = self.listing(r, "comments")
        want = self.content.approved_comments(a)
        self.assertEqual(p["total"], len(want))
        self.assertEqual(sorted(c["body"] for c in items),
                         sorted(c["body"] for c in want))
        self.assertNotIn(PENDING_BODY, r.text)
        self.assertNotIn(SPAM_BODY, r.text)
        self.assertNotIn("@example.org", r.text, "no email in public")
        story = self.one(self.get_api("/articles/" + HARBOUR), "articles")
        times = [c["created_at"] for c in items]
        self.assertEqual(times, sorted(times), "oldest first")
        ids = {c["id"] for c in items}
        for c in items:
            self.assertEqual(set(c), COMMENT_KEYS)
            self.assertEqual(c["article_id"], story["id"])
            self.assertRegex(c["created_at"], TIME_RE)
            self.assertTrue(c["parent_id"] is None or c["parent_id"] in ids)
            self.assertNotIn("<script", c["html"])
        self.assertTrue(any(c["parent_id"] for c in items), "the reply")

    def test_comments_of_unknown_or_draft_story_404(self):
        for slug in ("no-such-story", "api-read-draft"):
            self.expect_error(self.get_api("/articles/%s/comments" % slug),
                              404, "not_found")

    # -- search ---------------------------------------------------------------

    def test_search_snippets_mark_the_words(self):
        r = self.get_api("/search?q=harbour&limit=5")
        items, p = self.listing(r, "articles")
        self.assertGreater(p["total"], 0)
        self.assertLessEqual(len(items), 5)
        self.assertEqual(p["limit"], 5)
        self.assertIn(HARBOUR, [s["slug"] for s in self.all_items(
            "/search?q=harbour", "articles")])
        for s in items:
            self.assertIn("snippet_html", s)
            self.assertTrue(STORY_KEYS <= set(s), sorted(s))
            snip = s["snippet_html"]
            self.assertIn("<mark>", snip, s["slug"])
            marked = re.findall(r"<mark>(.*?)</mark>", snip)
            self.assertTrue(marked)
            for m in marked:
                self.assertTrue(m.lower().startswith("harbour"), marked)
            rest = re.sub(r"</?mark>", "", snip)
            self.assertNotIn("<", rest, "only <mark> is markup: " + snip)
            self.assertNotIn(">", rest, "only <mark> is markup: " + snip)

    def test_search_finds_nothing_for_nonsense(self):
        items, p = self.listing(self.get_api("/search?q=zzqxvv"), "articles")
        self.assertEqual(items, [])
        self.assertEqual(p["total"], 0)

    # -- the description ------------------------------------------------------

    def test_openapi_document(self):
        r = self.get_api("/openapi.json")
        d = self.expect(r, 200)
        self.assertRegex(d.get("openapi", ""), r"^3\.1\.\d+$")
        self.assertIn("info", d)
        paths = d.get("paths") or {}
        norm = {re.sub(r"\{[^}]*\}", "{}", p[len(API):] if
                       p.startswith(API) else p) for p in paths}
        for want in ("/articles", "/articles/{}", "/articles/{}/comments",
                     "/tags", "/tags/{}", "/authors", "/authors/{}",
                     "/comments", "/comments/{}", "/subscribers",
                     "/subscribers/{}", "/media", "/search"):
            self.assertIn(want, norm, "openapi.json has no path %s" % want)

    # -- CORS -----------------------------------------------------------------

    def test_cors_on_public_reads(self):
        for path in ("/articles", "/articles/" + HARBOUR, "/tags",
                     "/tags/city", "/authors", "/search?q=harbour",
                     "/articles/%s/comments" % HARBOUR, "/openapi.json"):
            for origin in ("https://elsewhere.example", None):
                r = self.get_api(path, headers={"Origin": origin})
                self.expect(r, 200)
                self.assertEqual(r.header("Access-Control-Allow-Origin"), "*",
                                 "%s (Origin %s)" % (path, origin))

    def test_cors_preflight(self):
        for path in ("/articles", "/articles/" + HARBOUR,
                     "/articles/%s/comments" % HARBOUR, "/comments/1",
                     "/media", "/subscribers", "/tags", "/no/such/path"):
            r = self.api("OPTIONS", path, headers={
                "Origin": "https://elsewhere.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers":
                    "authorization, content-type"})
            self.assertEqual(r.status, 204, self.where(r))
            self.assertEqual(r.body, b"")

    def test_head_on_reads(self):
        for path in ("/articles", "/articles/" + HARBOUR, "/tags"):
            g = self.get_api(path)
            r = self.api("HEAD", path)
            self.assertEqual(r.status, 200, self.where(r))
            self.assertEqual(r.ctype, JSON)
            self.assertEqual(r.body, b"")
            self.assertEqual(r.header("Content-Length"),
                             g.header("Content-Length"))

    # -- errors ---------------------------------------------------------------

    def test_unknown_api_path_is_json_404(self):
        for path in ("/nope", "/articles/%s/nope" % HARBOUR, "/tags/city/x"):
            self.expect_error(self.get_api(path), 404, "not_found")
        r = self.get("/api/v2/articles")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.ctype, JSON, "every answer under /api/ is JSON")

    def test_wrong_method_is_405_with_allow(self):
        for method, path in (("DELETE", "/tags"), ("POST", "/tags/city"),
                             ("PUT", "/articles"), ("POST", "/search"),
                             ("PATCH", "/authors")):
            r = self.api(method, path, body={} if method != "DELETE"
                         else None, token=self.token("editor"))
            self.expect_error(r, 405, "method_not_allowed")
            self.assertTrue(r.header("Allow"), self.where(r))
            self.assertIn("GET", r.header("Allow"))

    def test_error_request_id_matches_the_log(self):
        e = self.expect_error(self.get_api("/articles/nope-404"), 404,
                              "not_found")
        self.assertIsInstance(e["request_id"], str)
        self.assertTrue(e["request_id"])
        line = self.gz.wait_access_line(lambda s: e["request_id"] in s)
        self.assertIsNotNone(line, "the request id is in the access log")
