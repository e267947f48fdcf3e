"""Every newsroom page, in every state (empty, filled, with errors,
refused), is valid HTML5 by the Nu HTML Checker, keyboard and screen
reader friendly (labels, one h1, skip link, language), and has nothing
the CSP would block (no inline script, style or event handler)."""
import json
import os
import re
import shutil
import subprocess
import time

import harness
from test_admin_support import PASSWORD, Client, NewsroomCase, png, utc_local

JAR = os.path.join(harness.ROOT, "node_modules", "vnu-jar", "build", "dist",
                   "vnu.jar")


class AdminPages(NewsroomCase):
    USERS = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pages = {}

    def keep(self, name, r, status=200):
        self.assertEqual(r.status, status, "%s: %d %s" % (name, r.status,
                                                          r.body[:300]))
        self.assertTrue(r.ctype == "text/html", name)
        self.pages[name] = r.text
        return r

    def collect(self):
        c = Client(self.gz)
        self.keep("setup", c.get("/admin/setup"))
        self.keep("setup-errors", c.post("/admin/setup", {
            "name": "", "email": "x", "password": "short",
            "password2": "other"}, csrf=False), 422)
        r = c.post("/admin/setup", {"name": "Ada Admin", "email":
                                    "admin@example.org", "password": PASSWORD,
                                    "password2": PASSWORD}, csrf=False)
        self.assertEqual(r.status, 303)
        for email, name, role in (("author@example.org", "Ann Author",
                                   "author"),):
            self.gz.cli_ok("user", "add", "--email", email, "--name", name,
                           "--role", role, input=PASSWORD + "\n")
        self.keep("login", Client(self.gz).get("/admin/login"))
        self.keep("login-signed-out",
                  Client(self.gz).get("/admin/login?signed_out=1"))
        self.keep("login-failed", Client(self.gz).post("/admin/login", {
            "email": "admin@example.org", "password": "nope nope nope"},
            csrf=False), 401)
        self.keep("stories", c.get("/admin/stories"))
        self.keep("stories-search-empty", c.get("/admin/stories?q=zzzzzz"))
        self.keep("stories-drafts-empty", c.get("/admin/stories?status=draft"))
        self.keep("story-new", c.get("/admin/stories/new"))
        r = c.post("/admin/stories", {"title": "", "slug": "Bad slug",
                                      "markdown": "x", "action": "schedule",
                                      "publish_at": "soon"},
                   multipart_form=True)
        self.keep("story-errors", r, 422)
        r, sid = self.create_story(c, "Validation story", action="publish",
                                   tags="One, Two", markdown="## Hi\n\ntext")
        self.keep("story-edit-published", c.get(r.header("Location")))
        up = c.post("/admin/stories/%d" % sid, {
            "title": "Validation story", "markdown": "## Hi", "image_alt":
            "Red", "action": "save"},
            files=[("image", "r.png", png(20, 10), "image/png")])
        self.assertEqual(up.status, 303)
        self.keep("story-edit-image", c.get("/admin/stories/%d" % sid))
        _, sched = self.create_story(c, "Scheduled validation story")
        self.update_story(c, sched, action="schedule",
                          publish_at=utc_local(time.time() + 86400))
        self.keep("story-edit-scheduled", c.get("/admin/stories/%d" % sched))
        self.keep("story-preview", c.post("/admin/stories/%d" % sid, {
            "title": "Validation story", "markdown": "## Hi\n\n> quote",
            "excerpt": "Standfirst", "tags": "One", "image_alt": "Red",
            "action": "preview"}, multipart_form=True))
        self.keep("story-delete", c.get("/admin/stories/%d/delete" % sid))
        self.keep("users", c.get("/admin/users"))
        self.keep("users-errors", c.post("/admin/users", {
            "name": "", "email": "bad", "role": "author",
            "password": "x"}), 422)
        me = self.query("SELECT id FROM users WHERE email ="
                        " 'admin@example.org'")[0][0]
        self.keep("users-last-admin", c.post("/admin/users/%d" % me, {
            "action": "disable"}), 409)
        self.keep("settings", c.get("/admin/settings"))
        self.keep("settings-errors", c.post("/admin/settings", {
            "title": "", "base_url": "ftp://x", "comment_policy": "?"}), 422)
        a = self.author()
        self.keep("author-stories", a.get("/admin/stories"))
        self.keep("author-new", a.get("/admin/stories/new"))
        self.keep("forbidden", a.get("/admin/stories/%d" % sid), 403)
        self.keep("forbidden-users", a.get("/admin/users"), 403)

    def test_pages(self):
        self.collect()
        for name, text in self.pages.items():
            with self.subTest(page=name):
                self.check_page(name, text)
        self.check_valid_html()

    def check_page(self, name, text):
        doc = harness.parse_html(text)
        html = doc.find("html")
        self.assertTrue(html.get("lang"), "lang")
        self.assertEqual(len(doc.find_all("h1")), 1, "one h1")
        skip = doc.find("a", href="#main")
        self.assertIsNotNone(skip, "skip link")
        self.assertIsNotNone(doc.find(id="main"), "skip target")
        # CSP: script-src 'self', style-src 'self'.
        for el in doc.elements:
            for attr in el.attrs:
                self.assertFalse(attr.startswith("on"), "%s has %s" % (
                    el.tag, attr))
                self.assertNotEqual(attr, "style", el.tag)
            if el.tag == "script":
                self.assertTrue(el.get("src") or el.get("type") ==
                                "application/ld+json", "inline script")
            self.assertNotEqual(el.tag, "style")
        # Every control a person fills in has a label.
        for el in doc.find_all():
            if el.tag not in ("input", "select", "textarea"):
                continue
            if el.get("type") in ("hidden", "submit", "button") or \
                    "hidden" in el.attrs:
                continue
            labelled = (el.get("id") and doc.find("label", for_=el.get("id"))
                        ) or any(p.tag == "label" for p in el.ancestors()) \
                or el.get("aria-label")
            self.assertTrue(labelled, "%s %s has no label" % (
                el.tag, el.get("name")))
        # Forms that write carry the CSRF token (sign-in and set-up have no
        # session yet).
        for form in doc.find_all("form"):
            if form.get("method") != "post" or form.get("action") in (
                    "/admin/login", "/admin/setup"):
                continue
            self.assertTrue(any(form in i.ancestors() for i in doc.find_all(
                "input", name="csrf")), form.get("action"))

    def check_valid_html(self):
        java = shutil.which("java")
        if not java or not os.path.exists(JAR):
            self.skipTest("java or vnu.jar missing: HTML not validated")
        files = {}
        for name, text in self.pages.items():
            f = os.path.join(self.gz.tmp, "admin-" + name + ".html")
            with open(f, "w", encoding="utf-8") as out:
                out.write(text)
            files[f] = name
        p = subprocess.run([java, "-Xss4m", "-jar", JAR, "--errors-only",
                            "--no-langdetect", "--format", "json"] +
                           sorted(files), capture_output=True, text=True,
                           timeout=240)
        report = json.loads(p.stderr.strip() or p.stdout.strip())
        errors = [m for m in report.get("messages", [])
                  if m.get("type") in ("error", "non-document-error")]
        lines = ["%s line %s: %s" % (
            next((v for k, v in files.items() if m.get("url", "").endswith(
                os.path.basename(k))), m.get("url")), m.get("lastLine"),
            m.get("message")) for m in errors]
        self.assertEqual(errors, [], "invalid HTML:\n" + "\n".join(lines))
