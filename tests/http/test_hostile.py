"""Stored and reflected XSS: the hostile fixture (a story, tag, author and
comments whose text is HTML/JS) must come out escaped on every page, in the
feeds, the sitemap and the JSON-LD block; in the story body the Markdown's
raw HTML is kept only as far as the sanitizer's allow-list says (no
script, handler, iframe or javascript: link)."""
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET

import harness
from harness import norm_text

T = "<script>alert(1)</script>"            # title, tag name, comment name
E = "\"'><img src=x onerror=alert(1)>"     # excerpt, author name

# None of these may appear in any answer: they are the payloads as markup.
RAW = ["<script>alert(1)</script>", "<img src=x onerror", "onerror=alert(1)>",
       "<iframe", "onmouseover=alert", "<b onmouseover", "'onmouseover="]

NS = {"content": "http://purl.org/rss/1.0/modules/content/",
      "dc": "http://purl.org/dc/elements/1.1/",
      "sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}

STORY = "/articles/hostile-story"


class HostileContent(harness.ServerTestCase):
    FIXTURES = ("hostile.json",)

    def assert_no_raw(self, path, body):
        for p in RAW:
            self.assertAbsent(p, body, "%s: raw payload %r in the answer" %
                             (path, p))

    def html(self, path, status=200):
        r, doc = self.page(path, status=status)
        self.assert_no_raw(path, r.text)
        # Whatever else: no element a payload could have made.
        for el in doc.elements:
            self.assertNotIn(el.tag, ("iframe", "object", "embed"), path)
            for name, value in el.attrs.items():
                self.assertFalse(name.startswith("on"), "%s: %s=%r on <%s>"
                                 % (path, name, value, el.tag))
                if name in ("href", "src", "action", "formaction"):
                    self.assertNotRegex(
                        re.sub(r"\s", "", value).lower(), r"^javascript:",
                        "%s: %s=%r" % (path, name, value))
        for s in doc.find_all("script"):
            self.assertTrue(s.get("src") or
                            s.get("type") == "application/ld+json",
                            "%s: inline script %r" % (path, s.text[:60]))
        return r, doc

    def texts(self, doc):
        return [norm_text(e.text) for e in doc.elements]

    def test_home(self):
        r, doc = self.html("/")
        # The hostile story is the newest: it leads, title shown as text.
        lead = doc.find("article", cls="lead-story")
        self.assertIsNotNone(lead)
        self.assertIn(T, lead.text)
        self.assertIn(E, lead.text,
                      "the excerpt (or the author) is not shown as text")

    def test_article(self):
        r, doc = self.html(STORY)
        self.assertEqual(doc.find("h1").text.strip(), T)
        self.assertTrue(doc.find("title").text.startswith(T))
        self.assertEqual(doc.meta("description"), E)
        self.assertTrue(doc.meta("og:title").startswith(T))
        self.assertEqual(doc.meta("og:description"), E)
        self.assertEqual(doc.meta_all("article:tag"), [T])
        texts = self.texts(doc)
        self.assertIn(E, texts, "the standfirst is not shown as text")
        self.assertIn(norm_text(E), [norm_text(a.text) for a in
                                     doc.find_all("a")
                                     if a.get("href", "").endswith(
                                         "/authors/hostile-author")],
                      "the author name is not shown as text")
        self.assertIn(T, [a.text.strip() for a in doc.find_all("a")
                          if a.get("href", "").endswith("/tags/hostile-tag")])
        img = [i for i in doc.find_all("img")
               if "comet-naked-eye-weekend" in i.get("src", "")]
        self.assertTrue(img)
        self.assertEqual(img[0].get("alt"), E)
        # Share links carry the title URL-encoded.
        share = [a.get("href") for a in doc.find_all("a")
                 if a.get("href", "").startswith("mailto:")]
        self.assertTrue(share)
        self.assertIn(urllib.parse.quote(T, safe=""), share[0])

    def test_article_body_is_sanitised(self):
        r, doc = self.html(STORY)
        raw = r.text
        self.assertAbsent("javascript:", raw.lower(),
                         "a javascript: URL survived")
        self.assertAbsent("<script>alert", raw)
        self.assertAbsent("<iframe", raw)
        h2 = [norm_text(e.text) for e in doc.find_all("h2")]
        self.assertIn("A subheading survives", h2)
        # The link text stays, the link does not (the sanitizer keeps the
        # text of a link whose address it refuses).
        self.assertIn("click me", norm_text(doc.find("main").text))
        self.assertEqual([a for a in doc.find_all("a")
                          if a.text in ("click me", "also me", "raw link")],
                         [], "a link with a refused address")
        # Raw HTML on the allow-list stays (bold), without its handler.
        quote = doc.find("blockquote")
        self.assertIsNotNone(quote)
        inside = [e for e in doc.elements if quote in e.ancestors()]
        self.assertEqual([e.tag for e in inside], ["p", "b"],
                         "raw HTML in the quote")
        self.assertEqual([e.attrs for e in inside], [{}, {}])
        # An image keeps its (relative) source, gets an empty alt, loses
        # its handler.
        self.assertIn('<img src="x" alt="" />', raw)

    def test_comments(self):
        r, doc = self.html(STORY)
        section = doc.find(id="comments")
        self.assertIsNotNone(section)
        authors = [norm_text(e.text) for e in doc.find_all(
            cls="comment__author")] or [norm_text(section.text)]
        self.assertTrue(any(T in a for a in authors), authors)
        self.assertTrue(any(norm_text(E) in a for a in authors), authors)
        self.assertIn(norm_text(E), norm_text(section.text))
        raw = r.text
        self.assertAbsent("commenter@example.org", raw)
        # Linked URLs stay inside their attribute, rel="nofollow ugc".
        for a in doc.find_all("a"):
            if section in a.ancestors() and a.get("href", "").startswith(
                    "http"):
                self.assertEqual(a.get("rel"), "nofollow ugc")
                self.assertNotIn('"', a.get("href"))
        for el in doc.elements:
            if el.tag in ("button",) and el.get("data-reply-name"):
                self.assertIn(el.get("data-reply-name"), (T, E))
        self.assertAbsent('"><script>', raw)

    def test_jsonld(self):
        r, doc = self.html(STORY)
        m = re.search(r'<script type="application/ld\+json">(.*?)</script>',
                      r.text, re.S)
        self.assertIsNotNone(m, "no JSON-LD block")
        block = m.group(1)
        self.assertNotIn("<", block, "raw '<' inside the JSON-LD block")
        self.assertNotIn(">", block)
        ld = json.loads(block)
        self.assertEqual(ld["headline"], T)
        self.assertEqual(ld["description"], E)
        authors = ld["author"] if isinstance(ld["author"], list) else [
            ld["author"]]
        self.assertEqual(authors[0]["name"], E)
        self.assertIn(T, json.dumps(ld.get("keywords", [])) + json.dumps(
            ld.get("articleSection", "")).replace("\\u003c", "<").replace(
            "\\u003e", ">"))

    def test_tag_page(self):
        r, doc = self.html("/tags/hostile-tag")
        self.assertEqual(doc.find("h1").text.strip(), T)
        self.assertIn(E, self.texts(doc), "tag description not shown as text")
        self.assertTrue(doc.find("title").text.startswith(T))
        self.assertPresent("hostile-story", r.text)

    def test_author_page(self):
        r, doc = self.html("/authors/hostile-author")
        self.assertEqual(norm_text(doc.find("h1").text), norm_text(E))
        self.assertIn(norm_text(T + " " + E), self.texts(doc))
        self.assertPresent("hostile-story", r.text)

    def test_search_results(self):
        r, doc = self.html("/search?q=zanzibarquokka")
        self.assertIn(T, [a.text.strip() for a in doc.find_all("a")
                          if a.get("href", "").endswith(STORY)])
        marks = [m.text.lower() for m in doc.find_all("mark")]
        self.assertIn("zanzibarquokka", marks)
        # The words of the payload find it too, and stay escaped.
        r, doc = self.html("/search?q=alert")
        self.assertPresent(STORY, r.text)

    def test_reflected_query(self):
        for q in (T, E, "</mark><script>alert(1)</script>",
                  "\"><svg onload=alert(1)>", "</textarea><script>"):
            path = "/search?q=" + urllib.parse.quote(q)
            r, doc = self.html(path)
            self.assertAbsent("<svg onload", r.text)
            self.assertAbsent("</textarea><script>", r.text)
            inputs = [i for i in doc.find_all("input") if i.get("name") == "q"]
            self.assertTrue(inputs)
            self.assertEqual(inputs[0].get("value"), q)
        # Paths are reflected nowhere unescaped either (404 page).
        r, doc = self.html("/" + urllib.parse.quote(T), status=404)
        r, doc = self.html("/articles/" + urllib.parse.quote(E), status=404)
        r, doc = self.html("/?page=" + urllib.parse.quote(T), status=400)

    def test_feeds(self):
        for path in ("/feed.xml", "/tags/hostile-tag/feed.xml"):
            r = self.get_ok(path, ctype="application/rss+xml")
            self.assert_no_raw(path, r.text)
            root = ET.fromstring(r.body)   # well-formed XML
            items = [i for i in root.iter("item")
                     if i.findtext("link", "").endswith(STORY)]
            self.assertEqual(len(items), 1, path)
            item = items[0]
            self.assertEqual(item.findtext("title"), T)
            self.assertEqual(item.findtext("description"), E)
            self.assertEqual(item.findtext("dc:creator", namespaces=NS), E)
            self.assertEqual([c.text for c in item.findall("category")], [T])
            html = item.findtext("content:encoded", namespaces=NS)
            self.assertPresent("A subheading survives", html)
            for bad in ("<script", "onerror", "javascript:", "<iframe",
                        "onmouseover"):
                self.assertAbsent(bad, html.lower(),
                                 "%s: %r in content:encoded" % (path, bad))
        root = ET.fromstring(self.get("/tags/hostile-tag/feed.xml").body)
        self.assertIn(T, root.find("channel").findtext("title"))
        self.assertEqual(root.find("channel").findtext("description"), E)

    def test_sitemap(self):
        r = self.get_ok("/sitemap.xml", ctype=None)
        self.assert_no_raw("/sitemap.xml", r.text)
        locs = [u.findtext("sm:loc", namespaces=NS)
                for u in ET.fromstring(r.body).findall("sm:url", NS)]
        for path in (STORY, "/tags/hostile-tag", "/authors/hostile-author"):
            self.assertIn(self.gz.base + path, locs)

    def test_json_answers(self):
        # The same story through the JSON API is valid JSON that
        # round-trips the text.
        r = self.get("/api/v1" + STORY)
        self.assertEqual((r.status, r.ctype), (200, "application/json"))
        self.assertEqual(r.json()["articles"][0]["title"], T)
