"""Every kind of HTML page is valid HTML5, by the Nu HTML Checker (vnu.jar
from node_modules, run once for all pages)."""
import json
import os
import shutil
import subprocess
import urllib.parse

import harness

JAR = os.path.join(harness.ROOT, "node_modules", "vnu-jar", "build", "dist",
                   "vnu.jar")

PAGES = [
    ("home", "/", 200),
    ("home-page-2", "/?page=2", 200),
    ("article", "/articles/harbour-night-market-returns", 200),
    ("article-no-comments", "/articles/textile-mill-working-museum", 200),
    ("article-hostile", "/articles/hostile-story", 200),
    ("tag", "/tags/city", 200),
    ("tag-page-2", "/tags/city?page=2", 200),
    ("tag-hostile", "/tags/hostile-tag", 200),
    ("author", "/authors/maren-okafor", 200),
    ("author-hostile", "/authors/hostile-author", 200),
    ("search-results", "/search?q=harbour", 200),
    ("search-results-page-2", "/search?q=quillfeather&page=2", 200),
    ("search-hostile-query", "/search?q=" + urllib.parse.quote(
        "\"'><img src=x onerror=alert(1)>"), 200),
    ("search-no-results", "/search?q=nothingmatchesthisatall", 200),
    ("search-empty", "/search", 200),
    ("not-found", "/no-such-page", 404),
    ("article-not-found", "/articles/no-such-story", 404),
    ("bad-request", "/?page=abc", 400),
    ("search-too-long", "/search?q=" + "a" * 201, 400),
    ("method-not-allowed", "POST /", 405),
    ("uri-too-long", "/" + "a" * 9000, 414),
]


class NuValidator(harness.ServerTestCase):
    ENV = {"GAZETTE_PAGE_SIZE": "5"}
    FIXTURES = ("hostile.json", "many.json", "extra.json")

    def test_all_pages_are_valid_html(self):
        java = shutil.which("java")
        if not java:
            self.skipTest("java is not installed (apt-get install "
                          "default-jre-headless)")
        if not os.path.exists(JAR):
            self.skipTest("%s is missing (npm ci installs vnu-jar)" % JAR)
        files = {}
        for name, path, status in PAGES:
            if path.startswith("POST "):
                r = self.request("POST", path[5:])
            else:
                r = self.get(path)
            self.assertEqual(r.status, status, "%s %s" % (name, path[:60]))
            self.assertEqual(r.ctype, "text/html", name)
            self.assertGreater(len(r.body), 500, "%s: almost empty" % name)
            f = os.path.join(self.gz.tmp, name + ".html")
            with open(f, "wb") as out:
                out.write(r.body)
            files[f] = "%s (%s)" % (name, path[:60])
        # One JVM for all pages. --no-langdetect: language guesses are
        # warnings, not errors, and the guesser is slow. -Xss: the schema
        # needs a deep stack.
        p = subprocess.run([java, "-Xss4m", "-jar", JAR, "--errors-only",
                            "--no-langdetect", "--format", "json"] +
                           sorted(files), capture_output=True, text=True,
                           timeout=240)
        out = p.stderr.strip() or p.stdout.strip()
        try:
            report = json.loads(out)
        except ValueError:
            self.fail("vnu gave no JSON report (exit %d):\n%s\n%s" % (
                p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
        errors = [m for m in report.get("messages", [])
                  if m.get("type") in ("error", "non-document-error")]
        lines = []
        for m in errors:
            url = m.get("url", "")
            page = next((v for k, v in files.items() if url.endswith(
                os.path.basename(k))), url)
            lines.append("%s line %s: %s\n    %r" % (
                page, m.get("lastLine"), m.get("message"),
                m.get("extract", "")))
        hints = []
        if any("for attribute \u201csrc\u201d on element \u201cimg\u201d: "
               "Must be non-empty" in (m.get("message") or "")
               for m in errors):
            hints.append(
                "SERVER BUG (src/render/markdown.c gz_md_render: cmark's "
                "CMARK_OPT_SAFE turns an unsafe image URL such as "
                "![x](javascript:...) into <img src=\"\">, which is invalid "
                "HTML; the renderer should drop the image or its src)")
        if lines:
            print("\nNu HTML Checker errors:\n" + "\n".join(lines + hints))
        self.assertEqual(len(errors), 0, "invalid HTML:\n" +
                         "\n".join(lines + hints))
