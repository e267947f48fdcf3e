"""Every GET route of the readers' site (SPEC sections 1 and 2): status,
Content-Type and the content that matters, computed from the demo data and
the fixtures rather than written down here."""
import email.utils
import json
import os
import re
import urllib.parse
import xml.etree.ElementTree as ET

import harness
from harness import Content, norm_text

NS = {"content": "http://purl.org/rss/1.0/modules/content/",
      "atom": "http://www.w3.org/2005/Atom",
      "dc": "http://purl.org/dc/elements/1.1/",
      "sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}

FIXTURES = ("extra.json",)

# Readers' routes (from `gazette --routes`) that these tests cover. A new
# public route makes test_every_public_route_is_covered fail until it is
# added here with its tests.
COVERED = {
    "/", "/articles/:slug", "/authors/:slug", "/favicon.ico", "/feed.xml",
    "/healthz", "/metrics", "/robots.txt", "/search", "/sitemap.xml",
    "/static/*", "/tags/:slug", "/tags/:slug/feed.xml",
    # Author feeds: checked in test_accounts.py.
    "/authors/:slug/feed.xml",
    # Form and token routes: checked in test_forms.py.
    "/articles/:slug/comments", "/subscribe", "/subscribe/confirm",
    "/unsubscribe", "/media/*",
}


def _pos(pattern, text):
    m = re.search(pattern, text)
    return m.start() if m else -1


def article_links(doc):
    """Slugs of story links in cards, in page order, without repeats."""
    out = []
    for a in doc.find_all("a"):
        m = re.match(r"^(?:https?://[^/]+)?/articles/([a-z0-9-]+)$",
                     a.get("href", ""))
        if m and m.group(1) not in out:
            out.append(m.group(1))
    return out


class SiteRoutes(harness.ServerTestCase):
    FIXTURES = FIXTURES

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.content = Content(FIXTURES)

    # ---- the route table ------------------------------------------------

    def test_every_public_route_is_covered(self):
        table = harness.routes_table()
        self.assertTrue(table, "gazette --routes printed no routes")
        public = {p for _, p in table
                  if not p.startswith("/admin") and not p.startswith("/api")}
        missing = sorted(public - COVERED)
        self.assertEqual(missing, [], "public routes without HTTP tests: %s"
                         % missing)
        gone = sorted(COVERED - public)
        self.assertEqual(gone, [], "tested routes no longer in the route "
                         "table: %s" % gone)

    # ---- home -------------------------------------------------------------

    def test_home(self):
        r, doc = self.page("/")
        pub = self.content.published
        self.assertEqual(doc.find("title").text.strip(),
                         self.content.site_title)
        self.assertEqual(len(doc.find_all("h1")), 1, "one <h1> per page")
        # The newest story leads, large.
        lead = doc.find("article", cls="lead-story")
        self.assertIsNotNone(lead, "no lead story on the home page")
        lead_links = [e for e in doc.find_all("a")
                      if lead in e.ancestors() and
                      e.get("href", "").endswith("/articles/" + pub[0]["slug"])]
        self.assertTrue(lead_links, "the lead story is not the newest (%s)"
                        % pub[0]["slug"])
        self.assertIn(norm_text(pub[0]["title"]), norm_text(lead.text))
        # Then cards, newest first: page 1 holds 15 stories in all.
        cards = doc.find_all("article", cls="card")
        self.assertEqual(len(cards) + 1, min(15, len(pub)))
        slugs = article_links(doc)
        expected = [a["slug"] for a in pub[:15]]
        self.assertEqual([s for s in slugs if s in expected], expected,
                         "home page stories are not newest first")
        for a in self.content.unpublished:
            self.assertAbsent(a["slug"], r.text,
                             "unpublished story %s on the home page"
                             % a["slug"])
        # Card anatomy: image with alt/width/height, title link, excerpt,
        # author initials, date.
        card = cards[0]
        img = [e for e in doc.find_all("img") if card in e.ancestors()]
        self.assertTrue(img and img[0].get("alt") is not None and
                        img[0].get("width") and img[0].get("height"),
                        "card image without alt/width/height")
        times = [e for e in doc.find_all("time") if card in e.ancestors()]
        self.assertTrue(times and re.match(r"^\d{4}-\d\d-\d\dT",
                                           times[0].get("datetime", "")))
        avatar = [e for e in doc.find_all(cls="avatar")
                  if card in e.ancestors()]
        self.assertTrue(avatar and re.match(r"^[A-Z]{1,2}$",
                                            avatar[0].text.strip()),
                        "card without author initials")
        # Subscribe box and the header link to it.
        self.assertPresent("Be the first to know", r.text)
        self.assertTrue(any(a.get("href", "").endswith("#subscribe")
                            for a in doc.find_all("a")),
                        "no Subscribe link to the subscribe box")
        self.assertIsNotNone(doc.find(id="subscribe"))

    def test_home_pagination_default_page_size(self):
        pub = self.content.published
        pages = (len(pub) + 14) // 15
        r, doc = self.page("/")
        self.assertIn("Page 1 of %d" % pages, norm_text(doc.find("body").text))
        nxt = doc.find("a", rel="next")
        if pages > 1:
            self.assertIsNotNone(nxt, "no next link on page 1 of %d" % pages)
            self.assertEqual(nxt.get("href"), "/?page=2")
            r2, doc2 = self.page("/?page=2")
            self.assertEqual(article_links(doc2)[:len(pub) - 15],
                             [a["slug"] for a in pub[15:30]])
            self.assertIsNone(doc2.find("article", cls="lead-story"),
                              "page 2 has a lead story")
            prev = doc2.find("a", rel="prev")
            self.assertIsNotNone(prev)
            self.assertEqual(prev.get("href"), "/")
        else:
            self.assertIsNone(nxt)
        self.page("/?page=%d" % (pages + 1), status=404)

    # ---- the article page (SPEC section 1) --------------------------------

    def pick_article(self):
        """The newest published demo story with comments, a feature image
        and ## subheadings."""
        for a in self.content.published:
            if (Content.approved_comments(a) and a.get("feature_image")
                    and "\n## " in a["markdown"]):
                return a
        self.fail("the demo has no story with comments, image and headings")

    def test_article_head(self):
        a = self.pick_article()
        base = self.gz.base
        url = base + "/articles/" + a["slug"]
        r, doc = self.page("/articles/" + a["slug"])
        title = doc.find("title").text
        self.assertIn(norm_text(a["title"]), norm_text(title))
        self.assertIn(self.content.site_title, title)
        self.assertEqual(doc.meta("description"), a["excerpt"])
        canon = doc.links("canonical")
        self.assertEqual([c.get("href") for c in canon], [url])
        self.assertEqual(doc.meta("og:type"), "article")
        self.assertIn(norm_text(a["title"]), norm_text(doc.meta("og:title")))
        self.assertEqual(doc.meta("og:description"), a["excerpt"])
        self.assertEqual(doc.meta("og:url"), url)
        self.assertEqual(doc.meta("og:image"),
                         base + a["feature_image"]["url"])
        self.assertEqual(doc.meta("article:published_time"),
                         a["published_at"])
        tag_names = [self.content.tags[t]["name"] for t in a["tags"]]
        self.assertEqual(doc.meta_all("article:tag"), tag_names)
        self.assertIn(doc.meta("twitter:card"),
                      ("summary", "summary_large_image"))
        self.assertIn(norm_text(a["title"]),
                      norm_text(doc.meta("twitter:title") or ""))
        alt = [l for l in doc.links("alternate")
               if l.get("type") == "application/rss+xml"]
        self.assertTrue(alt, "no RSS alternate link")
        self.assertTrue(alt[0].get("href").endswith("/feed.xml"))
        self.assertEqual(self.get(alt[0].get("href").replace(base, "")).status,
                         200)
        # JSON-LD NewsArticle.
        blocks = doc.find_all("script", type="application/ld+json")
        self.assertEqual(len(blocks), 1, "one JSON-LD block expected")
        ld = json.loads(blocks[0].text)
        self.assertEqual(ld.get("@context"), "https://schema.org")
        self.assertEqual(ld.get("@type"), "NewsArticle")
        self.assertEqual(ld.get("headline"), a["title"])
        self.assertEqual(ld.get("datePublished"), a["published_at"])
        authors = ld.get("author")
        authors = authors if isinstance(authors, list) else [authors]
        self.assertEqual([x.get("name") for x in authors],
                         [self.content.authors[a["author"]]["name"]])
        img = ld.get("image")
        img = img[0] if isinstance(img, list) else img
        img = img.get("url") if isinstance(img, dict) else img
        self.assertEqual(img, base + a["feature_image"]["url"])

    def test_article_body_and_anatomy(self):
        a = self.pick_article()
        author = self.content.authors[a["author"]]
        r, doc = self.page("/articles/" + a["slug"])
        text = norm_text(doc.find("body").text)
        h1 = doc.find_all("h1")
        self.assertEqual(len(h1), 1)
        self.assertEqual(norm_text(h1[0].text), norm_text(a["title"]))
        # Standfirst, author with initials, date, reading time, tag.
        self.assertPresent(norm_text(a["excerpt"]), text)
        self.assertPresent(author["name"], text)
        initials = "".join(w[0] for w in author["name"].split()[:2]).upper()
        self.assertTrue(any(e.text.strip() == initials
                            for e in doc.find_all(cls="avatar")),
                        "no author initials %r" % initials)
        times = [t.get("datetime") for t in doc.find_all("time")]
        self.assertIn(a["published_at"], times)
        self.assertRegex(text, r"\b\d+ min read\b")
        primary = self.content.tags[a["tags"][0]]
        self.assertTrue(any(x.get("href", "").endswith("/tags/" + primary["slug"])
                            for x in doc.find_all("a")))
        # Feature image with alt, width, height.
        fi = a["feature_image"]
        imgs = [i for i in doc.find_all("img") if i.get("src") == fi["url"]]
        self.assertTrue(imgs, "feature image %s not on the page" % fi["url"])
        self.assertEqual(imgs[0].get("alt"), fi["alt"])
        self.assertEqual(imgs[0].get("width"), str(fi["width"]))
        self.assertEqual(imgs[0].get("height"), str(fi["height"]))
        if fi.get("caption"):
            self.assertPresent(norm_text(fi["caption"]), text)
        # Share this post: X/Twitter, Facebook, LinkedIn, email, each with
        # the story's URL.
        self.assertPresent("Share this post", text)
        enc = urllib.parse.quote(self.gz.base + "/articles/" + a["slug"],
                                 safe="")
        hrefs = [x.get("href", "") for x in doc.find_all("a")]
        for prefix in (("https://twitter.com/", "https://x.com/"),
                       ("https://www.facebook.com/",),
                       ("https://www.linkedin.com/",), ("mailto:",)):
            found = [h for h in hrefs if h.startswith(prefix)]
            self.assertTrue(found, "no share link starting with %s" % (prefix,))
            self.assertTrue(any(enc in h for h in found),
                            "share link %s lacks the story URL" % found[0])
        # Body: paragraphs and the ## subheadings as <h2>.
        h2 = [norm_text(e.text) for e in doc.find_all("h2")]
        for heading in re.findall(r"^## (.+)$", a["markdown"], re.M):
            self.assertIn(norm_text(heading), h2)
        self.assertGreater(len(doc.find_all("p")), 3)
        # Comments: the count, every approved comment's name and the form.
        comments = Content.approved_comments(a)
        section = doc.find(id="comments")
        self.assertIsNotNone(section, "no comments section")
        ctext = norm_text(section.text)
        self.assertPresent(str(len(comments)), ctext)
        for c in comments:
            self.assertPresent(norm_text(c["name"]), ctext)
            self.assertPresent(norm_text(c["body"].split("\n")[0])[:60], ctext)
        for c in a.get("comments", []):
            if c.get("email"):
                self.assertAbsent(c["email"], r.text, "commenter email shown")
        form = [f for f in doc.find_all("form")
                if f.get("action", "").endswith(
                    "/articles/%s/comments" % a["slug"])]
        self.assertTrue(form, "no comment form posting to the story")
        self.assertEqual(form[0].get("method", "").lower(), "post")
        names = {e.get("name") for e in doc.find_all()
                 if form[0] in e.ancestors() and
                 e.tag in ("input", "textarea")}
        self.assertTrue({"name", "email", "body"} <= names,
                        "comment form fields: %s" % names)
        # Subscribe box.
        self.assertPresent("Be the first to know", text)
        self.assertIn("Join our community and get notified about upcoming "
                      "stories", text)
        sub = doc.find(id="subscribe")
        self.assertIsNotNone(sub)
        self.assertTrue(any(e.get("type") == "email" and
                            e.get("name") == "email"
                            for e in doc.find_all("input")
                            if sub in e.ancestors()))
        self.assertTrue(any(e.tag == "button" for e in doc.find_all()
                            if sub in e.ancestors()))
        # More stories: 3-4 other stories as cards.
        more = doc.find(cls="more-stories") or doc.find(
            id="more-title").parent
        more_cards = [c for c in doc.find_all("article", cls="card")
                      if more in c.ancestors()]
        self.assertTrue(3 <= len(more_cards) <= 4,
                        "%d more-stories cards" % len(more_cards))
        more_links = [x.get("href") for x in doc.find_all("a")
                      if more in x.ancestors() and "/articles/" in
                      x.get("href", "")]
        self.assertFalse([h for h in more_links
                          if h.endswith("/articles/" + a["slug"])],
                         "the story recommends itself")
        # Footer: site name, RSS link, copyright.
        footer = doc.find("footer", cls="site-footer") or doc.find_all(
            "footer")[-1]
        ftext = norm_text(footer.text)
        self.assertIn(self.content.site_title, ftext)
        self.assertIn("\u00a9", footer.text)
        self.assertTrue(any(x.get("href", "").endswith("/feed.xml")
                            for x in doc.find_all("a")
                            if footer in x.ancestors()),
                        "no RSS link in the footer")
        # Order, top to bottom, as SPEC section 1 lists it.
        body = r.text
        marks = [("h1", body.find("<h1")),
                 ("feature image", body.find('src="%s"' % fi["url"])),
                 ("share", body.find("Share this post")),
                 ("body h2", body.find("<h2>")),
                 ("comments", body.find('id="comments"')),
                 ("subscribe", body.find("Be the first to know")),
                 ("more stories", _pos(r">\s*More stories\s*<", body)),
                 ("footer", body.rfind("<footer"))]
        for name, pos in marks:
            self.assertGreaterEqual(pos, 0, "%s not found" % name)
        self.assertEqual([m[0] for m in sorted(marks, key=lambda m: m[1])],
                         [m[0] for m in marks], "page parts out of order")

    def test_article_without_comments_and_closed(self):
        # A story with no comments invites the first one.
        none = [a for a in self.content.published
                if not a.get("comments") and a.get("comments_open", True)]
        r, doc = self.page("/articles/" + none[0]["slug"])
        self.assertPresent("Be the first to comment", r.text)
        # Held and spam comments are never shown; closed comments have no
        # form.
        a = self.content.articles["quiet-story-comments-closed"]
        r, doc = self.page("/articles/" + a["slug"])
        self.assertPresent("Approved Ann", r.text)
        self.assertAbsent("Pending Pat", r.text)
        self.assertAbsent("never shown", r.text)
        self.assertAbsent("Spammy Sam", r.text)
        self.assertFalse([f for f in doc.find_all("form")
                          if "/comments" in f.get("action", "")],
                         "comment form on a story with comments closed")
        self.assertPresent("Comments are closed", r.text)
        # No feature image: no og:image and no empty <img>.
        self.assertIsNone(doc.meta("og:image"))

    def test_article_unknown_or_unpublished_is_404(self):
        for path in ["/articles/no-such-story", "/articles/Upper-Case",
                     "/articles/" + "x" * 300, "/articles/a/b",
                     "/articles/", "/articles"] + [
                "/articles/" + a["slug"] for a in self.content.unpublished]:
            r, doc = self.page(path, status=404)
            self.assertPresent("404", r.text)
            self.assertRegex(doc.find("title").text, "(?i)not found")
            self.assertEqual(r.header("Cache-Control"), "no-store",
                             "error pages must not be cached")

    # ---- tags and authors -------------------------------------------------

    def test_tag_pages(self):
        for slug in self.content.tags_in_use():
            tag = self.content.tags[slug]
            r, doc = self.page("/tags/" + slug)
            self.assertEqual(norm_text(doc.find("h1").text),
                             norm_text(tag["name"]))
            if tag.get("description"):
                self.assertIn(norm_text(tag["description"]),
                              norm_text(doc.find("body").text))
            expected = [a["slug"] for a in self.content.with_tag(slug)][:15]
            self.assertEqual(article_links(doc)[:len(expected)], expected,
                             "stories of tag %s" % slug)
            self.assertEqual(len(doc.find_all("article", cls="card")),
                             len(expected))
            feeds = [l.get("href") for l in doc.links("alternate")]
            self.assertIn("/tags/%s/feed.xml" % slug, feeds)
            self.assertEqual(doc.links("canonical")[0].get("href"),
                             self.gz.base + "/tags/" + slug)
        self.page("/tags/no-such-tag", status=404)
        self.page("/tags/UPPER", status=404)

    def test_author_pages(self):
        for slug in self.content.authors_in_use():
            author = self.content.authors[slug]
            r, doc = self.page("/authors/" + slug)
            self.assertEqual(norm_text(doc.find("h1").text),
                             norm_text(author["name"]))
            self.assertIn(norm_text(author["bio"]),
                          norm_text(doc.find("body").text))
            expected = [a["slug"] for a in self.content.by_author(slug)][:15]
            self.assertEqual(article_links(doc)[:len(expected)], expected)
            self.assertEqual(len(doc.find_all("article", cls="card")),
                             len(expected))
            self.assertAbsent(author["email"], r.text, "author email shown")
        self.page("/authors/nobody-here", status=404)

    # ---- search ------------------------------------------------------------

    def test_search_results_highlighted(self):
        a = self.content.articles["comet-naked-eye-weekend"]
        r, doc = self.page("/search?q=comet")
        slugs = article_links(doc)
        self.assertIn(a["slug"], slugs)
        marks = [m.text.lower() for m in doc.find_all("mark")]
        self.assertTrue(marks, "no <mark> highlight in results")
        self.assertTrue(all(m.startswith("comet") for m in marks), marks)
        self.assertEqual(doc.meta("robots"), "noindex")
        # Search input keeps the query.
        q = [i for i in doc.find_all("input") if i.get("name") == "q"]
        self.assertTrue(q and q[0].get("value") == "comet")
        # Title, excerpt and body are searched; drafts are not.
        for word, slug in (("Quillfeather", None), ("snorkelwhistle", None),
                           ("restoration", "textile-mill-working-museum")):
            r, doc = self.page("/search?q=" + word)
            if slug:
                self.assertIn(slug, article_links(doc))
            else:
                self.assertEqual([s for s in article_links(doc)], [])

    def test_search_no_results_and_empty(self):
        r, doc = self.page("/search?q=xyzzyplughnothing")
        self.assertPresent("No results for", r.text)
        self.assertPresent("xyzzyplughnothing", r.text)
        self.assertEqual(doc.find_all("mark"), [])
        r, doc = self.page("/search")
        self.assertEqual(article_links(doc), [])
        r, doc = self.page("/search?q=")
        self.assertEqual(article_links(doc), [])

    def test_search_query_too_long_is_400(self):
        r, doc = self.page("/search?q=" + "a" * 201, status=400)
        self.assertRegex(r.text, "(?i)too long")
        # 200 characters is fine, counted as characters, not bytes.
        self.page("/search?q=" + "a" * 200)
        self.page("/search?q=" + urllib.parse.quote("\u00e9" * 200))
        self.page("/search?q=" + urllib.parse.quote("\u00e9" * 201),
                  status=400)

    def test_search_fts_syntax_is_harmless(self):
        for q in ['"', '""', '"unterminated', 'AND OR NEAR(', 'NEAR(a b)',
                  '*', 'comet*', '**', '-comet', '^comet', 'title:comet',
                  'plain:comet', '(', ')', "'", "a'b", 'NOT', 'AND', 'OR',
                  '\\', '%', ':', '{', '}', '[', ']', '+', 'comet AND',
                  'a"b"c', 'x OR y NOT z', "\u00e9\u00e8", "\U0001F600",
                  "'; DROP TABLE articles; --"]:
            r = self.get("/search?q=" + urllib.parse.quote(q))
            self.assertEqual(r.status, 200, "q=%r: %d" % (q, r.status))
            self.assertEqual(r.ctype, "text/html")
        # And the table is still there.
        self.assertEqual(self.get("/articles/comet-naked-eye-weekend").status,
                         200)

    # ---- feeds ---------------------------------------------------------------

    def check_feed(self, path, articles, title_contains):
        r = self.get_ok(path, ctype="application/rss+xml")
        root = ET.fromstring(r.body)
        self.assertEqual(root.tag, "rss")
        self.assertEqual(root.get("version"), "2.0")
        ch = root.find("channel")
        self.assertIn(title_contains, ch.findtext("title"))
        self.assertTrue(ch.findtext("link").startswith("http"))
        self.assertIsNotNone(ch.findtext("description"))
        self_link = ch.find("atom:link", NS)
        self.assertIsNotNone(self_link)
        self.assertEqual(self_link.get("href"), self.gz.base + path)
        items = ch.findall("item")
        expected = articles[:20]
        self.assertEqual(len(items), len(expected))
        for item, a in zip(items, expected):
            self.assertEqual(item.findtext("title"), a["title"])
            self.assertEqual(item.findtext("link"),
                             self.gz.base + "/articles/" + a["slug"])
            self.assertTrue(item.findtext("guid"))
            when = email.utils.parsedate_to_datetime(item.findtext("pubDate"))
            self.assertEqual(when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             a["published_at"])
            self.assertEqual(item.findtext("description"), a["excerpt"])
            self.assertEqual(item.findtext("dc:creator", namespaces=NS),
                             self.content.authors[a["author"]]["name"])
            self.assertEqual([c.text for c in item.findall("category")],
                             [self.content.tags[t]["name"] for t in a["tags"]])
            html = item.findtext("content:encoded", namespaces=NS)
            self.assertTrue(html and "<p>" in html,
                            "content:encoded has no HTML for %s" % a["slug"])
            if "\n## " in a["markdown"]:
                self.assertPresent("<h2>", html)
        return root

    def test_feed(self):
        self.check_feed("/feed.xml", self.content.published,
                        self.content.site_title)

    def test_tag_feeds(self):
        for slug in self.content.tags_in_use():
            self.check_feed("/tags/%s/feed.xml" % slug,
                            self.content.with_tag(slug),
                            self.content.tags[slug]["name"])
        self.assertEqual(self.get("/tags/no-such-tag/feed.xml").status, 404)

    # ---- sitemap, robots ----------------------------------------------------

    def test_sitemap(self):
        r = self.get_ok("/sitemap.xml", ctype=None)
        self.assertIn(r.ctype, ("application/xml", "text/xml"))
        root = ET.fromstring(r.body)
        self.assertEqual(root.tag, "{%s}urlset" % NS["sm"])
        locs = [u.findtext("sm:loc", namespaces=NS)
                for u in root.findall("sm:url", NS)]
        self.assertEqual(len(locs), len(set(locs)), "repeated URLs")
        b = self.gz.base
        want = {b + "/"}
        want |= {b + "/articles/" + a["slug"] for a in self.content.published}
        want |= {b + "/tags/" + t for t in self.content.tags_in_use()}
        want |= {b + "/authors/" + a for a in self.content.authors_in_use()}
        self.assertEqual(want - set(locs), set(), "missing from the sitemap")
        for a in self.content.unpublished:
            self.assertNotIn(b + "/articles/" + a["slug"], locs)
        for u in root.findall("sm:url", NS):
            lm = u.findtext("sm:lastmod", namespaces=NS)
            if lm is not None:
                self.assertRegex(lm, r"^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d))?$")

    def test_robots(self):
        r = self.get_ok("/robots.txt", ctype="text/plain")
        lines = r.text.splitlines()
        self.assertIn("User-agent: *", lines)
        self.assertIn("Sitemap: %s/sitemap.xml" % self.gz.base, lines)
        self.assertIn("Disallow: /admin/", lines)

    # ---- static files -----------------------------------------------------

    def test_static_assets_from_the_page(self):
        r, doc = self.page("/")
        css = doc.links("stylesheet")
        self.assertEqual(len(css), 1)
        js = [s.get("src") for s in doc.find_all("script") if s.get("src")]
        self.assertEqual(len(js), 1)
        icon = doc.links("icon")
        self.assertTrue(icon)
        for url, ctype, disk in ((css[0].get("href"), "text/css",
                                  "static/css/site.css"),
                                 (js[0], ("text/javascript",
                                          "application/javascript"),
                                  "static/js/site.js"),
                                 (icon[0].get("href"), "image/svg+xml",
                                  "static/img/favicon.svg")):
            # Fingerprinted name: /static/x/name.HASH.ext, cached for good.
            self.assertRegex(url, r"^/static/.+\.[0-9a-f]{6,}\.[a-z0-9]+$")
            a = self.get(url)
            self.assertEqual(a.status, 200, url)
            self.assertIn(a.ctype, ctype if isinstance(ctype, tuple)
                          else (ctype,))
            cc = a.header("Cache-Control", "")
            self.assertIn("immutable", cc, url)
            m = re.search(r"max-age=(\d+)", cc)
            self.assertTrue(m and int(m.group(1)) >= 31536000, cc)
            with open(os.path.join(harness.ROOT, disk), "rb") as f:
                self.assertEqual(a.body, f.read(), "%s is not %s" % (url, disk))
            # The plain name works too but is revalidated, not immutable.
            plain = self.get("/" + disk)
            self.assertEqual(plain.status, 200)
            self.assertEqual(plain.body, a.body)
            self.assertNotIn("immutable", plain.header("Cache-Control", ""))
            self.assertTrue(plain.header("ETag"))

    def test_static_misc(self):
        for path in ("/static/nope.css", "/static/", "/static",
                     "/static/css/", "/static/css/site.00000000.css",
                     "/static/.hidden"):
            self.assertEqual(self.get(path).status, 404, path)
        r = self.get("/static/img/logo.svg")
        self.assertEqual((r.status, r.ctype), (200, "image/svg+xml"))
        r = self.get("/static/demo/comet-naked-eye-weekend.svg")
        self.assertEqual((r.status, r.ctype), (200, "image/svg+xml"))

    def test_favicon(self):
        r = self.get("/favicon.ico")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.ctype.startswith("image/"), r.ctype)
        self.assertGreater(len(r.body), 50)

    # ---- health and metrics -----------------------------------------------

    def test_healthz(self):
        r = self.get_ok("/healthz", ctype="text/plain")
        self.assertEqual(r.text.strip(), "ok")
        self.assertIn("no-store", r.header("Cache-Control", ""))

    def metrics(self):
        r = self.get_ok("/metrics", ctype="text/plain")
        values = {}
        for line in r.text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) "
                         r"([0-9.eE+-]+|NaN|\+Inf)$", line)
            self.assertIsNotNone(m, "not Prometheus text format: %r" % line)
            values[m.group(1)] = float(m.group(2))
        return r.text, values

    def test_metrics(self):
        text, before = self.metrics()
        self.assertPresent("# TYPE gazette_http_requests_total counter", text)
        self.assertIn("# TYPE gazette_http_request_duration_seconds histogram",
                      text)
        key = 'gazette_http_requests_total{route="/robots.txt",status="2xx"}'
        for _ in range(3):
            self.get("/robots.txt")
        self.get("/no-such-page-for-metrics")
        text, after = self.metrics()
        self.assertGreaterEqual(after.get(key, 0) - before.get(key, 0), 3,
                                "robots.txt requests not counted")
        self.assertTrue(any(k.startswith("gazette_http_requests_total{") and
                            'status="4xx"' in k for k in after))
        # The histogram: cumulative buckets, +Inf == count, count grows.
        buckets = [(k, v) for k, v in after.items()
                   if k.startswith("gazette_http_request_duration_seconds_bucket")]
        self.assertGreater(len(buckets), 3)
        vals = [v for _, v in buckets]
        self.assertEqual(vals, sorted(vals), "buckets not cumulative")
        inf = after['gazette_http_request_duration_seconds_bucket{le="+Inf"}']
        count = after["gazette_http_request_duration_seconds_count"]
        self.assertEqual(inf, count)
        self.assertGreaterEqual(
            count - before["gazette_http_request_duration_seconds_count"], 4)
        self.assertIn("gazette_http_request_duration_seconds_sum", after)


