"""/admin/settings: title, description, base URL, comment policy and double
opt-in; checked, stored in the settings table, used by every page at once."""
import harness
from test_admin_support import NewsroomCase


class Settings(NewsroomCase):

    def settings(self):
        return {r[0]: r[1] for r in self.query(
            "SELECT key, value FROM settings")}

    def form(self, **change):
        f = {"title": "The Port Alder Gazette", "description": "Local news.",
             "base_url": "", "comment_policy": "first",
             "double_opt_in": ""}
        f.update(change)
        return {k: v for k, v in f.items() if v is not None}

    def test_form_shows_current_values(self):
        r, doc = self.admin().page("/admin/settings")
        self.assertEqual(r.status, 200)
        self.assertEqual(doc.find("input", name="title").get("value"),
                         "The Port Alder Gazette")
        radios = doc.find_all("input", name="comment_policy")
        self.assertEqual([x.get("value") for x in radios],
                         ["approve", "first", "hold"])
        self.assertEqual([x.get("value") for x in radios
                          if "checked" in x.attrs], ["first"])
        # Double opt-in: automatic (on when mail can be sent) by default;
        # no SMTP server here, so it is off for now.
        dois = doc.find_all("input", name="double_opt_in")
        self.assertEqual([x.get("value") for x in dois], ["", "on", "off"])
        self.assertEqual([x.get("value") for x in dois
                          if "checked" in x.attrs], [""])
        self.assertIn("(now off)", r.text)
        self.assertIn("Not configured", r.text, "mail status is shown")

    def test_save_and_every_page_uses_it_at_once(self):
        c = self.admin()
        self.get("/")  # warm the page cache
        r = c.post("/admin/settings", self.form(
            title="The Estuary Courier", description="News from the mouth "
            "of the river.", base_url="https://news.example.org",
            comment_policy="hold", double_opt_in="off"))
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin/settings?done=saved")
        s = self.settings()
        self.assertEqual(s["title"], "The Estuary Courier")
        self.assertEqual(s["base_url"], "https://news.example.org")
        self.assertEqual(s["comment_policy"], "hold")
        self.assertEqual(s["double_opt_in"], "off")
        r, doc = self.page("/")
        self.assertIn("The Estuary Courier", doc.find("title").text)
        self.assertEqual(doc.find("link", rel="canonical").get("href"),
                         "https://news.example.org/")
        self.assertIn("News from the mouth of the river.", r.text)
        feed = self.get("/feed.xml").text
        self.assertIn("https://news.example.org/articles/", feed)
        self.assertIn("Settings saved", c.get("/admin/settings?done=saved")
                      .text)
        c.post("/admin/settings", self.form(
            base_url="http://127.0.0.1:8080"))
        self.assertEqual(self.settings()["base_url"], "http://127.0.0.1:8080")
        for policy in ("approve", "first"):
            c.post("/admin/settings", self.form(comment_policy=policy))
            self.assertEqual(self.settings()["comment_policy"], policy)
        self.assertEqual(self.settings()["double_opt_in"], "",
                         "back to automatic")
        c.post("/admin/settings", self.form(double_opt_in="on"))
        self.assertEqual(self.settings()["double_opt_in"], "on")
        self.assertIn("(now on)", c.get("/admin/settings").text)
        self.assertEqual(self.settings()["base_url"], "")

    def test_base_url_trailing_slash_is_trimmed(self):
        """Issue 10: "https://news.example.org/" is what an address bar
        shows; it is stored without the slash rather than refused."""
        c = self.admin()
        for typed in ("https://news.example.org/",
                      "https://news.example.org//",
                      "http://127.0.0.1:8080/"):
            r = c.post("/admin/settings", self.form(base_url=typed))
            self.assertEqual(r.status, 303, typed)
            self.assertEqual(self.settings()["base_url"], typed.rstrip("/"))
        r, doc = self.page("/")
        self.assertEqual(doc.find("link", rel="canonical").get("href"),
                         "http://127.0.0.1:8080/")
        c.post("/admin/settings", self.form())
        self.assertEqual(self.settings()["base_url"], "")

    def test_bad_values_are_refused_beside_the_field(self):
        c = self.admin()
        before = self.settings()
        cases = [({"title": ""}, "title"),
                 ({"title": "t" * 121}, "title"),
                 ({"description": "d" * 301}, "description"),
                 ({"base_url": "ftp://news.example.org"}, "base_url"),
                 ({"base_url": "https://news.example.org/x/"}, "base_url"),
                 ({"base_url": "javascript:alert(1)"}, "base_url"),
                 ({"base_url": "https://news.example.org?x=1"}, "base_url"),
                 ({"base_url": "https://us er@example.org"}, "base_url"),
                 ({"base_url": "https://"}, "base_url"),
                 ({"base_url": "https://example.org/news"}, "base_url"),
                 ({"base_url": "https://example.org:port"}, "base_url"),
                 ({"comment_policy": "all"}, "comment_policy"),
                 ({"comment_policy": None}, "comment_policy"),
                 ({"double_opt_in": "yes"}, "double_opt_in")]
        for change, field in cases:
            r = c.post("/admin/settings", self.form(**change))
            self.assertEqual(r.status, 422, change)
            doc = harness.parse_html(r.text)
            err = [p for p in doc.find_all("p", cls="nr-field__error")]
            self.assertTrue(err, change)
            if field in ("title", "description", "base_url"):
                self.assertIsNotNone(doc.find("p", id="f-%s-error" % field),
                                     change)
                value = change[field]
                if field == "base_url" and value != "https://":
                    value = value.rstrip("/")  # the slash is dropped
                self.assertEqual(doc.find("input", name=field).get("value"),
                                 value, "the typed value is kept")
        self.assertEqual(self.settings(), before)
