"""Pagination of home, tag, author and search pages, with GAZETTE_PAGE_SIZE=5
and twelve more stories than the demo (27 in all), and the 20-item feed cap."""
import re
import urllib.parse
import xml.etree.ElementTree as ET

import harness
from harness import Content, norm_text
from test_routes import article_links

FIXTURES = ("many.json",)
SIZE = 5


class Pagination(harness.ServerTestCase):
    ENV = {"GAZETTE_PAGE_SIZE": str(SIZE)}
    FIXTURES = FIXTURES

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.content = Content(FIXTURES)

    def walk(self, first, base):
        """Follows rel=next from first to the end; checks each page's prev
        link, "Page X of Y" and <link rel=prev/next>; returns the story slugs
        of every page, in order."""
        pages = []
        url = first
        prev_url = None
        seen = set()
        while url:
            self.assertNotIn(url, seen, "pagination loops at %s" % url)
            seen.add(url)
            r, doc = self.page(url)
            n = len(pages) + 1
            pages.append(article_links(doc))
            m = re.search(r"Page (\d+) of (\d+)", norm_text(doc.find("body").text))
            self.assertTrue(m, "no 'Page X of Y' on %s" % url)
            self.assertEqual(int(m.group(1)), n)
            total_pages = int(m.group(2))
            prev = doc.find("a", rel="prev")
            if prev_url is None:
                self.assertIsNone(prev, "page 1 has a prev link")
                self.assertEqual(doc.links("prev"), [])
            else:
                self.assertIsNotNone(prev, "no prev link on %s" % url)
                self.assertEqual(prev.get("href"), prev_url)
                self.assertEqual([l.get("href") for l in doc.links("prev")],
                                 [prev_url])
            nxt = doc.find("a", rel="next")
            head_next = [l.get("href") for l in doc.links("next")]
            if nxt is not None:
                self.assertEqual(head_next, [nxt.get("href")])
                self.assertTrue(nxt.get("href").startswith(base),
                                "next link %s leaves %s" % (nxt.get("href"),
                                                            base))
            else:
                self.assertEqual(head_next, [])
            prev_url = url
            url = nxt.get("href") if nxt is not None else None
        self.assertEqual(len(pages), total_pages)
        return pages

    def check_listing(self, base, expected_slugs, lead=False):
        pages = self.walk(base, base)
        n = len(expected_slugs)
        self.assertEqual(len(pages), (n + SIZE - 1) // SIZE)
        for i, p in enumerate(pages):
            want = expected_slugs[i * SIZE:(i + 1) * SIZE]
            self.assertEqual([s for s in p if s in expected_slugs][:len(want)],
                             want, "page %d of %s" % (i + 1, base))
        # Past the last page: 404, the first page is the plain URL.
        sep = "&" if "?" in base else "?"
        r, doc = self.page("%s%spage=%d" % (base, sep, len(pages) + 1),
                           status=404)
        return pages

    def test_home(self):
        slugs = [a["slug"] for a in self.content.published]
        self.assertEqual(len(slugs), 27)
        pages = self.check_listing("/", slugs)
        r, doc = self.page("/")
        self.assertIsNotNone(doc.find("article", cls="lead-story"))
        self.assertEqual(len(doc.find_all("article", cls="card")), SIZE - 1)
        r, doc = self.page("/?page=2")
        self.assertIsNone(doc.find("article", cls="lead-story"))
        self.assertEqual(len(doc.find_all("article", cls="card")), SIZE)
        r, doc = self.page("/?page=6")
        self.assertEqual(len(doc.find_all("article", cls="card")), 27 - 25)
        self.assertIsNone(doc.find("a", rel="next"))

    def test_tag(self):
        self.check_listing("/tags/city",
                           [a["slug"] for a in self.content.with_tag("city")])
        self.check_listing("/tags/business",
                           [a["slug"] for a in
                            self.content.with_tag("business")])

    def test_author(self):
        self.check_listing("/authors/maren-okafor",
                           [a["slug"] for a in
                            self.content.by_author("maren-okafor")])

    def test_search_keeps_the_query(self):
        q = "quillfeather files"
        base = "/search?q=" + urllib.parse.quote_plus(q)
        r, doc = self.page(base)
        nxt = doc.find("a", rel="next")
        self.assertIsNotNone(nxt, "no next link on search results")
        href = nxt.get("href")
        qs = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
        self.assertEqual(qs.get("q"), [q], "next link lost the query: %s"
                         % href)
        self.assertEqual(qs.get("page"), ["2"])
        seen = []
        url = base
        while url:
            r, doc = self.page(url)
            found = article_links(doc)
            self.assertTrue(found)
            seen += found
            nxt = doc.find("a", rel="next")
            url = nxt.get("href") if nxt is not None else None
            if url:
                qs = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
                self.assertEqual(qs.get("q"), [q])
        archive = sorted(a["slug"] for a in self.content.published
                         if "quillfeather" in a["title"].lower())
        self.assertEqual(sorted(seen), archive)
        self.assertEqual(len(seen), len(set(seen)), "a result on two pages")
        # The prev link of page 2 keeps the query too.
        r, doc = self.page(base + "&page=2")
        prev = doc.find("a", rel="prev")
        self.assertIsNotNone(prev)
        qs = urllib.parse.parse_qs(urllib.parse.urlsplit(prev.get("href")).query)
        self.assertEqual(qs.get("q"), [q])

    def test_canonical_of_later_pages_is_the_page_itself(self):
        # Ghost and WordPress give /page/2/ its own canonical URL; pointing
        # page 2 at page 1 tells search engines page 2 duplicates page 1,
        # so the older stories listed there are never crawled from it.
        for path in ("/?page=2", "/tags/city?page=2",
                     "/authors/maren-okafor?page=2"):
            r, doc = self.page(path)
            canon = [l.get("href") for l in doc.links("canonical")]
            self.assertEqual(canon, [self.gz.base + path],
                             "SERVER BUG (src/site/pages.c page_common: "
                             "canonical_url is the path without ?page=N): "
                             "canonical URL of %s" % path)

    def test_feed_has_the_newest_20(self):
        r = self.get_ok("/feed.xml", ctype="application/rss+xml")
        items = ET.fromstring(r.body).find("channel").findall("item")
        self.assertEqual(len(items), 20)
        self.assertEqual([i.findtext("link") for i in items],
                         [self.gz.base + "/articles/" + a["slug"]
                          for a in self.content.published[:20]])
        r = self.get_ok("/tags/city/feed.xml", ctype="application/rss+xml")
        items = ET.fromstring(r.body).find("channel").findall("item")
        city = self.content.with_tag("city")
        self.assertGreaterEqual(len(city), 20)
        self.assertEqual([i.findtext("link") for i in items],
                         [self.gz.base + "/articles/" + a["slug"]
                          for a in city[:20]])
