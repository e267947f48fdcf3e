"""Comments (SPEC section 4): POST /articles/{slug}/comments with and
without JavaScript, every field rule, the honeypot, the rate limit, the
one level of replies, the three moderation policies, closed comments,
unknown stories, and hostile names and bodies shown escaped.

Every post comes from its own loopback address (127.x.y.z), so the
per-client rate limit of one test never spills into another; the rate
limit test uses one address on purpose. Settings and stories are changed
straight in the test database, as the newsroom would change them.
"""
import re
import unittest

import harness
from test_engage_common import EngageCase

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_BODY = "\"'><img src=x onerror=alert(1)>"


class CommentTests(EngageCase):

    def story(self, slug, **kw):
        self.new_story(slug, "Story " + slug, **kw)
        return slug

    def comment(self, slug, json_accept=True, source=None, **fields):
        f = {"name": "Ann Reader", "email": "", "body": "Hello there.",
             "parent_id": "", "website": ""}
        f.update(fields)
        return self.post("/articles/%s/comments" % slug, f,
                         json_accept=json_accept,
                         source=source or harness.new_client_address())

    def article(self, slug, query=""):
        r, doc = self.page("/articles/%s%s" % (slug, query))
        return r, doc

    def count_on_page(self, slug):
        _, doc = self.article(slug)
        return int(doc.find("span", cls="comments__count").text.strip())

    def assert_invalid(self, r, field):
        self.assertEqual(r.status, 422, r.text[:300])
        self.assertEqual(r.ctype, "application/json")
        e = r.json()["error"]
        self.assertEqual(e["code"], "validation_failed")
        self.assertEqual(e["field"], field)
        self.assertTrue(e["message"])
        return e

    # -- the form --------------------------------------------------------------

    def test_form_on_every_article_page(self):
        for slug in [s["slug"] for s in self.sql(
                "SELECT slug FROM articles WHERE status = 'published'"
                " AND comments_open = 1 LIMIT 5")]:
            _, doc = self.article(slug)
            form = doc.find("form", id="comment-form")
            self.assertIsNotNone(form, slug)
            self.assertEqual(form.get("action"),
                             "/articles/%s/comments" % slug)
            self.assertEqual(form.get("method"), "post")
            names = {i.get("name") for i in doc.find_all("input")
                     + doc.find_all("textarea")}
            for n in ("name", "email", "body", "parent_id", "website"):
                self.assertIn(n, names)

    # -- JSON answers and policies --------------------------------------------

    def test_json_201_when_approved(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("json-approved")
        before = self.count_on_page(slug)
        r = self.comment(slug, name="Bea Ploom", email="bea@example.com",
                         body="First!\nSecond line.")
        self.assertEqual(r.status, 201, r.text)
        c = r.json()
        self.assertEqual(c["status"], "approved")
        self.assertEqual(c["name"], "Bea Ploom")
        self.assertEqual(c["initials"], "BP")
        self.assertIn("First!<br>Second line.", c["body_html"])
        self.assertIsNone(c["parent_id"])
        self.assertNotIn("email", c)
        self.assertNotIn("bea@example.com", r.text)
        self.assertEqual(c["url"], "/articles/%s#comment-%d" % (slug, c["id"]))
        # The page changes at once (the page cache follows the content).
        r2, doc = self.article(slug)
        self.assertEqual(self.count_on_page(slug), before + 1)
        li = doc.find("li", id="comment-%d" % c["id"])
        self.assertIsNotNone(li)
        self.assertIn("Bea Ploom", li.text)
        self.assertNotIn("bea@example.com", r2.text)

    def test_json_202_when_held(self):
        self.set_setting("comment_policy", "hold")
        slug = self.story("json-held")
        r = self.comment(slug, email="held@example.com", body="Hold me.")
        self.assertEqual(r.status, 202, r.text)
        c = r.json()
        self.assertEqual(c["status"], "pending")
        self.assertIn("awaiting moderation", c["message"])
        row = self.sql("SELECT status, email, body, client FROM comments"
                       " WHERE id = ?", (c["id"],))[0]
        self.assertEqual(row["status"], "pending")
        self.assertEqual(row["email"], "held@example.com")
        self.assertEqual(row["body"], "Hold me.")
        self.assertTrue(row["client"].startswith("127."))
        r2, _ = self.article(slug)
        self.assertNotIn("Hold me.", r2.text)
        self.assertEqual(self.count_on_page(slug), 0)
        # Approving it shows it at once: count and list.
        self.sql("UPDATE comments SET status = 'approved' WHERE id = ?",
                 (c["id"],))
        r3, doc = self.article(slug)
        self.assertIn("Hold me.", r3.text)
        self.assertEqual(self.count_on_page(slug), 1)

    def test_policy_first_time_by_email(self):
        self.set_setting("comment_policy", "first")
        slug = self.story("first-email")
        r = self.comment(slug, name="Cy", email="cy@example.com", body="one")
        self.assertEqual(r.status, 202, r.text)
        # Still held while the first one waits.
        r = self.comment(slug, name="Cy", email="cy@example.com", body="two")
        self.assertEqual(r.status, 202, r.text)
        self.sql("UPDATE comments SET status = 'approved' WHERE body = 'one'")
        # Known now: approved at once, whatever the case of the address
        # and the name used.
        r = self.comment(slug, name="Cyrus", email="CY@Example.com",
                         body="three")
        self.assertEqual(r.status, 201, r.text)
        # The name alone does not borrow the standing of the address.
        r = self.comment(slug, name="Cy", email="", body="four")
        self.assertEqual(r.status, 202, r.text)
        r = self.comment(slug, name="Cy", email="other@example.com",
                         body="five")
        self.assertEqual(r.status, 202, r.text)

    def test_policy_first_time_by_name_without_email(self):
        self.set_setting("comment_policy", "first")
        slug = self.story("first-name")
        r = self.comment(slug, name="Zed Noaddr", body="one")
        self.assertEqual(r.status, 202, r.text)
        self.sql("UPDATE comments SET status = 'approved'"
                 " WHERE name = 'Zed Noaddr'")
        r = self.comment(slug, name="Zed Noaddr", body="two")
        self.assertEqual(r.status, 201, r.text)
        r = self.comment(slug, name="Zed Other", body="three")
        self.assertEqual(r.status, 202, r.text)

    def test_policy_default_is_first(self):
        self.sql("DELETE FROM settings WHERE key = 'comment_policy'")
        slug = self.story("policy-default")
        r = self.comment(slug, name="Newcomer", email="new1@example.com")
        self.assertEqual(r.status, 202, r.text)

    def test_policy_approve_and_hold(self):
        slug = self.story("policies")
        self.set_setting("comment_policy", "approve")
        self.assertEqual(self.comment(slug, email="a1@example.com").status,
                         201)
        self.set_setting("comment_policy", "hold")
        # Hold all: even a known commenter waits.
        self.assertEqual(self.comment(slug, email="a1@example.com").status,
                         202)

    # -- without JavaScript -----------------------------------------------------

    def test_form_posted_redirects_to_the_comment(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("nojs-posted")
        r = self.comment(slug, json_accept=False, name="Dee",
                         body="Posted without JS")
        self.assertEqual(r.status, 303, r.text[:300])
        loc = r.header("Location")
        m = re.fullmatch(r"/articles/%s\?comment=posted#comment-(\d+)" % slug,
                         loc)
        self.assertTrue(m, loc)
        r2, doc = self.page(loc.split("#")[0])
        self.assertIsNotNone(doc.find("li", id="comment-" + m.group(1)))
        notice = doc.find("p", cls="notice--success")
        self.assertIsNotNone(notice)
        self.assertIn("posted", notice.text)

    def test_form_held_redirects_with_a_notice(self):
        self.set_setting("comment_policy", "hold")
        slug = self.story("nojs-held")
        r = self.comment(slug, json_accept=False, body="Held without JS")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"),
                         "/articles/%s?comment=held#comments" % slug)
        r2, doc = self.page("/articles/%s?comment=held" % slug)
        notice = doc.find("p", cls="notice--success")
        self.assertIsNotNone(notice)
        self.assertIn("awaiting moderation", notice.text)
        self.assertNotIn("Held without JS", r2.text)
        # The plain page has no notice.
        _, doc = self.article(slug)
        self.assertIsNone(doc.find("p", cls="notice--success"))

    def test_form_errors_rerender_the_page_with_input_kept(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("nojs-errors")
        r = self.comment(slug, json_accept=False, name="Ann Typist",
                         email="not-an-address", body="   ")
        self.assertEqual(r.status, 422)
        self.assertEqual(r.ctype, "text/html")
        doc = harness.parse_html(r.text)
        self.assertEqual(doc.find("h1").text.strip(), "Story " + slug)
        name = doc.find("input", id="comment-name")
        self.assertEqual(name.get("value"), "Ann Typist")
        self.assertIsNone(name.get("aria-invalid"))
        email = doc.find("input", id="comment-email")
        self.assertEqual(email.get("value"), "not-an-address")
        self.assertEqual(email.get("aria-invalid"), "true")
        self.assertIn("valid email", doc.find(id="comment-email-error").text)
        body = doc.find("textarea", id="comment-body")
        self.assertEqual(body.get("aria-invalid"), "true")
        self.assertIn("Write a comment", doc.find(id="comment-body-error").text)
        self.assertIsNotNone(doc.find("p", cls="notice--error"))
        self.assertEqual(doc.meta("robots"), "noindex")
        canonical = doc.links("canonical")[0].get("href")
        self.assertTrue(canonical.endswith("/articles/" + slug), canonical)
        # Nothing stored.
        self.assertEqual(self.one("SELECT count(*) FROM comments c JOIN"
                                  " articles a ON a.id = c.article_id"
                                  " WHERE a.slug = ?", (slug,)), 0)

    def test_form_errors_keep_the_typed_body_and_reply(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("nojs-keep")
        top = self.comment(slug, body="top").json()["id"]
        r = self.comment(slug, json_accept=False, name="",
                         body="Line one\nLine two", parent_id=str(top))
        self.assertEqual(r.status, 422)
        doc = harness.parse_html(r.text)
        self.assertEqual(doc.find("textarea", id="comment-body").text,
                         "Line one\nLine two")
        self.assertEqual(doc.find("input", name="parent_id")
                         .get("value"), str(top))
        self.assertIn("name", doc.find(id="comment-name-error").text)

    # -- field rules --------------------------------------------------------------

    def test_name_rules(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("rules-name")
        self.assert_invalid(self.comment(slug, name=""), "name")
        self.assert_invalid(self.comment(slug, name="   "), "name")
        self.assert_invalid(self.comment(slug, name="x" * 81), "name")
        self.assert_invalid(self.comment(slug, name="two\nlines"), "name")
        self.assertEqual(self.comment(slug, name="x" * 80).status, 201)
        # 80 characters, not bytes.
        self.assertEqual(self.comment(slug, name="é" * 80).status, 201)
        self.assert_invalid(self.comment(slug, name="é" * 81), "name")

    def test_body_rules(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("rules-body")
        self.assert_invalid(self.comment(slug, body=""), "body")
        self.assert_invalid(self.comment(slug, body=" \r\n\t "), "body")
        self.assert_invalid(self.comment(slug, body="b" * 5001), "body")
        self.assertEqual(self.comment(slug, body="b" * 5000).status, 201)
        self.assertEqual(self.comment(slug, body="ü" * 5000).status, 201)
        self.assert_invalid(self.comment(slug, body="ü" * 5001), "body")
        self.assert_invalid(self.comment(slug, body="bell\x07"), "body")

    def test_long_body_arrives_whole(self):
        """A 5000-character body of two-byte characters is 30 KB of form
        data, more than one read of the server: it must arrive whole."""
        self.set_setting("comment_policy", "approve")
        slug = self.story("rules-long")
        body = "ü" * 4990 + "0123456789"
        r = self.comment(slug, email="long@example.com", body=body)
        self.assertEqual(r.status, 201, r.text[:200])
        got = self.one("SELECT body FROM comments WHERE id = ?",
                       (r.json()["id"],))
        self.assertEqual(len(got), 5000,
                         "SERVER BUG (src/http/server.c form parsing with "
                         "MHD 0.9.75's urlencoded post processor): a long "
                         "form value lost %d characters on the way"
                         % (5000 - len(got)))
        self.assertEqual(got, body)

    def test_email_rules(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("rules-email")
        for bad in ("no-at-sign", "a@b", "two@@example.com", "sp ace@x.org",
                    "a@" + "x" * 250 + ".com", "<a@example.com>",
                    "a@exa_mple.com", "a@-example.com"):
            e = self.assert_invalid(self.comment(slug, email=bad), "email")
            self.assertIn("valid email", e["message"], bad)
        r = self.comment(slug, email="ok.name+tag@mail.example.co.uk")
        self.assertEqual(r.status, 201, r.text)

    def test_several_errors_in_json(self):
        slug = self.story("rules-several")
        e = self.assert_invalid(self.comment(slug, name="", body="",
                                             email="x"), "name")
        self.assertEqual(set(e["fields"]), {"name", "email", "body"})

    # -- replies ------------------------------------------------------------------

    def test_one_level_of_replies(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("replies")
        other = self.story("replies-other")
        top = self.comment(slug, name="Top", body="top level").json()["id"]
        r = self.comment(slug, name="Replier", body="a reply",
                         parent_id=str(top))
        self.assertEqual(r.status, 201, r.text)
        reply = r.json()
        self.assertEqual(reply["parent_id"], top)
        # Shown nested under its parent.
        _, doc = self.article(slug)
        li = doc.find("li", id="comment-%d" % top)
        nested = [e for e in doc.find_all("li", cls="comment--reply")
                  if li in list(e.ancestors())]
        self.assertEqual([e.get("id") for e in nested],
                         ["comment-%d" % reply["id"]])
        # No reply to a reply.
        self.assert_invalid(self.comment(slug, parent_id=str(reply["id"])),
                            "parent_id")
        # Not a comment of another story.
        self.assert_invalid(self.comment(other, parent_id=str(top)),
                            "parent_id")
        # Not an unknown or malformed id.
        for bad in ("999999", "0", "-1", "abc", "1e3", "12 "):
            self.assert_invalid(self.comment(slug, parent_id=bad),
                                "parent_id")
        # Not a comment that is not approved.
        self.set_setting("comment_policy", "hold")
        held = self.comment(slug, body="held top").json()["id"]
        self.set_setting("comment_policy", "approve")
        self.assert_invalid(self.comment(slug, parent_id=str(held)),
                            "parent_id")
        self.sql("UPDATE comments SET status = 'spam' WHERE id = ?", (top,))
        self.assert_invalid(self.comment(slug, parent_id=str(top)),
                            "parent_id")

    def test_reply_link_works_without_js(self):
        """Issue 10: every top-level comment has a plain Reply link
        (?reply=ID#comment-form); the page it opens has the form filled
        in server-side (parent_id, "Replying to NAME", a cancel link)."""
        self.set_setting("comment_policy", "approve")
        slug = self.story("reply-link")
        top = self.comment(slug, name="Tess Top", body="top").json()["id"]
        reply = self.comment(slug, name="Rae Reply", body="nested",
                             parent_id=str(top)).json()["id"]
        _, doc = self.article(slug)
        links = doc.find_all("a", cls="comment__reply")
        self.assertEqual([a.get("href") for a in links],
                         ["?reply=%d#comment-form" % top],
                         "one link, on the top-level comment only")
        self.assertNotIn("hidden", links[0].attrs)
        status = doc.find("p", cls="comment-form__replying")
        self.assertIn("hidden", status.attrs, "not replying yet")
        self.assertEqual(doc.find("input", name="parent_id").get("value"),
                         "")
        # Following the link: the form replies to that comment.
        r, doc = self.article(slug, "?reply=%d" % top)
        self.assertEqual(r.status, 200)
        self.assertEqual(doc.find("input", name="parent_id").get("value"),
                         str(top))
        status = doc.find("p", cls="comment-form__replying")
        self.assertNotIn("hidden", status.attrs)
        self.assertIn("Replying to Tess Top", status.text)
        cancel = [a for a in doc.find_all("a")
                  if status in list(a.ancestors())][0]
        self.assertEqual(cancel.get("href"),
                         "/articles/%s#comment-form" % slug)
        # Posting that form (no JavaScript) makes a nested reply.
        r = self.comment(slug, json_accept=False, name="Nora NoJS",
                         body="reply without script", parent_id=str(top))
        self.assertEqual(r.status, 303)
        self.assertEqual(self.one(
            "SELECT parent_id FROM comments WHERE name = 'Nora NoJS'"), top)
        # The reply is cached as its own page; junk is ignored, not an error.
        r2, _ = self.article(slug, "?reply=%d" % top)
        self.assertEqual(r2.status, 200)
        for junk in (str(reply), "999999", "abc", "0", "-1", ""):
            r, doc = self.article(slug, "?reply=" + junk)
            self.assertEqual(r.status, 200, junk)
            self.assertEqual(doc.find("input", name="parent_id")
                             .get("value"), "", junk)
            self.assertIn("hidden", doc.find(
                "p", cls="comment-form__replying").attrs, junk)
        # A hostile name is escaped in "Replying to".
        evil = self.comment(slug, name=HOSTILE_NAME, body="x").json()["id"]
        r, doc = self.article(slug, "?reply=%d" % evil)
        self.assertNotIn(HOSTILE_NAME, r.text)
        self.assertIn("Replying to " + HOSTILE_NAME, doc.find(
            "p", cls="comment-form__replying").text)
        # Closed comments: no links.
        self.sql("UPDATE articles SET comments_open = 0 WHERE slug = ?",
                 (slug,))
        r, doc = self.article(slug, "?reply=%d" % top)
        self.assertEqual(doc.find_all("a", cls="comment__reply"), [])

    def test_reply_error_without_js(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("replies-nojs")
        r = self.comment(slug, json_accept=False, body="orphan",
                         parent_id="424242")
        self.assertEqual(r.status, 422)
        doc = harness.parse_html(r.text)
        self.assertIn("no longer available",
                      doc.find("p", cls="notice--error").text)
        self.assertEqual(doc.find("textarea", id="comment-body").text,
                         "orphan")

    # -- honeypot, rate limit --------------------------------------------------------

    def test_honeypot_pretends_and_stores_nothing(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("honeypot")
        n = self.one("SELECT count(*) FROM comments")
        r = self.comment(slug, website="http://spam.example", body="Buy!")
        self.assertEqual(r.status, 202, r.text)
        self.assertEqual(r.json()["status"], "pending")
        r = self.comment(slug, json_accept=False, website="x", body="Buy!")
        self.assertEqual(r.status, 303)
        self.assertIn("comment=held", r.header("Location"))
        self.assertEqual(self.one("SELECT count(*) FROM comments"), n)
        r2, _ = self.article(slug)
        self.assertNotIn("Buy!", r2.text)

    def test_rate_limit_per_client(self):
        self.set_setting("comment_policy", "hold")
        slug = self.story("rate-limit")
        me = harness.new_client_address()
        for i in range(5):
            r = self.comment(slug, source=me, body="post %d" % i)
            self.assertEqual(r.status, 202, (i, r.text))
        r = self.comment(slug, source=me, body="one too many")
        self.assertEqual(r.status, 429, r.text)
        self.assertGreater(int(r.header("Retry-After")), 0)
        self.assertLessEqual(int(r.header("Retry-After")), 60)
        self.assertEqual(r.json()["error"]["code"], "rate_limited")
        r = self.comment(slug, source=me, json_accept=False, body="html")
        self.assertEqual(r.status, 429)
        self.assertEqual(r.ctype, "text/html")
        # Someone else is not affected.
        self.assertEqual(self.comment(slug, body="neighbour").status, 202)
        self.assertEqual(self.one("SELECT count(*) FROM comments"
                                  " WHERE body = 'one too many'"), 0)

    # -- where comments cannot go ---------------------------------------------------

    def test_closed_comments(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("closed", comments_open=0)
        r = self.comment(slug)
        self.assertEqual(r.status, 403)
        self.assertIn("closed", r.json()["error"]["message"])
        r = self.comment(slug, json_accept=False)
        self.assertEqual(r.status, 403)
        self.assertIn("Comments are closed", r.text)
        _, doc = self.article(slug)
        self.assertIsNone(doc.find("form", id="comment-form"))
        self.assertIn("Comments are closed",
                      doc.find("p", cls="comments__closed").text)
        # Reopened: accepted again.
        self.sql("UPDATE articles SET comments_open = 1 WHERE slug = ?",
                 (slug,))
        self.assertEqual(self.comment(slug).status, 201)

    def test_unknown_or_unpublished_story(self):
        self.assertEqual(self.comment("no-such-story").status, 404)
        self.assertEqual(self.comment("no-such-story",
                                      json_accept=False).status, 404)
        self.story("a-draft", status="draft")
        self.assertEqual(self.comment("a-draft").status, 404)
        self.assertEqual(self.comment("Bad_Slug").status, 404)
        r = self.gz.request("GET", "/articles/a-draft/comments")
        self.assertEqual(r.status, 405)

    def test_cross_site_post_refused(self):
        slug = self.story("cross-site")
        r = self.post("/articles/%s/comments" % slug,
                      {"name": "X", "body": "y"},
                      headers={"Origin": "http://evil.example"},
                      source=harness.new_client_address())
        self.assertEqual(r.status, 403)
        self.assertEqual(self.one("SELECT count(*) FROM comments c JOIN"
                                  " articles a ON a.id = c.article_id"
                                  " WHERE a.slug = ?", (slug,)), 0)

    # -- what is shown -------------------------------------------------------------------

    def test_hostile_name_and_body_shown_escaped(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("hostile")
        r = self.comment(slug, name=HOSTILE_NAME, body=HOSTILE_BODY)
        self.assertEqual(r.status, 201, r.text)
        self.assertNotIn("<script>", r.json()["body_html"])
        self.assertNotIn("<img", r.json()["body_html"])
        r2, doc = self.article(slug)
        self.assertNotIn(HOSTILE_NAME, r2.text)
        self.assertNotIn("<img src=x", r2.text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", r2.text)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", r2.text)
        li = doc.find("li", id="comment-%d" % r.json()["id"])
        self.assertIn(HOSTILE_NAME, li.text)  # decoded: shown as text
        self.assertIn(HOSTILE_BODY, li.text)
        self.assertEqual([e for e in doc.find_all("img")
                          if e.get("src") == "x"], [])
        # The re-rendered form escapes what was typed too.
        r = self.comment(slug, json_accept=False, name=HOSTILE_BODY,
                         email=HOSTILE_NAME, body="")
        self.assertEqual(r.status, 422)
        self.assertNotIn(HOSTILE_NAME, r.text)
        self.assertNotIn("<img src=x", r.text)
        doc = harness.parse_html(r.text)
        self.assertEqual(doc.find("input", id="comment-name").get("value"),
                         HOSTILE_BODY)
        self.assertEqual(doc.find("input", id="comment-email").get("value"),
                         HOSTILE_NAME)

    def test_line_breaks_kept_and_links_nofollow(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("formatting")
        body = "line one\r\nline two\r\n\r\nSee https://example.org/a?b=1&c=2"
        c = self.comment(slug, body=body).json()
        self.assertEqual(self.one("SELECT body FROM comments WHERE id = ?",
                                  (c["id"],)),
                         body.replace("\r\n", "\n"))
        _, doc = self.article(slug)
        li = doc.find("li", id="comment-%d" % c["id"])
        html = [e for e in doc.find_all("div", cls="comment__body")
                if li in list(e.ancestors())][0]
        a = [e for e in doc.find_all("a") if html in list(e.ancestors())]
        self.assertEqual(len(a), 1)
        self.assertEqual(a[0].get("href"), "https://example.org/a?b=1&c=2")
        self.assertEqual(a[0].get("rel"), "nofollow ugc")
        self.assertEqual(len([e for e in doc.find_all("br")
                              if html in list(e.ancestors())]), 1)
        self.assertEqual(len([e for e in doc.find_all("p")
                              if html in list(e.ancestors())]), 2)

    def test_email_never_published(self):
        self.set_setting("comment_policy", "approve")
        slug = self.story("email-private")
        self.comment(slug, email="secret.reader@example.com", body="hi")
        r = self.get("/articles/" + slug)
        self.assertNotIn("secret.reader", r.text)
        r = self.get("/api/v1/articles/%s/comments" % slug)
        self.assertEqual(r.status, 200)
        self.assertNotIn("secret.reader", r.text)


if __name__ == "__main__":
    unittest.main()
