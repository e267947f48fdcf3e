#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz harnesses: tests/fuzz/corpus/<h>/seed-*.

The seeds are the meaningful starting points (docs/TESTING.md): a request
for every route of src/http/routes.c (anonymous, signed in as the admin
and as the author, forms urlencoded and multipart, API calls with a
token), the JSON bodies of docs/API.md, every template of templates/ and
of the Mustache spec, the demo stories' Markdown, the import fixtures,
NQL filters, and text for the helpers. Files the fuzzer found (named by
their SHA-1) sit beside them and are not touched.

Run it again when routes, forms or fixtures change:
    python3 tests/fuzz/seeds.py
It removes the old seed-* files first, so the set is always what this
script makes.
"""
import glob
import json
import os
import re
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
SPEC = os.path.join(ROOT, "..", "shared", "reference", "mustache-spec")

HOST = "Host: 127.0.0.1:8080\r\n"
ORIGIN = "Origin: http://127.0.0.1:8080\r\n"
ADMIN = "Cookie: gz_session=$SESSION\r\n"
AUTHOR = "Cookie: gz_session=$ASESSION\r\n"
BEARER = "Authorization: Bearer $TOKEN\r\n"
ABEARER = "Authorization: Bearer $ATOKEN\r\n"

SLUG = "harbour-night-market-returns"
FIRST = "textile-mill-working-museum"


def png_1x1():
    def chunk(kind, data):
        c = kind + data
        return (struct.pack(">I", len(data)) + c +
                struct.pack(">I", zlib.crc32(c) & 0xffffffff))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) +
            chunk(b"IEND", b""))


PNG = png_1x1()
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
       b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00"
       b"\x00\x02\x02D\x01\x00;")


class Writer:
    def __init__(self, name):
        self.dir = os.path.join(CORPUS, name)
        os.makedirs(self.dir, exist_ok=True)
        for old in glob.glob(os.path.join(self.dir, "seed-*")):
            os.remove(old)
        self.seen = set()

    def add(self, label, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if data in self.seen:
            return
        self.seen.add(data)
        label = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-")[:60]
        n = len(self.seen)
        with open(os.path.join(self.dir, "seed-%03d-%s" % (n, label)),
                  "wb") as f:
            f.write(data)


# ---- requests (fuzz_req) --------------------------------------------------

def routes():
    src = open(os.path.join(ROOT, "src", "http", "routes.c")).read()
    for m in re.finditer(r'\{\s*((?:GET|POST|PATCH|DELETE)(?:\s*\|\s*'
                         r'(?:GET|POST|PATCH|DELETE))*)\s*,\s*"(/[^"]*)"', src):
        yield [x.strip() for x in m.group(1).split("|")], m.group(2)


def concrete(pattern):
    p = pattern
    if p.startswith("/tags/") or p.startswith("/api/v1/tags/"):
        p = p.replace(":slug", "city")
    elif "/authors/" in p:
        p = p.replace(":slug", "maren-okafor")
    p = p.replace(":slug", SLUG).replace(":id", "2")
    p = p.replace("/media/*", "/media/" + "0" * 64 + ".png")
    p = p.replace("/static/*", "/static/css/site.css")
    return p


def request(method, target, headers="", body=b"", ctype=None):
    h = "%s %s HTTP/1.1\r\n%s%s" % (method, target, HOST, headers)
    if ctype:
        h += "Content-Type: %s\r\n" % ctype
    if body or method in ("POST", "PATCH", "PUT"):
        h += "Content-Length: $LEN\r\n"
    if isinstance(body, str):
        body = body.encode()
    return h.encode() + b"\r\n" + body


def urlencode(fields):
    from urllib.parse import quote_plus
    return "&".join("%s=%s" % (quote_plus(k), quote_plus(v, safe="$"))
                    for k, v in fields)


def multipart(fields, files=()):
    b = "----gzfuzz"
    out = b""
    for k, v in fields:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                "%s\r\n" % (b, k, v)).encode()
    for k, name, ctype, data in files:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                % (b, k, name, ctype)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % b).encode()
    return out, "multipart/form-data; boundary=" + b


STORY = [("title", "Harbour <b>lights</b> & more"), ("slug", "harbour-lights"),
         ("excerpt", "Short & sweet"), ("tags", "City, Science, new tag"),
         ("markdown", "# Head\n\nSome *text* with a [link](https://x.test)."
                      "\n\n- one\n- two\n\n<script>x</script>"),
         ("comments_open", "on"), ("image_url", ""), ("image_alt", "alt"),
         ("image_caption", "cap"), ("publish_at", "2099-01-01T09:00")]

FORMS = {
    "/admin/comments": [("do", "approve"), ("action", "approve"),
                        ("ids", "1"), ("status", "pending")],
    "/admin/login": [("email", "admin@example.com"),
                     ("password", "wrong-password-x"), ("next", "/admin")],
    "/admin/logout": [],
    "/admin/preview": [("title", "Preview"),
                       ("markdown", "**bold** [x](javascript:alert(1))")],
    "/admin/settings": [("title", "The Gazette"), ("description", "News"),
                        ("base_url", "https://news.example.org"),
                        ("comment_policy", "hold"), ("double_opt_in", "on")],
    "/admin/settings/tokens": [("name", "deploy"),
                               ("user", "author@example.com")],
    "/admin/settings/tokens/:id/revoke": [],
    "/admin/setup": [("email", "first@example.com"), ("name", "First"),
                     ("password", "a-long-password")],
    "/admin/stories": STORY + [("action", "save")],
    "/admin/stories/:id": STORY + [("action", "publish")],
    "/admin/stories/:id/delete": [],
    "/admin/subscribers/:id/delete": [("back", "/admin/subscribers")],
    "/admin/users": [("name", "New Editor"), ("email", "ed@example.com"),
                     ("password", "another-password"), ("role", "editor")],
    "/admin/users/:id": [("action", "disable"), ("role", "editor")],
    "/articles/:slug/comments": [("name", "Ada <b>"),
                                 ("email", "ada@example.com"),
                                 ("body", "Nice!\n\nSee https://x.test/a?b=1"),
                                 ("website", "")],
    "/subscribe": [("email", "reader@example.com"), ("name", "Reader"),
                   ("website", "")],
    "/subscribe/confirm": [("token", "a" * 64)],
    "/unsubscribe": [("token", "b" * 64),
                     ("List-Unsubscribe", "One-Click")],
}

API_BODIES = {
    "/api/v1/articles": [
        {"title": "Tide tables for March",
         "markdown": "High water at **06:12**.", "tags": ["City"],
         "status": "published",
         "feature_image": {"url": "/media/" + "0" * 64 + ".png",
                           "alt": "The harbour at dawn"}},
        {"title": "Council meets on Monday", "markdown": "Agenda to follow.",
         "status": "scheduled", "published_at": "2099-01-01T09:00:00Z"},
        {"title": "Draft", "markdown": "", "slug": "a-draft",
         "custom_excerpt": "x", "comments_open": False, "tags": []},
    ],
    "/api/v1/articles/1": [{"title": "Council meets on Tuesday"},
                           {"status": "draft"},
                           {"tags": ["science", "New Tag"],
                            "published_at": "2020-01-01T00:00:00+02:00"},
                           {"feature_image": None, "custom_excerpt": None}],
    "/api/v1/articles/%s/comments" % SLUG: [
        {"name": "Ada", "email": "ada@example.com",
         "body": "Good to see the ferry back."},
        {"name": "Bob", "body": "Reply", "parent_id": 1}],
    "/api/v1/comments/1": [{"status": "approved"}, {"status": "spam"}],
    "/api/v1/subscribers": [{"email": "reader@example.com",
                             "name": "Reader"}],
}


def req_seeds():
    w = Writer("req")
    for methods, pattern in routes():
        target = concrete(pattern)
        api = target.startswith("/api/")
        for method in methods:
            if method == "GET":
                w.add("get" + target, request("GET", target))
                w.add("head" + target, request("HEAD", target))
                if target.startswith("/admin"):
                    w.add("admin-get" + target,
                          request("GET", target, ADMIN))
                    w.add("author-get" + target,
                          request("GET", target, AUTHOR))
                if api:
                    w.add("token-get" + target,
                          request("GET", target, BEARER))
                    w.add("json-get" + target,
                          request("GET", target, "Accept: application/json\r\n"
                                  "Accept-Encoding: gzip\r\n"))
                continue
            if api:
                bodies = API_BODIES.get(target, [{}])
                for i, b in enumerate(bodies):
                    body = "" if method == "DELETE" else json.dumps(b)
                    ctype = None if method == "DELETE" else "application/json"
                    w.add("token-%s%s-%d" % (method, target, i),
                          request(method, target, BEARER, body, ctype))
                    w.add("session-%s%s-%d" % (method, target, i),
                          request(method, target,
                                  ADMIN + "X-CSRF-Token: $CSRF\r\n" + ORIGIN,
                                  body, ctype))
                if "media" in target:
                    body, ctype = multipart([], [("file", "harbour.png",
                                                  "image/png", PNG)])
                    w.add("token-upload" + target,
                          request("POST", target, BEARER, body, ctype))
                continue
            fields = FORMS.get(pattern, [])
            admin = target.startswith("/admin")
            who = ADMIN + ORIGIN if admin else ORIGIN
            form = ([("csrf", "$CSRF")] if admin else []) + fields
            w.add("form-" + method + target,
                  request(method, target, who, urlencode(form),
                          "application/x-www-form-urlencoded"))
            if admin:
                w.add("author-form-" + method + target,
                      request(method, target, AUTHOR + ORIGIN,
                              urlencode([("csrf", "$ACSRF")] + fields),
                              "application/x-www-form-urlencoded"))
            files = ()
            if "stories" in target and "delete" not in target:
                files = [("image", "harbour.png", "image/png", PNG)]
            if "media" in target:
                files = [("file", "dot.gif", "image/gif", GIF)]
            body, ctype = multipart(form, files)
            w.add("multipart-" + method + target,
                  request(method, target, who, body, ctype))
            if not admin:
                w.add("json-" + method + target,
                      request(method, target,
                              ORIGIN + "Accept: application/json\r\n",
                              json.dumps(dict(fields)), "application/json"))
    # Queries, conditional requests, encodings, CORS, pipelining, junk.
    for t in ["/?page=2", "/?page=0", "/?page=99999999999999999999",
              "/search?q=harbour&page=1", "/search?q=%22city%22+OR+x*",
              "/search?q=%ff%fe", "/tags/city?page=2",
              "/api/v1/articles?limit=2&include=tags,authors",
              "/api/v1/articles?filter=tag:city%2Bpublished_at:%3E'2020-01-01'"
              "&fields=id,title,url",
              "/api/v1/articles?filter=tag:[city,science],author:maren-okafor"
              "&order=title%20asc&page=2&limit=3",
              "/api/v1/articles?status=all&filter=status:draft",
              "/api/v1/search?q=harbour&limit=5",
              "/api/v1/comments?status=all", "/api/v1/subscribers?status=all",
              "/static/%2e%2e/src/main.c", "/articles/%00", "/a/./b",
              "/unsubscribe?token=" + "c" * 64,
              "/subscribe/confirm?token=" + "d" * 64,
              "/admin/stories?status=draft&q=x&page=2",
              "/admin/subscribers?status=all&q=a",
              "/admin/comments?status=spam"]:
        who = ADMIN if target_needs_admin(t) else (
            BEARER if "status=" in t and t.startswith("/api") else "")
        w.add("query" + t, request("GET", t, who))
    w.add("etag", request("GET", "/", 'If-None-Match: "x", W/"y"\r\n'
                          "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                          "Accept-Encoding: gzip, deflate, br\r\n"))
    w.add("preflight", request("OPTIONS", "/api/v1/articles",
                               "Origin: https://other.example\r\n"
                               "Access-Control-Request-Method: POST\r\n"
                               "Access-Control-Request-Headers: authorization"
                               "\r\n"))
    w.add("pipelined", request("GET", "/healthz") +
          request("GET", "/feed.xml") + request("HEAD", "/sitemap.xml"))
    w.add("chunked", b"POST /subscribe HTTP/1.1\r\n" + HOST.encode() +
          b"Content-Type: application/x-www-form-urlencoded\r\n"
          b"Transfer-Encoding: chunked\r\n" + ORIGIN.encode() +
          b"\r\n5\r\nemail\r\n11\r\n=x%40example.com\r\n0\r\n\r\n")
    w.add("http10", b"GET / HTTP/1.0\r\n\r\n")
    w.add("no-host", b"GET / HTTP/1.1\r\n\r\n")
    w.add("bad-token", request("GET", "/api/v1/comments",
                               "Authorization: Bearer gzt_" + "0" * 64 +
                               "\r\n"))
    w.add("cross-site", request("POST", "/admin/logout",
                                ADMIN + "Origin: https://evil.example\r\n"
                                "Sec-Fetch-Site: cross-site\r\n",
                                "csrf=$CSRF",
                                "application/x-www-form-urlencoded"))
    w.add("bad-csrf", request("POST", "/admin/logout", ADMIN + ORIGIN,
                              "csrf=nope", "application/x-www-form-urlencoded"))
    w.add("too-long", request("POST", "/subscribe", ORIGIN, "",
                              "application/x-www-form-urlencoded").replace(
                                  b"$LEN", b"99999999999"))
    w.add("garbage", b"\x00\xff GET /\r\n\r\n")
    w.add("many-headers", b"GET / HTTP/1.1\r\n" + HOST.encode() +
          b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 50) for i in range(40)) +
          b"Cookie: a=b; gz_session=; gz_session=x; c\r\n\r\n")


def target_needs_admin(t):
    return t.startswith("/admin")


def api_seeds():
    w = Writer("api")
    for target, bodies in API_BODIES.items():
        method = "POST" if target.count("/") <= 3 or target.endswith(
            "comments") else "PATCH"
        for i, b in enumerate(bodies):
            body = json.dumps(b, indent=1 if i % 2 else None)
            w.add("%s%s-%d" % (method, target, i),
                  "%s %s\n%s" % (method, target, body))
            w.add("author-%s%s-%d" % (method, target, i),
                  "author %s %s\n%s" % (method, target, body))
            w.add("session-%s%s-%d" % (method, target, i),
                  "session %s %s\n%s" % (method, target, body))
            if "comments" in target or "subscribers" in target:
                w.add("anon-%s%s-%d" % (method, target, i),
                      "anon %s %s\n%s" % (method, target, body))
    for t in ["/api/v1/articles/2", "/api/v1/comments/2",
              "/api/v1/subscribers/1"]:
        w.add("DELETE" + t, "DELETE %s\n" % t)
    w.add("site-comment", "anon POST /articles/%s/comments\n%s"
          % (SLUG, json.dumps({"name": "Ada", "email": "a@example.com",
                               "body": "Hi", "website": ""})))
    w.add("site-subscribe", 'anon POST /subscribe\n{"email": "r@example.com"}')
    w.add("media-json", 'POST /api/v1/media\n{"file": "x"}')
    w.add("unicode", 'POST /api/v1/articles\n{"title": "\\u00e9t\\u00e9 '
          '\\ud83c\\udf0a", "markdown": "\\u0000 nul", "tags": ["\\u2603"]}')
    w.add("dup-keys", 'POST /api/v1/articles\n{"title": "a", "title": "b"}')
    w.add("types", 'PATCH /api/v1/articles/1\n{"title": 1, "tags": "x", '
          '"comments_open": "yes", "published_at": 5}')
    w.add("deep", "POST /api/v1/articles\n" + "[" * 200 + "]" * 200)
    w.add("numbers", 'PATCH /api/v1/articles/1\n{"feature_image": {"url": '
          '"/media/x.png", "width": 1e400, "height": -1}}')


# ---- templates (fuzz_tpl) -------------------------------------------------

def tpl_seeds():
    w = Writer("tpl")
    for path in sorted(glob.glob(os.path.join(ROOT, "templates",
                                              "*.mustache"))):
        w.add("templates-" + os.path.basename(path),
              open(path, "rb").read())
    if not os.path.isdir(SPEC):
        print("seeds.py: %s is missing: no Mustache spec seeds" % SPEC)
    for path in sorted(glob.glob(os.path.join(SPEC, "*.json"))):
        spec = json.load(open(path))
        for t in spec.get("tests", []):
            tpl = t["template"]
            parts = []
            for i, (name, text) in enumerate(
                    sorted(t.get("partials", {}).items())[:3]):
                alias = "_" + "abc"[i]
                tpl = tpl.replace(name, alias)
                parts.append(text.replace(name, alias))
            w.add("spec-%s-%s" % (os.path.basename(path)[:-5], t["name"]),
                  "\0".join([tpl] + parts))
    w.add("sections", "{{#articles}}<h2>{{title}}</h2>{{#tags}}{{name}}"
          "{{/tags}}{{^tags}}none{{/tags}}{{/articles}}")
    w.add("dotted", "{{n.o.p.q}} {{#n.o.p.list}}{{.}}{{/n.o.p.list}} {{a.b}}")
    w.add("raw", "{{{a}}} {{&a}} {{html_html}} {{{html_html}}}")
    w.add("delims", "{{=<% %>=}}<% x %><%={{ }}=%>{{x}}")
    w.add("recursive", "{{#m}}{{> _a}}{{/m}}\0{{.}}{{#.}}{{> _a}}{{/.}}")
    w.add("standalone", "  {{#b}}\n  yes\n  {{/b}}\n  {{! comment }}\n"
          "  {{> _a}}\n\0  indented\n  partial\n")
    w.add("numbers", "{{h}} {{i}} {{j}} {{k}} {{l}} {{#m}}[{{.}}]{{/m}}")
    w.add("unclosed", "{{#a}}{{/b}}{{")


# ---- Markdown (fuzz_markdown) ---------------------------------------------

def markdown_seeds():
    w = Writer("markdown")
    for path in [os.path.join(ROOT, "demo", "demo.json")] + sorted(
            glob.glob(os.path.join(ROOT, "tests", "http", "fixtures",
                                   "*.json"))):
        try:
            doc = json.load(open(path))
        except ValueError:
            continue
        for a in doc.get("articles", []) if isinstance(doc, dict) else []:
            if isinstance(a.get("markdown"), str):
                w.add("story-" + str(a.get("slug")), a["markdown"])
            for c in a.get("comments", []) or []:
                if isinstance(c.get("body"), str):
                    w.add("comment-" + str(a.get("slug")), c["body"])
    w.add("links", "[a](javascript:alert(1)) [b](JaVaScRiPt:x) "
          "[c](data:text/html,x) [d](vbscript:x) [e](file:///etc/passwd) "
          "![i](https://x.test/i.png \"t\") <https://auto.link> "
          "<javascript:x> [ref][r]\n\n[r]: /relative 'title'")
    w.add("html", "<script>alert(1)</script>\n\n<div onclick=x>block</div>\n"
          "\ninline <b onmouseover=x>b</b> <!-- c --> <?php ?> <![CDATA[x]]>")
    w.add("nesting", "> > > quote\n> - list\n>   1. ordered\n>      ```\n"
          ">      code\n>      ```\n\n" + "* " * 50 + "deep\n")
    w.add("tables", "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n~~strike~~ "
          "***bold italic*** `code` \\*escaped\\* &amp; &#x3c; &bogus;")
    w.add("headings", "Title\n=====\n\nSub\n---\n\n###### h6\n\n    indented"
          "\n\n---\n\n1) one\n2) two\n\nline  \nbreak\\\nhard")
    w.add("comment-text", "Hello\r\n\r\nhttp://example.com/a?b=<c>&d=\"e\" "
          "https://x.test/(paren) www.not-linked.example\n\nend")


# ---- text helpers (fuzz_html) ---------------------------------------------

def html_seeds():
    w = Writer("html")
    for s in ["Bea Ploom", "Émile Zola", "李 小龍", "  -leading and trailing-  ",
              "Putin's \"war\" & <peace>", "a%20b+c%2Fd%zz%4", "%",
              "https://example.org:8443", "http://x.test/path?q=1#f",
              "//evil.example", "/relative/path", "javascript:alert(1)",
              "2026-11-25T18:26:48Z", "2026-11-25T18:26:48.123+05:30",
              "2026-02-31T00:00Z", "1969-12-31T23:59:59Z",
              "Wed, 25 Nov 2026 18:26:48 GMT", "Sun, 06 Nov 1994 08:49:60 GMT",
              "123", "-0", "-", "9223372036854775808", "0001",
              "héllo wörld " * 20, b"\xc3", b"\xe2\x80", "\U0001f30a wave",
              "ab\x00cd", "\ttab\r\nnewline", "slug-ok-123",
              "x" * 300]:
        w.add("text-" + str(s[:20]), s)
    w.add("bytes-invalid", b"\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xff")


# ---- import (fuzz_import) -------------------------------------------------

def import_seeds():
    w = Writer("import")
    w.add("demo", open(os.path.join(ROOT, "demo", "demo.json"), "rb").read())
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "http",
                                              "fixtures", "*.json"))):
        w.add("fixture-" + os.path.basename(path), open(path, "rb").read())
    w.add("empty", "{}")
    w.add("settings", json.dumps({"settings": {"title": "T",
                                               "comment_policy": "open"}}))
    w.add("subscribers", json.dumps({"subscribers": [
        {"email": "s@example.com", "name": "S", "status": "active",
         "created_at": "2026-01-01T00:00:00Z"},
        {"email": "u@example.com", "status": "unsubscribed"}]}))
    w.add("media", json.dumps({"media": [{"path": "/media/" + "a" * 64 +
                                          ".png", "mime": "image/png",
                                          "bytes": 10, "width": 1,
                                          "height": 1}]}))
    w.add("story", json.dumps({
        "authors": [{"name": "N", "slug": "n", "email": "n@example.com",
                     "role": "editor"}],
        "tags": [{"name": "T", "slug": "t"}],
        "articles": [{"slug": "s", "title": "S", "markdown": "*x*",
                      "author": "n", "tags": ["t"], "status": "draft",
                      "comments": [{"name": "c", "body": "b", "status":
                                    "approved", "replies": [
                                        {"name": "r", "body": "rb"}]}]}]}))


# ---- NQL (fuzz_nql) -------------------------------------------------------

def nql_seeds():
    w = Writer("nql")
    for s in ["tag:city", "tag:city+published_at:>'2026-01-01'",
              "tag:[city,science],author:maren-okafor",
              "tag:-city", "tag:-[city,sport]", "(tag:city,tag:sport)+id:>3",
              "slug:'harbour-night-market-returns'", "title:'City\\'s hall'",
              "published_at:>=2020-01-01+updated_at:<=2030-01-01T00:00:00Z",
              "created_at:<'2026-11-24T12:00:00+02:00'", "status:draft",
              "status:[draft,scheduled,published]", "id:1,id:2,id:3",
              "((((((((((tag:a))))))))))", "tag:city tag:science",
              "unknown:x", "tag:", ":x", "tag:'unterminated",
              "a:1+b:2,c:3+d:4", "id:[" + ",".join(str(i) for i in
                                                   range(60)) + "]"]:
        w.add("filter-" + s[:30], s)


def main():
    req_seeds()
    api_seeds()
    tpl_seeds()
    markdown_seeds()
    html_seeds()
    import_seeds()
    nql_seeds()
    for name in sorted(os.listdir(CORPUS)):
        n = len(glob.glob(os.path.join(CORPUS, name, "seed-*")))
        print("corpus/%s: %d seeds" % (name, n))


if __name__ == "__main__":
    main()
