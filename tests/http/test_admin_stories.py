"""Stories in the newsroom: the list, the form and its errors, slugs, tags,
preview (with and without JavaScript), publish / schedule / unpublish /
delete, what readers see at once, and who may do what."""
import json
import re
import time
import urllib.parse

import harness
from test_admin_support import NewsroomCase, utc_local


def textarea(doc, name):
    """A textarea's value as a browser reads it (the one newline after the
    start tag is not part of the value)."""
    t = doc.find("textarea", name=name).text
    return t[1:] if t.startswith("\n") else t


class Stories(NewsroomCase):

    # -- the form -----------------------------------------------------------

    def test_new_form_has_every_field_with_a_label(self):
        r, doc = self.editor().page("/admin/stories/new")
        self.assertEqual(r.status, 200)
        form = doc.find("form", action="/admin/stories")
        self.assertEqual(form.get("enctype"), "multipart/form-data")
        self.assertEqual(form.get("method"), "post")
        for name in ("title", "slug", "excerpt", "markdown", "tags", "image",
                     "image_alt", "image_caption", "comments_open",
                     "publish_at"):
            el = (doc.find("input", name=name) or
                  doc.find("textarea", name=name))
            self.assertIsNotNone(el, name)
            self.assertIsNotNone(doc.find("label", for_=el.get("id")),
                                 "no label for " + name)
        self.assertEqual(doc.find("input", name="image").get("type"), "file")
        self.assertEqual(doc.find("input", name="publish_at").get("type"),
                         "datetime-local")
        self.assertIsNotNone(doc.find("input", name="comments_open",
                                      checked=""))
        actions = [b.get("value") for b in doc.find_all("button",
                                                        name="action")]
        for a in ("save", "preview", "publish", "schedule"):
            self.assertIn(a, actions)
        self.assertEqual(actions[0], "save", "Enter saves, never publishes")
        self.assertNotIn("unpublish", actions, "nothing to unpublish yet")

    def test_create_draft_with_tags_made_on_the_fly(self):
        c = self.editor()
        r, sid = self.create_story(
            c, "Ferry timetable changes for the winter",
            markdown="## What changes\n\nThe **last ferry** leaves at 22:40.",
            excerpt="Fewer crossings after dark.",
            tags=" Ferries , City,  , Winter service, ferries")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"),
                         "/admin/stories/%d?done=created" % sid)
        row = self.story_row(id=sid)
        self.assertEqual(row["status"], "draft")
        self.assertEqual(row["slug"], "ferry-timetable-changes-for-the-winter")
        self.assertIsNone(row["published_at"])
        self.assertEqual(row["notified"], 0)
        self.assertIn("<h2>What changes</h2>", row["html"])
        self.assertIn("<strong>last ferry</strong>", row["html"])
        self.assertEqual(row["comments_open"], 1)
        author = self.query("SELECT email FROM users WHERE id = ?",
                            row["author_id"])[0][0]
        self.assertEqual(author, "editor@example.org")
        tags = self.query("SELECT t.slug, t.name, x.position FROM article_tags"
                          " x JOIN tags t ON t.id = x.tag_id"
                          " WHERE x.article_id = ? ORDER BY x.position", sid)
        self.assertEqual([(t[0], t[1], t[2]) for t in tags], [
            ("ferries", "Ferries", 0), ("city", "City", 1),
            ("winter-service", "Winter service", 2)])
        # The form comes back with a notice and everything as saved.
        r, doc = c.page(r.header("Location"))
        self.assertEqual(r.status, 200)
        self.assertIn("Draft saved.", r.text)
        self.assertEqual(doc.find("input", name="tags").get("value"),
                         "Ferries, City, Winter service")
        self.assertEqual(textarea(doc, "markdown"),
                         "## What changes\n\nThe **last ferry** leaves at "
                         "22:40.")
        # A draft is not on the site.
        self.assertEqual(self.get("/articles/" + row["slug"]).status, 404)

    def test_errors_keep_everything_typed(self):
        c = self.editor()
        typed = {"title": "", "slug": "", "excerpt": "An excerpt <b>kept</b>",
                 "markdown": "\nLine one\n\n  indented & <odd> \"quotes\"",
                 "tags": "One, Two", "image_alt": "alt kept",
                 "image_caption": "caption kept", "action": "save"}
        before = self.query("SELECT count(*) FROM articles")[0][0]
        r = c.post("/admin/stories", typed, multipart_form=True)
        self.assertEqual(r.status, 422)
        doc = harness.parse_html(r.text)
        self.assertEqual(self.query("SELECT count(*) FROM articles")[0][0],
                         before)
        err = doc.find("p", id="f-title-error")
        self.assertIsNotNone(err, "the error sits beside the title")
        self.assertIn("title", err.text)
        title = doc.find("input", name="title")
        self.assertEqual(title.get("aria-invalid"), "true")
        self.assertIn("f-title-error", title.get("aria-describedby"))
        self.assertEqual(textarea(doc, "excerpt"), typed["excerpt"])
        self.assertEqual(textarea(doc, "markdown"), typed["markdown"])
        self.assertEqual(doc.find("input", name="tags").get("value"),
                         "One, Two")
        self.assertEqual(doc.find("input", name="image_alt").get("value"),
                         "alt kept")
        self.assertEqual(textarea(doc, "image_caption"), "caption kept")
        self.assertIsNone(doc.find("input", name="comments_open",
                                   checked=""), "unchecked stays unchecked")
        self.assertNotIn("<b>kept</b>", r.text, "typed text is escaped")
        summary = doc.find("div", cls="nr-errors")
        self.assertIsNotNone(summary)
        links = [a for a in doc.find_all("a", href="#f-title")
                 if summary in a.ancestors()]
        self.assertEqual(len(links), 1, "the summary links to the field")

    def test_field_limits(self):
        c = self.editor()
        cases = [
            ({"title": "x" * 301}, "title"),
            ({"title": "Two\nlines"}, "title"),
            ({"excerpt": "e" * 1001}, "excerpt"),
            ({"tags": ", ".join("t%d" % i for i in range(11))}, "tags"),
            ({"tags": "a" * 61}, "tags"),
            ({"slug": "Not A Slug"}, "slug"),
            ({"slug": "-bad-"}, "slug"),
            ({"image_alt": "a" * 301}, "image_alt"),
            ({"image_url": "https://evil.example/x.png"}, "image"),
            ({"image_url": "/media/" + "0" * 64 + ".png"}, "image"),
        ]
        for extra, field in cases:
            f = {"title": "Limits", "markdown": "x", "action": "save"}
            f.update(extra)
            r = c.post("/admin/stories", f, multipart_form=True)
            self.assertEqual(r.status, 422, extra)
            doc = harness.parse_html(r.text)
            self.assertIsNotNone(doc.find("p", id="f-%s-error" % field),
                                 "%r: no error beside %s" % (extra, field))
        self.assertEqual(self.query("SELECT count(*) FROM articles WHERE"
                                    " title = 'Limits'")[0][0], 0)

    # -- slugs -----------------------------------------------------------------

    def test_slug_from_title_is_numbered_when_taken(self):
        c = self.editor()
        _, a = self.create_story(c, "Storm warning for the estuary")
        _, b = self.create_story(c, "Storm warning for the estuary!")
        _, d = self.create_story(c, "Storm Warning -- for the Estuary")
        slugs = [self.story_row(id=i)["slug"] for i in (a, b, d)]
        self.assertEqual(slugs, ["storm-warning-for-the-estuary",
                                 "storm-warning-for-the-estuary-2",
                                 "storm-warning-for-the-estuary-3"])
        # Saving a story again keeps its own slug (no self-collision).
        r = self.update_story(c, a, slug="")
        self.assertEqual(r.status, 303)
        self.assertEqual(self.story_row(id=a)["slug"],
                         "storm-warning-for-the-estuary")

    def test_typed_slug_collision_is_an_error_beside_the_field(self):
        c = self.editor()
        r, _ = self.create_story(c, "Unique slug probe",
                                 slug="harbour-night-market-returns",
                                 markdown="Body kept")
        self.assertEqual(r.status, 422)
        doc = harness.parse_html(r.text)
        err = doc.find("p", id="f-slug-error").text
        self.assertIn("already used", err)
        self.assertIn("Night Market", err, "names the story that has it")
        self.assertEqual(doc.find("input", name="slug").get("value"),
                         "harbour-night-market-returns")
        self.assertEqual(textarea(doc, "markdown"), "Body kept")
        self.assertEqual(self.query("SELECT count(*) FROM articles WHERE"
                                    " title = 'Unique slug probe'")[0][0], 0)
        # A free typed slug is used as typed.
        r, sid = self.create_story(c, "Unique slug probe",
                                   slug="my-own-slug-2026")
        self.assertEqual(r.status, 303)
        self.assertEqual(self.story_row(id=sid)["slug"], "my-own-slug-2026")
        # Renaming onto another story's slug is refused too.
        r = self.update_story(c, sid, slug="harbour-night-market-returns")
        self.assertEqual(r.status, 422)
        self.assertEqual(self.story_row(id=sid)["slug"], "my-own-slug-2026")

    # -- preview ---------------------------------------------------------------

    def test_preview_without_javascript_saves_nothing(self):
        c = self.editor()
        f = {"title": "Preview only story", "excerpt": "Standfirst here",
             "markdown": "## Heading\n\nBody with [a link](https://example.org)"
                         " and <script>alert(1)</script>",
             "tags": "Harbour, Brand new tag", "action": "preview",
             "comments_open": "on"}
        r = c.post("/admin/stories", f, multipart_form=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.query("SELECT count(*) FROM articles WHERE"
                                    " title = 'Preview only story'")[0][0], 0)
        self.assertEqual(self.query("SELECT count(*) FROM tags WHERE"
                                    " name = 'Brand new tag'")[0][0], 0)
        doc = harness.parse_html(r.text)
        # The reader theme's story markup, with the same rendered body.
        self.assertEqual(doc.find("h1", cls="post__title").text,
                         "Preview only story")
        body = doc.find("div", cls="post__body")
        self.assertIsNotNone(body)
        self.assertIn("<h2>Heading</h2>", r.text)
        self.assertIn('<a href="https://example.org">a link</a>', r.text)
        self.assertNotIn("<script>alert(1)</script>", r.text)
        self.assertIn("Standfirst here", doc.find("p",
                                                  cls="post__standfirst").text)
        self.assertEqual(doc.find("a", cls="post__tag").text, "Harbour")
        # Everything typed rides along; "Keep editing" brings it back.
        hidden = {i.get("name"): i.get("value") for i in doc.find_all(
            "input", type="hidden")}
        self.assertEqual(hidden["markdown"], f["markdown"])
        self.assertEqual(hidden["tags"], f["tags"])
        self.assertEqual(hidden["comments_open"], "on")
        back = dict(hidden)
        back["action"] = "edit"
        del back["csrf"]
        r = c.post("/admin/stories", back, multipart_form=True)
        self.assertEqual(r.status, 200)
        doc = harness.parse_html(r.text)
        self.assertEqual(doc.find("input", name="title").get("value"),
                         "Preview only story")
        self.assertEqual(textarea(doc, "markdown"), f["markdown"])
        self.assertEqual(self.query("SELECT count(*) FROM articles WHERE"
                                    " title = 'Preview only story'")[0][0], 0)

    def test_live_preview_renders_like_a_save(self):
        c = self.author()
        md = ("# Title\n\nSome *text* and <b>raw html</b>.\n\n"
              "[bad](javascript:alert(1)) [good](https://example.org)\n\n"
              "> quoted\n\n- one\n- two")
        r = c.post("/admin/preview", {"markdown": md},
                   headers={"Accept": "application/json"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.ctype, "application/json")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        data = r.json()
        html = data["html"]
        self.assertIn("<em>text</em>", html)
        # raw HTML on the allow-list renders (sanitized), unsafe links not
        self.assertIn("<b>raw html</b>", html)
        self.assertNotIn("javascript:", html)
        self.assertIn('href="https://example.org"', html)
        self.assertIn("<blockquote>", html)
        self.assertGreater(data["words"], 5)
        self.assertEqual(data["reading_time"], 1)
        # Exactly what a save stores.
        _, sid = self.create_story(c, "Live preview equals save",
                                   markdown=md)
        self.assertEqual(self.story_row(id=sid)["html"], html)
        r = c.post("/admin/preview", {"markdown": md}, csrf=False,
                   headers={"Accept": "application/json"})
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["code"], "forbidden")

    # -- publishing --------------------------------------------------------------

    def assert_live(self, slug, title, tag_slug, present=True):
        """The story is (or is not) on every reader surface."""
        home = self.get("/")
        feed = self.get("/feed.xml")
        sitemap = self.get("/sitemap.xml")
        search = self.get("/search?q=" + urllib.parse.quote(title.split()[0]))
        tag = self.get("/tags/" + tag_slug)
        art = self.get("/articles/" + slug)
        check = self.assertIn if present else self.assertNotIn
        check("/articles/" + slug, home.text, "home")
        check("/articles/" + slug, feed.text, "feed")
        check("/articles/" + slug, sitemap.text, "sitemap")
        check("/articles/" + slug, search.text, "search")
        # The tag outlives its stories being unpublished: its page is
        # there either way, listing the story or not.
        self.assertEqual(tag.status, 200, "tag page")
        check("/articles/" + slug, tag.text, "tag page")
        self.assertEqual(art.status, 200 if present else 404, "article")
        if present:
            self.assertIn(title, art.text)

    def test_publish_is_visible_at_once_and_unpublish_hides_it(self):
        c = self.editor()
        # Warm the page cache first: publishing must show through it.
        for p in ("/", "/feed.xml", "/sitemap.xml", "/tags/quokkas"):
            self.get(p)
        r, sid = self.create_story(
            c, "Quokkaline tram opens to riders", action="publish",
            tags="Quokkas, City", markdown="The quokkaline opened today.")
        self.assertEqual(r.status, 303)
        self.assertTrue(r.header("Location").endswith("?done=published"))
        row = self.story_row(id=sid)
        self.assertEqual(row["status"], "published")
        self.assertLessEqual(abs(row["published_at"] - time.time()), 5)
        # notified started at 0 (see the draft test); the mail sender may
        # already have announced it and set it to 1.
        slug = row["slug"]
        self.assert_live(slug, "Quokkaline tram opens to riders", "quokkas")
        r, doc = c.page("/admin/stories/%d?done=published" % sid)
        self.assertIn("Published. Readers can see it now.", r.text)
        view = [a.get("href") for a in doc.find_all("a")
                if a.get("href", "").startswith("/articles/" + slug)]
        self.assertTrue(view, "a link to the story on the site")
        self.assertRegex(view[0], r"\?v=\d+$", "cache-proof for the editor")

        # Editing a published story changes the page at once.
        r = self.update_story(c, sid, title="Quokkaline tram opens early",
                              markdown="Now with *updates*.")
        self.assertEqual(r.status, 303)
        art = self.get("/articles/" + slug)
        self.assertIn("Quokkaline tram opens early", art.text)
        self.assertIn("<em>updates</em>", art.text)
        self.assertEqual(self.story_row(id=sid)["status"], "published")

        r = self.update_story(c, sid, action="unpublish")
        self.assertEqual(r.status, 303)
        self.assertTrue(r.header("Location").endswith("?done=unpublished"))
        self.assertEqual(self.story_row(id=sid)["status"], "draft")
        self.assert_live(slug, "Quokkaline tram opens early", "quokkas",
                         present=False)
        # Publishing again keeps the first publication date.
        first = row["published_at"]
        time.sleep(1.1)
        self.update_story(c, sid, action="publish")
        self.assertEqual(self.story_row(id=sid)["published_at"], first)
        self.assertEqual(self.get("/articles/" + slug).status, 200)

    def test_schedule_goes_live_on_its_own(self):
        c = self.editor()
        r, sid = self.create_story(c, "Scheduled zephyr story",
                                   markdown="Goes live by itself.")
        slug = self.story_row(id=sid)["slug"]
        # Past times and nonsense are refused beside the field.
        for bad in (utc_local(time.time() - 60), "tomorrow", "",
                    "2026-13-40T99:99"):
            r = self.update_story(c, sid, action="schedule", publish_at=bad)
            self.assertEqual(r.status, 422, bad)
            doc = harness.parse_html(r.text)
            self.assertIsNotNone(doc.find("p", id="f-publish_at-error"), bad)
            kept = doc.find("input", name="publish_at").get("value")
            if bad.startswith("20") and bad[5:7] != "13":
                self.assertEqual(kept, bad, "the typed time is kept")
            else:
                # Not a datetime-local value: the input cannot hold it, the
                # message quotes it.
                self.assertEqual(kept, "")
                if bad:
                    self.assertIn(bad, doc.find(
                        "p", id="f-publish_at-error").text)
        self.assertEqual(self.story_row(id=sid)["status"], "draft")
        when = int(time.time()) + 3
        r = self.update_story(c, sid, action="schedule",
                              publish_at=utc_local(when))
        self.assertEqual(r.status, 303, r.body[:400])
        row = self.story_row(id=sid)
        self.assertEqual(row["status"], "scheduled")
        self.assertEqual(row["published_at"], when)
        self.assertEqual(self.get("/articles/" + slug).status, 404)
        r, doc = c.page("/admin/stories/%d" % sid)
        self.assertIn("Goes live", r.text)
        self.assertEqual(doc.find("input", name="publish_at").get("value"),
                         utc_local(when)[:16])
        # The background thread publishes it within a few seconds.
        ok = self.wait_for(lambda: self.get("/articles/" + slug).status ==
                           200, timeout=10)
        self.assertTrue(ok, "the scheduled story did not go live")
        self.assertEqual(self.story_row(id=sid)["status"], "published")
        self.assertIn("/articles/" + slug, self.get("/").text)

    def test_unschedule_and_reschedule(self):
        c = self.editor()
        _, sid = self.create_story(c, "Far future story")
        later = int(time.time()) + 86400
        self.update_story(c, sid, action="schedule",
                          publish_at=utc_local(later))
        self.assertEqual(self.story_row(id=sid)["status"], "scheduled")
        r = self.update_story(c, sid, action="unpublish")
        self.assertEqual(r.status, 303)
        self.assertEqual(self.story_row(id=sid)["status"], "draft")
        # A published story cannot be scheduled before it is unpublished.
        self.update_story(c, sid, action="publish")
        r = self.update_story(c, sid, action="schedule",
                              publish_at=utc_local(later))
        self.assertEqual(r.status, 422)
        self.assertIn("already published", r.text)
        self.assertEqual(self.story_row(id=sid)["status"], "published")

    def test_delete_asks_first(self):
        c = self.editor()
        _, sid = self.create_story(c, "Story to delete", action="publish")
        slug = self.story_row(id=sid)["slug"]
        r, doc = c.page("/admin/stories/%d/delete" % sid)
        self.assertEqual(r.status, 200)
        self.assertIn("Story to delete", r.text)
        self.assertIn("goes to the trash", r.text)
        form = doc.find("form", action="/admin/stories/%d/delete" % sid)
        self.assertEqual(form.get("method"), "post")
        self.assertIsNotNone(self.story_row(id=sid), "GET deletes nothing")
        r = c.post("/admin/stories/%d/delete" % sid, csrf=False)
        self.assertEqual(r.status, 403)
        self.assertIsNotNone(self.story_row(id=sid))
        r = c.post("/admin/stories/%d/delete" % sid)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin/stories?done=deleted")
        # To the trash (issue 10; test_revisions.py has the rest).
        self.assertIsNotNone(self.story_row(id=sid)["deleted_at"])
        self.assertEqual(self.get("/articles/" + slug).status, 404)
        self.assertEqual(c.get("/admin/stories/%d" % sid).status, 404)
        self.assertEqual(c.post("/admin/stories/%d/delete" % sid).status, 404)
        self.assertIn("The story was moved to the trash.",
                      c.get("/admin/stories?done=deleted").text)

    def test_comments_closed_reaches_the_page(self):
        c = self.editor()
        f = {"title": "No comments here", "markdown": "x",
             "action": "publish"}
        r = c.post("/admin/stories", f, multipart_form=True)
        self.assertEqual(r.status, 303)
        row = self.story_row(title="No comments here")
        self.assertEqual(row["comments_open"], 0)
        art = self.get("/articles/" + row["slug"])
        self.assertIsNone(harness.parse_html(art.text).find(
            "form", id="comment-form"))

    def test_unknown_ids_are_404(self):
        c = self.editor()
        for p in ("/admin/stories/999999", "/admin/stories/abc",
                  "/admin/stories/0", "/admin/stories/999999/delete",
                  "/admin/stories/-1"):
            self.assertEqual(c.get(p).status, 404, p)
        r = c.post("/admin/stories/999999", {"title": "x", "action": "save"},
                   multipart_form=True)
        self.assertEqual(r.status, 404)

    # -- the list ----------------------------------------------------------------

    def test_list_filters_search_and_pages(self):
        c = self.editor()
        for i in range(3):
            self.create_story(c, "Listprobe draft number %d" % i)
        _, sched = self.create_story(c, "Listprobe scheduled one")
        self.update_story(c, sched, action="schedule",
                          publish_at=utc_local(time.time() + 86400))
        r, doc = c.page("/admin/stories")
        self.assertEqual(r.status, 200)
        tabs = {a.text.split()[0]: a for a in doc.find_all(
            "a", cls="nr-tabs__link")}
        self.assertEqual(set(tabs), {"All", "Drafts", "Scheduled",
                                     "Published"})
        self.assertEqual(tabs["All"].get("aria-current"), "page")
        r, doc = c.page("/admin/stories?status=scheduled")
        titles = [a.text for a in doc.find_all("a", cls="nr-story-link")]
        self.assertIn("Listprobe scheduled one", titles)
        self.assertTrue(all(self.story_row(title=t)["status"] == "scheduled"
                            for t in titles))
        r, doc = c.page("/admin/stories?status=draft&q=listprobe")
        titles = sorted(a.text for a in doc.find_all("a",
                                                     cls="nr-story-link"))
        self.assertEqual(titles, ["Listprobe draft number %d" % i
                                  for i in range(3)])
        # % and _ are plain characters in a search.
        r, doc = c.page("/admin/stories?q=%25")
        self.assertEqual(doc.find_all("a", cls="nr-story-link"), [])
        self.assertIn("No stories match", r.text)
        r, doc = c.page("/admin/stories?q=%3Cscript%3E")
        self.assertNotIn("<script>", r.text)
        # Pages of 20.
        total = self.query("SELECT count(*) FROM articles"
                           " WHERE deleted_at IS NULL")[0][0]  # not trash
        self.assertGreater(total, 20)
        r, doc = c.page("/admin/stories")
        self.assertEqual(len(doc.find_all("a", cls="nr-story-link")), 20)
        nxt = doc.find("a", rel="next")
        self.assertIsNotNone(nxt)
        r, doc = c.page(nxt.get("href"))
        self.assertEqual(len(doc.find_all("a", cls="nr-story-link")),
                         total - 20)
        self.assertEqual(c.get("/admin/stories?page=0").status, 400)
        self.assertEqual(c.get("/admin/stories?page=x").status, 400)
        self.assertEqual(c.get("/admin/stories?status=bogus").status, 200)


