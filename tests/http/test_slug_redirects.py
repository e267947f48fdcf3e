"""A published story's old addresses keep working (issue 10, item 4):
renaming its slug leaves a 301 from every old /articles/SLUG to the
current one, through any number of renames; a draft's renames leave none;
a story that takes an old slug over gets its address back.
"""
import harness
from test_api_read import ApiCase


class SlugRedirects(ApiCase):

    def story(self, title, status="published"):
        r = self.api("POST", "/articles", {"title": title, "status": status,
                                           "markdown": "Body."},
                     token=self.token("editor"))
        self.assertEqual(r.status, 201, r.body[:300])
        return r.json()["articles"][0]

    def rename(self, sid, slug):
        r = self.api("PATCH", "/articles/%d" % sid, {"slug": slug},
                     token=self.token("editor"))
        self.assertEqual(r.status, 200, r.body[:300])

    def moved(self, path, to):
        r = self.get(path)
        self.assertEqual(r.status, 301, "GET %s: %d" % (path, r.status))
        self.assertEqual(r.header("Location"), to)
        self.assertIn("no-store", r.header("Cache-Control", ""))

    def test_every_old_address_of_a_published_story_moves(self):
        s = self.story("A story that moves twice")
        first = s["slug"]
        self.assertEqual(self.get("/articles/" + first).status, 200)
        self.rename(s["id"], "moved-once")
        self.moved("/articles/" + first, "/articles/moved-once")
        self.rename(s["id"], "moved-twice")
        self.moved("/articles/" + first, "/articles/moved-twice")
        self.moved("/articles/moved-once", "/articles/moved-twice")
        self.moved("/articles/moved-once/", "/articles/moved-twice")
        self.assertEqual(self.get("/articles/moved-twice").status, 200)

    def test_a_draft_leaves_no_redirect(self):
        s = self.story("A draft that moves", status="draft")
        old = s["slug"]
        self.rename(s["id"], "draft-moved")
        self.assertEqual(self.get("/articles/" + old).status, 404)

    def test_a_new_story_takes_an_old_slug_back(self):
        s = self.story("Giving up its slug")
        old = s["slug"]
        self.rename(s["id"], old + "-renamed")
        self.moved("/articles/" + old, "/articles/%s-renamed" % old)
        t = self.story("Giving up its slug")  # same title: the same slug
        self.assertEqual(t["slug"], old)
        r = self.get("/articles/" + old)
        self.assertEqual(r.status, 200)
        self.assertIn(t["title"], r.text)

    def test_unknown_pages_are_still_404(self):
        self.assertEqual(self.get("/articles/never-was-here").status, 404)
        self.assertEqual(self.get("/tags/never-was-here").status, 404)
