"""The JSON API's list parameters (docs/API.md "List parameters" and
"filter"): page and limit bounds, tag, author, q, order, fields, include,
the NQL filter subset, and status for authenticated callers only. Every
refusal is a 400 whose error.field names the parameter.

The server holds the demo plus a few drafts and a scheduled story written
straight into the database, so the public lists are exactly the demo's
published stories.
"""
import calendar
import time

import harness
from test_api_read import INCLUDE_KEYS, STORY_KEYS, ApiCase, q

HARBOUR = "harbour-night-market-returns"


def day(s):
    """'2026-11-15' -> the epoch seconds of its midnight UTC."""
    return calendar.timegm(time.strptime(s, "%Y-%m-%d"))


def epoch(rfc3339):
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


class ApiParams(ApiCase):

    @classmethod
    def setUpData(cls):
        cls.content = harness.Content()
        cls.ed_draft = cls.insert_story("params-editor-draft",
                                        "Editor draft for params")
        cls.au_draft = cls.insert_story("params-author-draft",
                                        "Author draft for params",
                                        author=cls.ROLES["author"])
        cls.au2_draft = cls.insert_story("params-author2-draft",
                                         "Second author draft",
                                         author=cls.ROLES["author2"])
        cls.sched = cls.insert_story("params-scheduled", "Scheduled story",
                                     status="scheduled",
                                     published_at=4070908800)
        cls.cls_sql("INSERT INTO subscribers (email, name, status,"
                    " created_at) VALUES ('params.reader@example.com',"
                    " 'Params Reader', 'active', ?)", (int(time.time()),))

    # -- helpers --

    def slugs(self, query="", token=None, path="/articles"):
        """Every slug of a list (limit=100), in order, and the total."""
        sep = "&" if query else ""
        items, p = self.listing(self.get_api(
            path + "?" + query + sep + "limit=100", token=token), "articles")
        self.assertEqual(p["total"], len(items))
        return [s["slug"] for s in items]

    def published(self, pred=lambda a: True):
        return [a["slug"] for a in self.content.published if pred(a)]

    def bad(self, query, field, path="/articles", token=None):
        sep = "&" if "?" in path else "?"
        r = self.get_api(path + sep + query, token=token)
        return self.expect_error(r, 400, "bad_request", field)

    def filt(self, nql, token=None):
        return self.slugs(q(filter=nql)[1:], token=token)

    # -- page and limit -------------------------------------------------------

    def test_limit_out_of_range_or_malformed(self):
        for v in ("0", "101", "500", "-1", "1.5", "%00", "abc", "1e2",
                  "99999999999999999999", "0x10", "15abc"):
            with self.subTest(limit=v):
                self.bad("limit=" + v, "limit")

    def test_page_out_of_range_or_malformed(self):
        for v in ("0", "-1", "99999999999999999999", "100001", "1.5", "%00",
                  "abc", "2147483648"):
            with self.subTest(page=v):
                self.bad("page=" + v, "page")

    def test_bounds_are_allowed(self):
        items, p = self.listing(self.get_api("/articles?limit=100"),
                                "articles")
        self.assertEqual(p["limit"], 100)
        self.assertEqual(len(items), len(self.content.published))
        items, p = self.listing(self.get_api("/articles?limit=1&page=1"),
                                "articles")
        self.assertEqual(len(items), 1)
        self.assertEqual(p["pages"], len(self.content.published))
        self.assertEqual(p["next"], 2)
        items, p = self.listing(self.get_api("/articles?page=100000"),
                                "articles")
        self.assertEqual(items, [])
        self.assertEqual(p["page"], 100000)
        self.assertEqual(p["prev"], 99999)

    def test_limit_and_page_on_other_lists(self):
        self.bad("limit=101", "limit", path="/tags")
        self.bad("page=0", "page", path="/authors")
        self.bad("limit=0", "limit", path="/search?q=harbour")
        self.bad("limit=abc", "limit",
                 path="/articles/%s/comments" % HARBOUR)

    # -- tag, author, q -----------------------------------------------------

    def test_tag(self):
        for tag in ("science", "city", "sport"):
            self.assertEqual(self.slugs("tag=" + tag),
                             self.published(lambda a: tag in a["tags"]))
        self.assertEqual(self.slugs("tag=no-such-tag"), [])

    def test_author(self):
        for author in ("maren-okafor", "priya-halloran"):
            self.assertEqual(self.slugs("author=" + author),
                             self.published(lambda a: a["author"] == author))
        self.assertEqual(self.slugs("author=nobody-at-all"), [])

    def test_tag_and_author_together(self):
        self.assertEqual(
            self.slugs("tag=city&author=priya-halloran"),
            self.published(lambda a: "city" in a["tags"] and
                           a["author"] == "priya-halloran"))

    def test_q(self):
        got = self.slugs("q=otters")
        self.assertIn("otters-return-to-alder-river", got)
        self.assertNotIn("comet-naked-eye-weekend", got)
        self.assertEqual(self.slugs("q=zzqxvvnothing"), [])
        # q with tag narrows the search.
        got = self.slugs("q=harbour&tag=science")
        for slug in got:
            self.assertIn("science", self.content.articles[slug]["tags"])

    # -- order ----------------------------------------------------------------

    def test_default_order_is_published_at_desc(self):
        self.assertEqual(self.slugs(), self.published())

    def test_order_each_value(self):
        for key in ("published_at", "updated_at", "created_at", "title"):
            for direction in ("asc", "desc"):
                with self.subTest(order=key + " " + direction):
                    items, _ = self.listing(self.get_api(
                        "/articles" + q(order=key + " " + direction,
                                        limit=100)), "articles")
                    self.assertEqual(len(items), len(self.content.published))
                    vals = [s[key] for s in items]
                    if key == "title":
                        vals = [v.casefold() for v in vals]
                    want = sorted(vals, reverse=(direction == "desc"))
                    self.assertEqual(vals, want)
                    if key == "published_at":
                        slugs = [s["slug"] for s in items]
                        self.assertEqual(slugs, self.published()[::-1]
                                         if direction == "asc"
                                         else self.published())
                    if key == "title":
                        self.assertEqual(
                            [s["title"] for s in items],
                            sorted((a["title"] for a in
                                    self.content.published),
                                   key=str.casefold,
                                   reverse=(direction == "desc")))
            with self.subTest(order=key):
                r = self.get_api("/articles" + q(order=key))
                self.listing(r, "articles")

    def test_order_refused(self):
        for v in ("foo", "title sideways", "title asc desc", "password",
                  "title;drop table articles", "id", "-published_at",
                  "published_at desc, title"):
            with self.subTest(order=v):
                self.bad(q(order=v)[1:], "order")

    # -- fields ---------------------------------------------------------------

    def test_fields(self):
        for fields in (("id", "title", "url"), ("slug",),
                       ("published_at", "feature_image", "reading_time")):
            with self.subTest(fields=fields):
                items, _ = self.listing(self.get_api(
                    "/articles?fields=" + ",".join(fields)), "articles")
                self.assertEqual(len(items), len(self.content.published))
                for s in items:
                    self.assertEqual(set(s), set(fields))
        items, _ = self.listing(self.get_api("/articles?fields=slug,title"
                                             "&limit=3"), "articles")
        self.assertEqual([(s["slug"], s["title"]) for s in items],
                         [(a["slug"], a["title"])
                          for a in self.content.published[:3]])

    def test_fields_unknown_key(self):
        for v in ("id,nope", "password_hash", "email", "markdown_secret",
                  "author_id"):
            with self.subTest(fields=v):
                self.bad(q(fields=v)[1:], "fields")

    def test_fields_on_every_list_and_a_single_story(self):
        # "page, limit and fields work on every list (fields also on a
        # single story)".
        for path, resource, fields in (
                ("/tags", "tags", ("slug", "name")),
                ("/authors", "authors", ("slug",)),
                ("/articles/%s/comments" % HARBOUR, "comments",
                 ("id", "body")),
                ("/search?q=harbour", "articles", ("slug", "title"))):
            with self.subTest(path=path):
                sep = "&" if "?" in path else "?"
                items, _ = self.listing(self.get_api(
                    path + sep + "fields=" + ",".join(fields)), resource)
                self.assertTrue(items)
                for x in items:
                    self.assertEqual(set(x), set(fields))
                self.bad("fields=slug,nope", "fields", path=path)
        for path, resource, fields in (
                ("/comments?status=all", "comments", ("id", "status")),
                ("/subscribers", "subscribers", ("id", "email"))):
            with self.subTest(path=path):
                r = self.get_api(path + "&fields=" + ",".join(fields)
                                 if "?" in path else
                                 path + "?fields=" + ",".join(fields),
                                 token=self.token("editor"))
                items, _ = self.listing(r, resource)
                self.assertTrue(items)
                for x in items:
                    self.assertEqual(set(x), set(fields))
        s = self.one(self.get_api("/articles/%s?fields=id,title" % HARBOUR),
                     "articles")
        self.assertEqual(set(s), {"id", "title"})
        self.bad("fields=id,nope", "fields", path="/articles/" + HARBOUR)

    def test_search_needs_q(self):
        self.bad("limit=5", "q", path="/search")

    # -- include --------------------------------------------------------------

    def test_include_each(self):
        a = self.content.articles[HARBOUR]
        for inc in ("tags", "authors", "comment_count"):
            with self.subTest(include=inc):
                items, _ = self.listing(self.get_api(
                    "/articles?limit=100&include=" + inc), "articles")
                for s in items:
                    self.assert_story(s, extra=INCLUDE_KEYS[inc])
                s = [x for x in items if x["slug"] == HARBOUR][0]
                if inc == "tags":
                    self.assertEqual([t["slug"] for t in s["tags"]],
                                     a["tags"])
                    self.assertEqual(s["primary_tag"]["slug"], a["tags"][0])
                elif inc == "authors":
                    self.assertEqual([x["slug"] for x in s["authors"]],
                                     [a["author"]])
                    self.assertEqual(s["primary_author"]["slug"],
                                     a["author"])
                    self.assertNotIn("email", s["primary_author"])
                else:
                    self.assertEqual(s["comment_count"], len(
                        self.content.approved_comments(a)))

    def test_include_all_three(self):
        items, _ = self.listing(self.get_api(
            "/articles?include=tags,authors,comment_count"), "articles")
        extra = set().union(*INCLUDE_KEYS.values())
        for s in items:
            self.assert_story(s, extra=extra)
            self.assertNotIn("html", s)
            self.assertNotIn("markdown", s)

    def test_no_include_no_extra_keys(self):
        items, _ = self.listing(self.get_api("/articles"), "articles")
        for s in items:
            self.assertEqual(set(s), STORY_KEYS)

    def test_include_refused(self):
        for v in ("bogus", "tags,bogus", "html", "markdown", "email"):
            with self.subTest(include=v):
                self.bad(q(include=v)[1:], "include")

    # -- filter ---------------------------------------------------------------

    def test_filter_tag_and_author(self):
        self.assertEqual(self.filt("tag:city"),
                         self.published(lambda a: "city" in a["tags"]))
        self.assertEqual(self.filt("author:maren-okafor"),
                         self.published(lambda a: a["author"] ==
                                        "maren-okafor"))
        self.assertEqual(self.filt("tag:'city'"), self.filt("tag:city"))

    def test_filter_dates(self):
        t = day("2026-11-15")
        self.assertEqual(self.filt("published_at:>'2026-11-15'"),
                         self.published(lambda a: epoch(a["published_at"]) >
                                        t))
        self.assertEqual(self.filt("published_at:<2026-11-06"),
                         self.published(lambda a: epoch(a["published_at"]) <
                                        day("2026-11-06")))
        exact = "2026-11-20T12:00:00Z"   # the comet story
        self.assertIn("comet-naked-eye-weekend",
                      self.filt("published_at:>='%s'" % exact))
        self.assertNotIn("comet-naked-eye-weekend",
                         self.filt("published_at:>'%s'" % exact))
        self.assertIn("comet-naked-eye-weekend",
                      self.filt("published_at:<='%s'" % exact))
        self.assertEqual(self.filt("published_at:'%s'" % exact),
                         ["comet-naked-eye-weekend"])

    def test_filter_and_or(self):
        self.assertEqual(
            self.filt("tag:city+author:priya-halloran"),
            self.published(lambda a: "city" in a["tags"] and
                           a["author"] == "priya-halloran"))
        self.assertEqual(
            self.filt("tag:sport,tag:science"),
            self.published(lambda a: "sport" in a["tags"] or
                           "science" in a["tags"]))
        # and binds tighter than or
        self.assertEqual(
            self.filt("tag:sport,tag:science+author:tobias-lindqvist"),
            self.published(lambda a: "sport" in a["tags"] or (
                "science" in a["tags"] and
                a["author"] == "tobias-lindqvist")))
        self.assertEqual(
            self.filt("tag:city+published_at:>'2026-11-15'"),
            self.published(lambda a: "city" in a["tags"] and
                           epoch(a["published_at"]) > day("2026-11-15")))

    def test_filter_any_of_and_not(self):
        self.assertEqual(
            self.filt("tag:[sport,science]"),
            self.published(lambda a: "sport" in a["tags"] or
                           "science" in a["tags"]))
        self.assertEqual(
            self.filt("tag:[city,science],author:maren-okafor"),
            self.published(lambda a: "city" in a["tags"] or
                           "science" in a["tags"] or
                           a["author"] == "maren-okafor"))
        self.assertEqual(self.filt("tag:-city"),
                         self.published(lambda a: "city" not in a["tags"]))
        self.assertEqual(self.filt("author:-priya-halloran"),
                         self.published(lambda a: a["author"] !=
                                        "priya-halloran"))

    def test_filter_parentheses(self):
        self.assertEqual(
            self.filt("tag:city+(author:maren-okafor,"
                      "author:tobias-lindqvist)"),
            self.published(lambda a: "city" in a["tags"] and a["author"] in (
                "maren-okafor", "tobias-lindqvist")))
        self.assertEqual(
            self.filt("(tag:sport,tag:science)+author:priya-halloran"),
            self.published(lambda a: ("sport" in a["tags"] or
                                       "science" in a["tags"]) and
                           a["author"] == "priya-halloran"))

    def test_filter_slug_and_id(self):
        self.assertEqual(self.filt("slug:" + HARBOUR), [HARBOUR])
        self.assertEqual(self.filt("slug:-" + HARBOUR),
                         self.published(lambda a: a["slug"] != HARBOUR))
        sid = self.one(self.get_api("/articles/" + HARBOUR), "articles")["id"]
        self.assertEqual(self.filt("id:%d" % sid), [HARBOUR])
        self.assertEqual(self.filt("id:>0"), self.published())

    def test_filter_quoted_value_with_quote(self):
        # 'x\' OR 1=1 --' is one value: no tag has that slug.
        self.assertEqual(self.filt("tag:'x\\' OR 1=1 --'"), [])
        self.assertEqual(self.filt("tag:'City hall'"), [])

    def test_filter_combines_with_parameters(self):
        self.assertEqual(
            self.slugs(q(filter="author:priya-halloran")[1:] + "&tag=city"),
            self.published(lambda a: "city" in a["tags"] and
                           a["author"] == "priya-halloran"))

    def test_filter_syntax_errors(self):
        for v in ("tag:", "tag:city+", "(tag:city", "tag:city)",
                  "tag:[city", "tag city", "nokey:x", "title:x",
                  "tag:'unclosed", "+tag:city", "tag:city,,tag:sport",
                  "published_at:>'not-a-date'", "tag:[]",
                  "(" * 500 + "tag:city" + ")" * 499):
            with self.subTest(filter=v[:40]):
                e = self.bad(q(filter=v)[1:], "filter")
                self.assertLess(len(e["message"]), 1000)

    def test_filter_error_says_where(self):
        e = self.bad(q(filter="tag:city+(author:x")[1:], "filter")
        self.assertRegex(e["message"], r"\d",
                         "the message says where the syntax breaks")

    def test_filter_status_needs_auth(self):
        self.expect_error(self.get_api("/articles" + q(
            filter="status:draft")), 401, "unauthorized")
        self.expect_error(self.get_api("/articles" + q(
            filter="tag:city,status:draft")), 401, "unauthorized")
        got = self.slugs(q(filter="status:draft", status="all")[1:],
                         token=self.token("editor"))
        self.assertIn("params-editor-draft", got)
        self.assertIn("params-author-draft", got)
        self.assertNotIn(HARBOUR, got)

    # -- status ---------------------------------------------------------------

    def test_status_anonymous_is_401(self):
        for v in ("draft", "all", "scheduled"):
            with self.subTest(status=v):
                r = self.get_api("/articles?status=" + v)
                self.expect_error(r, 401, "unauthorized")
                self.assertTrue((r.header("WWW-Authenticate") or "")
                                .startswith("Bearer"))

    def test_status_editor(self):
        tok = self.token("editor")
        drafts = self.slugs("status=draft", token=tok)
        self.assertEqual(set(drafts), {"params-editor-draft",
                                       "params-author-draft",
                                       "params-author2-draft"})
        self.assertEqual(self.slugs("status=scheduled", token=tok),
                         ["params-scheduled"])
        self.assertEqual(self.slugs("status=published", token=tok),
                         self.published())
        everything = self.slugs("status=all", token=tok)
        self.assertEqual(len(everything), len(self.content.published) + 4)
        self.assertEqual(set(everything), set(self.published()) | {
            "params-editor-draft", "params-author-draft",
            "params-author2-draft", "params-scheduled"})
        items, _ = self.listing(self.get_api(
            "/articles?status=draft&limit=100", token=tok), "articles")
        for s in items:
            self.assertEqual(s["status"], "draft")
            self.assertIsNone(s["published_at"])

    def test_status_author_sees_own(self):
        tok = self.token("author")
        self.assertEqual(self.slugs("status=draft", token=tok),
                         ["params-author-draft"])
        everything = self.slugs("status=all", token=tok)
        self.assertIn("params-author-draft", everything)
        self.assertNotIn("params-editor-draft", everything)
        self.assertNotIn("params-author2-draft", everything)
        self.assertNotIn("params-scheduled", everything)

    def test_status_refused(self):
        for v in ("bogus", "pending", "Draft", "draft,published"):
            with self.subTest(status=v):
                self.bad("status=" + v, "status", token=self.token("editor"))

    def test_comment_status_refused(self):
        for v in ("bogus", "draft", "published"):
            with self.subTest(status=v):
                self.bad("status=" + v, "status", path="/comments",
                         token=self.token("editor"))
