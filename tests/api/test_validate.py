#!/usr/bin/env python3
"""Self-test of tests/api/validate.mjs (the `openapi-validator` test).

Usage: tests/api/test_validate.py [REPO_ROOT]

Feeds validate.mjs small hand-made records against the real
src/api/openapi.json and checks its verdicts: answers that fit pass,
and each kind of drift it exists to catch fails (an unknown key, a missing
key, an undocumented status, an HTML error under /api/, a missing
required header), and that tests/http/harness.py records raw answers
(chunked, gzip) under /api/ and nothing else. Each case is one check; the
last line is
`N passed, N failed`. Exit 77 (skipped) without node or node_modules/ajv.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
B = "http://127.0.0.1:8080"
JSON_CT = "application/json; charset=utf-8"

TAG = {"id": 1, "slug": "city", "name": "City", "description": "",
       "url": B + "/tags/city", "feed_url": B + "/tags/city/feed.xml",
       "article_count": 3}
PAGINATION = {"page": 1, "limit": 15, "pages": 1, "total": 1, "next": None,
              "prev": None}
STORY = {"id": 7, "slug": "harbour-reopens", "title": "Harbour reopens",
         "url": B + "/articles/harbour-reopens", "status": "published",
         "excerpt": "The ferry is back.", "custom_excerpt": None,
         "feature_image": None, "published_at": "2026-03-01T09:30:00Z",
         "updated_at": "2026-03-01T09:30:00Z",
         "created_at": "2026-03-01T09:30:00Z", "reading_time": 4,
         "comments_open": True}


def error(code, field=None):
    return {"error": {"code": code, "message": "Something.", "field": field,
                      "request_id": "0123abcd"}}


def rec(method, target, status, body=None, ctype=JSON_CT, headers=None):
    text = "" if body is None else (body if isinstance(body, str)
                                    else json.dumps(body))
    h = dict(headers or {})
    if method in ("GET", "HEAD"):
        h.setdefault("access-control-allow-origin", "*")
    if body is not None:
        h["content-type"] = ctype
    return {"method": method, "target": target, "status": status,
            "content_type": ctype if body is not None else "",
            "headers": h, "body": text, "test": "self-test"}


# (name, records, expected passed, expected failed, text the output must
# contain)
CASES = [
    ("a list that fits",
     [rec("GET", "/api/v1/tags", 200,
          {"tags": [TAG], "meta": {"pagination": PAGINATION}})],
     1, 0, "ok    GET /tags 200"),
    ("a key the document does not name",
     [rec("GET", "/api/v1/tags/city", 200,
          {"tags": [dict(TAG, email="x@example.com")]})],
     0, 1, "must NOT have additional properties (email)"),
    ("one valid and one invalid answer of the same kind count once, failed",
     [rec("GET", "/api/v1/tags", 200,
          {"tags": [TAG], "meta": {"pagination": PAGINATION}}),
      rec("GET", "/api/v1/tags", 200, {"tags": [TAG]})],
     0, 1, "must have required property 'meta'"),
    ("fields= lets keys be missing, but not unknown ones",
     [rec("GET", "/api/v1/articles?fields=id,title", 200,
          {"articles": [{"id": 7, "title": "Harbour reopens"}],
           "meta": {"pagination": PAGINATION}}),
      rec("GET", "/api/v1/articles?limit=1", 200,
          {"articles": [STORY], "meta": {"pagination": PAGINATION}}),
      rec("GET", "/api/v1/articles/harbour-reopens?fields=id", 200,
          {"articles": [{"id": 7, "secret": 1}]})],
     1, 1, "(secret)"),
    ("without fields= a missing key fails",
     [rec("GET", "/api/v1/articles", 200,
          {"articles": [{"id": 7}], "meta": {"pagination": PAGINATION}})],
     0, 1, "must have required property 'slug'"),
    ("an undocumented status",
     [rec("GET", "/api/v1/tags", 418, error("bad_request"))],
     0, 1, "status 418 is not documented"),
    ("an error code that does not match its status",
     [rec("GET", "/api/v1/tags/nope", 404, error("bad_request"))],
     0, 1, "must be equal to constant"),
    ("an HTML error under /api/",
     [rec("GET", "/api/v1/tags/nope", 404, "<p>Not found</p>",
          ctype="text/html; charset=utf-8")],
     0, 1, "Content-Type \"text/html; charset=utf-8\" is not one of"),
    ("unknown paths and methods, HEAD, preflight and 204",
     [rec("GET", "/api/v1/no-such-thing", 404, error("not_found")),
      rec("PUT", "/api/v1/tags", 405, error("method_not_allowed"),
          headers={"allow": "GET, HEAD"}),
      rec("HEAD", "/api/v1/tags", 200, None),
      rec("OPTIONS", "/api/v1/no-such-thing", 204, None),
      rec("DELETE", "/api/v1/articles/7", 204, None)],
     5, 0, "ok    PUT /tags (unknown method) 405"),
    ("a required header missing (405 without Allow)",
     [rec("PUT", "/api/v1/tags", 405, error("method_not_allowed"))],
     0, 1, "header Allow is missing"),
    ("a body on a 204",
     [rec("DELETE", "/api/v1/articles/7", 204, {"ok": True})],
     0, 1, "a body where the document has none"),
]


def harness_checks(root, tmp):
    """tests/http/harness.py's recorder: a raw exchange (chunked, gzip)
    and a non-/api/ one. Returns [(name, problem or None)]."""
    import gzip
    sys.path.insert(0, os.path.join(root, "tests", "http"))
    import harness
    out = os.path.join(tmp, "harness.jsonl")
    old = os.environ.get("GZ_API_RECORD")
    os.environ["GZ_API_RECORD"] = out
    try:
        body = gzip.compress(b'{"tags": []}')
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        raw = harness.RawResponse(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked)
        harness._record_raw(b"GET /api/v1/tags?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
                            raw)
        harness._record_raw(b"GET /tags HTTP/1.1\r\nHost: a\r\n\r\n", raw)
    finally:
        if old is None:
            os.environ.pop("GZ_API_RECORD", None)
        else:
            os.environ["GZ_API_RECORD"] = old
    try:
        with open(out, encoding="utf-8") as f:
            lines = [json.loads(x) for x in f if x.strip()]
    except OSError as e:
        return [("harness records raw /api/ answers", repr(e))]
    want = {"method": "GET", "target": "/api/v1/tags?x=1", "status": 200,
            "content_type": "application/json", "body": '{"tags": []}'}
    got = {k: lines[0].get(k) for k in want} if lines else None
    return [
        ("harness records a raw chunked, gzipped /api/ answer",
         None if got == want else "recorded %r" % got),
        ("harness records nothing outside /api/",
         None if len(lines) == 1 else "%d lines recorded" % len(lines)),
    ]


def skip(msg):
    print("openapi-validator: skipped: " + msg)
    sys.exit(77)


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else
                           os.path.dirname(os.path.dirname(HERE)))
    node = shutil.which("node")
    if not node:
        skip("no node")
    for m in ("ajv", "ajv-formats"):
        if not os.path.isfile(os.path.join(root, "node_modules", m,
                                           "package.json")):
            skip("no node_modules/%s (run npm ci)" % m)
    validator = os.path.join(root, "tests", "api", "validate.mjs")
    doc = os.path.join(root, "src", "api", "openapi.json")
    tmp = tempfile.mkdtemp(prefix="gz-validate-selftest-")
    passed = failed = 0
    try:
        for i, (name, records, want_p, want_f, needle) in enumerate(CASES):
            path = os.path.join(tmp, "case%d.jsonl" % i)
            with open(path, "w", encoding="utf-8") as f:
                for r in records:
                    f.write(json.dumps(r) + "\n")
            p = subprocess.run([node, validator, doc, path], cwd=root,
                               capture_output=True, text=True, timeout=60)
            out = p.stdout + p.stderr
            m = re.findall(r"^(\d+) passed, (\d+) failed\s*$", p.stdout, re.M)
            got = (int(m[-1][0]), int(m[-1][1])) if m else None
            want_rc = 1 if want_f else 0
            problems = []
            if got != (want_p, want_f):
                problems.append("counted %r, expected %d passed, %d failed"
                                % (got, want_p, want_f))
            if p.returncode != want_rc:
                problems.append("exit %d, expected %d" % (p.returncode,
                                                          want_rc))
            if needle not in out:
                problems.append("output lacks %r" % needle)
            if problems:
                failed += 1
                print("FAIL %s: %s\n%s" % (name, "; ".join(problems),
                                           "\n".join("     | " + ln for ln in
                                                     out.splitlines())))
            else:
                passed += 1
                print("ok   %s" % name)
        for name, problem in harness_checks(root, tmp):
            if problem:
                failed += 1
                print("FAIL %s: %s" % (name, problem))
            else:
                passed += 1
                print("ok   %s" % name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
