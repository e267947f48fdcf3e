"""Each tag's count of published stories is kept by triggers (sql/
0004_tag_counts.sql): publishing, unpublishing, scheduling, retagging and
deleting a story move it, and the tag resource, the tag page and the
navigation agree with a count made from scratch."""
from test_api_read import ApiCase


class TagCounts(ApiCase):

    def count(self, slug):
        r = self.get_api("/tags/" + slug)
        self.assertEqual(r.status, 200, self.where(r))
        return r.json()["tags"][0]["article_count"]

    def truth(self, slug):
        return self.cls_sql(
            "SELECT count(*) FROM article_tags x JOIN tags t ON t.id ="
            " x.tag_id JOIN articles a ON a.id = x.article_id WHERE"
            " t.slug = ? AND a.status = 'published'", (slug,))[0][0]

    def write(self, method, path, body=None):
        r = self.api(method, path, body, token=self.token("editor"))
        self.assertEqual(r.status, {"POST": 201, "PATCH": 200,
                                    "DELETE": 204}[method], self.where(r))
        return r

    def test_every_write_moves_the_count(self):
        slug = "quay-cranes"
        r = self.write("POST", "/articles", {"title": "Cranes one",
                                             "tags": ["Quay cranes"],
                                             "status": "published"})
        one = r.json()["articles"][0]["id"]
        self.assertEqual(self.count(slug), 1)
        r = self.write("POST", "/articles", {"title": "Cranes two",
                                             "tags": ["Quay cranes", "City"]})
        two = r.json()["articles"][0]["id"]
        self.assertEqual(self.count(slug), 1, "a draft does not count")
        steps = [
            ("PATCH", "/articles/%d" % two, {"status": "published"}, 2),
            ("PATCH", "/articles/%d" % one, {"status": "draft"}, 1),
            ("PATCH", "/articles/%d" % one, {"status": "scheduled",
                                              "published_at":
                                              "2099-01-01T00:00:00Z"}, 1),
            ("PATCH", "/articles/%d" % two, {"tags": ["City"]}, 0),
            ("PATCH", "/articles/%d" % two, {"tags": ["Quay cranes"]}, 1),
            ("DELETE", "/articles/%d" % two, None, 0),
        ]
        for method, path, body, want in steps:
            with self.subTest(method=method, path=path, body=body):
                self.write(method, path, body)
                self.assertEqual(self.count(slug), want)
                self.assertEqual(self.truth(slug), want)
                page = self.gz.request("GET", "/tags/" + slug)
                if want:
                    self.assertIn("Stories: %d" % want, page.text)

    def test_navigation_follows_the_counts(self):
        # The demo's busiest tag leads the navigation; the counts agree
        # with a count from scratch for every tag.
        r = self.get_api("/tags?limit=100")
        for t in r.json()["tags"]:
            self.assertEqual(t["article_count"], self.truth(t["slug"]),
                             t["slug"])