class BaseUrl(harness.ServerTestCase):
    """server.base_url (SPEC section 9) makes every absolute link: canonical,
    Open Graph, JSON-LD, share links, feeds, sitemap, robots."""
    BASE = "https://news.example.org"
    ENV = {"GAZETTE_BASE_URL": BASE}

    def absolute_urls(self):
        out = []
        r, doc = self.page("/articles/comet-naked-eye-weekend")
        out += [l.get("href") for l in doc.links("canonical")]
        out += [doc.meta("og:url"), doc.meta("og:image")]
        ld = json.loads(doc.find("script", type="application/ld+json").text)
        out += [ld["mainEntityOfPage"], ld["author"][0]["url"]
                if isinstance(ld["author"], list) else ld["author"]["url"]]
        for path in ("/feed.xml", "/tags/science/feed.xml"):
            root = ET.fromstring(self.get(path).body)
            ch = root.find("channel")
            out.append(ch.findtext("link"))
            out.append(ch.find("atom:link", NS).get("href"))
            out += [i.findtext("link") for i in ch.findall("item")]
        root = ET.fromstring(self.get("/sitemap.xml").body)
        out += [u.findtext("sm:loc", namespaces=NS)
                for u in root.findall("sm:url", NS)]
        robots = self.get("/robots.txt").text
        out += re.findall(r"^Sitemap: (\S+)$", robots, re.M)
        return out

    def test_absolute_links_use_base_url(self):
        urls = self.absolute_urls()
        self.assertGreater(len(urls), 20)
        for u in urls:
            self.assertTrue(u and u.startswith(self.BASE + "/"),
                            "%r does not start with %s/" % (u, self.BASE))
            self.assertNotIn("127.0.0.1", u)
        r, doc = self.page("/articles/comet-naked-eye-weekend")
        enc = urllib.parse.quote(self.BASE + "/articles/comet-naked-eye-weekend",
                                 safe="")
        self.assertTrue(any(enc in a.get("href", "")
                            for a in doc.find_all("a")
                            if a.get("href", "").startswith("mailto:")))
        self.assertAbsent(str(self.gz.port), r.text,
                          "the listening address leaks into the page")


class BaseUrlWithHost(harness.ServerTestCase):
    """A base_url (scheme, host, port) is where the site lives behind a
    proxy: canonical, Open Graph, feed and sitemap links use it, while
    in-page links stay root-relative."""
    BASE = "https://news.example.org"
    ENV = {"GAZETTE_BASE_URL": BASE}

    def test_absolute_links_use_the_base_url(self):
        r, doc = self.page("/articles/comet-naked-eye-weekend")
        self.assertIn('<link rel="canonical" href="%s/articles/'
                      'comet-naked-eye-weekend"' % self.BASE, r.text)
        feed = self.get("/feed.xml")
        self.assertIn("<link>%s/" % self.BASE, feed.text)
        self.assertNotIn("127.0.0.1", feed.text)
        sitemap = self.get("/sitemap.xml")
        self.assertIn("<loc>%s/articles/" % self.BASE, sitemap.text)
        robots = self.get("/robots.txt")
        self.assertIn("Sitemap: %s/sitemap.xml" % self.BASE, robots.text)