class Roles(NewsroomCase):
    """Authors write their own drafts; editors publish anything; only
    admins manage users and settings."""

    def test_author_creates_drafts_but_cannot_publish(self):
        a = self.author()
        r, doc = a.page("/admin/stories/new")
        actions = [b.get("value") for b in doc.find_all("button",
                                                        name="action")]
        self.assertEqual(sorted(actions), ["preview", "save"])
        self.assertIsNone(doc.find("input", name="publish_at"))
        for action in ("publish", "schedule", "unpublish"):
            r, sid = self.create_story(a, "Author wants to %s" % action,
                                       action=action,
                                       publish_at=utc_local(time.time() +
                                                            3600))
            self.assertEqual(r.status, 403, action)
            self.assertIn("Authors cannot publish", r.text)
            self.assertEqual(self.query("SELECT count(*) FROM articles WHERE"
                                        " title = ?", "Author wants to " +
                                        action)[0][0], 0)
        r, sid = self.create_story(a, "An author's own draft")
        self.assertEqual(r.status, 303)
        r = self.update_story(a, sid, markdown="Revised by the author.")
        self.assertEqual(r.status, 303)
        self.assertIn("Revised", self.story_row(id=sid)["markdown"])
        r = self.update_story(a, sid, action="publish")
        self.assertEqual(r.status, 403)
        self.assertEqual(self.story_row(id=sid)["status"], "draft")

    def test_author_cannot_touch_other_peoples_stories(self):
        a, b, ed = self.author(), self.author2(), self.editor()
        _, theirs = self.create_story(b, "Bob's private draft")
        _, published = self.create_story(ed, "Editor's published story",
                                         action="publish")
        for sid in (theirs, published):
            r = a.get("/admin/stories/%d" % sid)
            self.assertEqual(r.status, 403)
            self.assertIn("belongs to another writer", r.text)
            self.assertEqual(a.get("/admin/stories/%d/delete" % sid).status,
                             403)
            before = dict(self.story_row(id=sid))
            r = self.update_story(a, sid, title="Hijacked by Ann")
            self.assertEqual(r.status, 403)
            r = a.post("/admin/stories/%d/delete" % sid)
            self.assertEqual(r.status, 403)
            self.assertEqual(dict(self.story_row(id=sid)), before)
        # The list shows an author their own stories only.
        r, doc = a.page("/admin/stories")
        titles = [x.text for x in doc.find_all("a", cls="nr-story-link")]
        self.assertNotIn("Bob's private draft", titles)
        self.assertNotIn("Editor's published story", titles)

    def test_author_cannot_edit_own_story_once_published(self):
        a, ed = self.author(), self.editor()
        _, sid = self.create_story(a, "Ann's story for the editor")
        r = self.update_story(ed, sid, action="publish")
        self.assertEqual(r.status, 303)
        r = a.get("/admin/stories/%d" % sid)
        self.assertEqual(r.status, 403)
        self.assertIn("only an editor or admin can change it", r.text)
        r = self.update_story(a, sid, title="Sneaky change")
        self.assertEqual(r.status, 403)
        self.assertEqual(a.post("/admin/stories/%d/delete" % sid).status, 403)
        row = self.story_row(id=sid)
        self.assertEqual(row["title"], "Ann's story for the editor")
        self.assertEqual(row["status"], "published")
        # Back to draft by an editor, it is the author's to edit again.
        self.update_story(ed, sid, action="unpublish")
        self.assertEqual(a.get("/admin/stories/%d" % sid).status, 200)
        # The author deletes their own draft.
        self.assertEqual(a.post("/admin/stories/%d/delete" % sid).status, 303)
        self.assertIsNotNone(self.story_row(id=sid)["deleted_at"])  # trash

    def test_editor_may_change_anyones_story(self):
        ed, b = self.editor(), self.author2()
        _, sid = self.create_story(b, "Bob's draft to be edited")
        r = self.update_story(ed, sid, title="Bob's draft, edited",
                              action="publish")
        self.assertEqual(r.status, 303)
        row = self.story_row(id=sid)
        self.assertEqual(row["status"], "published")
        self.assertEqual(row["title"], "Bob's draft, edited")
        author = self.query("SELECT email FROM users WHERE id = ?",
                            row["author_id"])[0][0]
        self.assertEqual(author, "author2@example.org", "the byline stays")
        r = ed.post("/admin/stories/%d/delete" % sid)
        self.assertEqual(r.status, 303)

    def test_users_and_settings_are_for_admins(self):
        for who in (self.author(), self.editor()):
            for path in ("/admin/users", "/admin/settings"):
                r = who.get(path)
                self.assertEqual(r.status, 403, path)
                self.assertIn("Only an admin can do that.", r.text)
            r = who.post("/admin/users", {
                "email": "sneaky@example.org", "name": "Sneaky",
                "role": "admin", "password": "a long enough password"})
            self.assertEqual(r.status, 403)
            r = who.post("/admin/users/1", {"action": "role",
                                            "role": "author"})
            self.assertEqual(r.status, 403)
            r = who.post("/admin/settings", {"title": "Taken over",
                                             "comment_policy": "approve"})
            self.assertEqual(r.status, 403)
        self.assertEqual(self.query("SELECT count(*) FROM users WHERE email"
                                    " = 'sneaky@example.org'")[0][0], 0)
        self.assertEqual(self.query("SELECT count(*) FROM settings WHERE"
                                    " value = 'Taken over'")[0][0], 0)
        # Authors do not get the editors' pages either.
        self.assertEqual(self.author().get("/admin/comments").status, 403)

    def test_nav_shows_what_the_role_may_use(self):
        def links(c):
            _, doc = c.page("/admin/stories")
            return [a.text.strip() for a in doc.find_all(
                "a", cls="nr-nav__link")]
        self.assertEqual([x.split(" (")[0] for x in links(self.author())],
                         ["Stories", "View site"])
        self.assertEqual([x.split(" (")[0] for x in links(self.editor())],
                         ["Stories", "Comments", "Subscribers", "Trash",
                          "View site"])
        self.assertEqual([x.split(" (")[0] for x in links(self.admin())],
                         ["Stories", "Comments", "Subscribers", "Trash",
                          "Users", "Settings", "View site"])


class UnpublishWithdrawsMail(NewsroomCase):
    """Notifications of a story that are still queued when it is
    unpublished are withdrawn (marked failed with the reason), in the same
    transaction; mail already sent or in flight is not touched."""

    def test_queued_notifications_are_withdrawn(self):
        c = self.editor()
        r, sid = self.create_story(c, "Withdrawn news", action="publish")
        self.assertIsNotNone(sid, r.body)
        con = self.db()
        try:
            # Queued far in the future, so the sender leaves them alone;
            # one already sent stays sent.
            for i, status in enumerate(("queued", "queued", "sent")):
                con.execute(
                    "INSERT INTO outbox (kind, recipient, subject, body_text,"
                    " article_id, status, next_try_at, created_at)"
                    " VALUES ('notify', ?, 'News', 'text', ?, ?,"
                    " unixepoch() + 86400, unixepoch())",
                    ("reader%d@example.org" % i, sid, status))
            con.commit()
        finally:
            con.close()
        r = self.update_story(c, sid, action="unpublish")
        self.assertEqual(r.status, 303, r.body)
        rows = self.query("SELECT status, last_error FROM outbox"
                          " WHERE article_id = ? ORDER BY id", sid)
        self.assertEqual([row["status"] for row in rows],
                         ["failed", "failed", "sent"])
        self.assertIn("unpublished", rows[0]["last_error"])
