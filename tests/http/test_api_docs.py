"""docs/API.md runs: every ```sh block followed by `# expect: CODE...` is
run with the real curl against a fresh demo site, in a temporary folder
holding harbour.png, with $BASE the server, $TOKEN an editor's token and
$ID, $SLUG, $AUTHOR, $COMMENT, $SUBSCRIBER taken from earlier answers;
the status must be one of those the block expects. Then the whole path
the docs promise: upload a PNG, publish a story with it as the feature
image (with curl), read it back through the API and see it on the page.

curl must be installed (scripts/setup.sh, test_pkgs).
"""
import json
import os
import re
import shutil
import subprocess

import harness
from test_admin_support import png
from test_api_read import ApiCase, path_of

DOC = os.path.join(harness.ROOT, "docs", "API.md")
VARS = ("BASE", "TOKEN", "ID", "SLUG", "AUTHOR", "COMMENT", "SUBSCRIBER")
FAKE_MEDIA = "/media/" + "0" * 64 + ".png"

# Every curl the docs show gets these options in front of its own: the
# answer's body to a file, the status on stdout.
WRAPPER = """curl() { command curl -o "$GZ_OUT" -w '%{http_code}' \
--max-time 30 "$@"; }
"""


def doc_blocks(text=None):
    """[(line number, command text, [expected statuses])] of every ```sh
    block of docs/API.md; a block without an expect line has []."""
    if text is None:
        with open(DOC, encoding="utf-8") as f:
            text = f.read()
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            body = lines[start:j]
            expect = []
            cmd = []
            for line in body:
                m = re.match(r"^\s*#\s*expect:\s*(.*)$", line)
                if m:
                    expect = [int(x) for x in m.group(1).split()
                              if x.isdigit()]
                else:
                    cmd.append(line)
            out.append((start + 1, "\n".join(cmd).strip(), expect))
            i = j + 1
        else:
            i += 1
    return out


def method_of(cmd):
    m = re.search(r"-X\s+([A-Z]+)", cmd)
    if m:
        return m.group(1)
    if re.search(r"(^|\s)(-d|--data\S*|-F|--form)\s", cmd):
        return "POST"
    return "GET"


class ApiDocs(ApiCase):

    @classmethod
    def setUpData(cls):
        cls.work = harness.temp_dir("gz-api-docs-")
        cls.png = png(8, 5, (30, 80, 140))
        with open(os.path.join(cls.work, "harbour.png"), "wb") as f:
            f.write(cls.png)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "work", "") or "/nonexistent",
                      ignore_errors=True)
        super().tearDownClass()

    def curl_path(self):
        c = shutil.which("curl")
        if not c:
            self.fail("curl is not installed: the docs examples run with "
                      "the real curl. Add `curl` to test_pkgs in "
                      "scripts/setup.sh.")
        return c

    def run_block(self, cmd, env_vars):
        """Runs one block with bash; returns (status or None, body bytes,
        stderr)."""
        out = os.path.join(self.work, "answer.body")
        if os.path.exists(out):
            os.unlink(out)
        env = harness.base_env({k: str(v) for k, v in env_vars.items()})
        env["GZ_OUT"] = out
        p = subprocess.run(["bash", "-c", WRAPPER + cmd], cwd=self.work,
                           env=env, capture_output=True, text=True,
                           timeout=60)
        status = None
        m = re.search(r"(\d{3})\s*$", p.stdout)
        if m:
            status = int(m.group(1))
        body = b""
        if os.path.exists(out):
            with open(out, "rb") as f:
                body = f.read()
        return status, body, p.stderr + (
            "" if p.returncode == 0 else " (exit %d)" % p.returncode)

    def base_vars(self):
        return {"BASE": self.gz.base, "TOKEN": self.token("editor")}

    # -- the blocks themselves ------------------------------------------------

    def test_every_sh_block_has_an_expect_line(self):
        blocks = doc_blocks()
        self.assertGreaterEqual(len(blocks), 15, "docs/API.md has its "
                                "examples")
        for line, cmd, expect in blocks:
            self.assertTrue(expect, "docs/API.md line %d: no `# expect: "
                            "STATUS` in the block" % line)
            for code in expect:
                self.assertTrue(100 <= code <= 599, (line, code))
            self.assertIn("curl", cmd, "line %d" % line)

    def test_docs_examples_answer_as_documented(self):
        self.curl_path()
        vars_ = self.base_vars()
        failures = []
        ran = 0
        for line, cmd, expect in doc_blocks():
            if not expect:
                continue
            used = set(re.findall(r"\$([A-Z_]+)", cmd)) & set(VARS)
            missing = sorted(v for v in used if v not in vars_)
            if missing:
                failures.append("line %d: uses $%s, which no earlier answer "
                                "gave" % (line, ", $".join(missing)))
                continue
            status, body, err = self.run_block(cmd, vars_)
            ran += 1
            if status not in expect:
                failures.append("line %d: expected %s, got %s\n    %s\n    "
                                "answer: %r%s" % (
                                    line, " or ".join(map(str, expect)),
                                    status, cmd.replace("\n", "\n    "),
                                    body[:300], ("\n    curl: " + err.strip())
                                    if err.strip() else ""))
            self.learn(cmd, status, body, vars_)
        self.assertGreaterEqual(ran, 1)
        if failures:
            self.fail("%d of the docs/API.md examples do not answer as "
                      "documented:\n%s" % (len(failures),
                                           "\n".join(failures)))

    def learn(self, cmd, status, body, vars_):
        """Takes $ID, $SLUG, $AUTHOR, $COMMENT, $SUBSCRIBER from an answer."""
        try:
            j = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return
        if not isinstance(j, dict):
            return
        method = method_of(cmd)
        items = j.get("articles")
        if isinstance(items, list) and items and isinstance(items[0], dict):
            if method == "POST" and status == 201:
                vars_["ID"] = items[0].get("id")
            if method == "GET" and "SLUG" not in vars_ and \
                    items[0].get("status") == "published":
                vars_["SLUG"] = items[0].get("slug")
        items = j.get("authors")
        if isinstance(items, list) and items and "AUTHOR" not in vars_:
            vars_["AUTHOR"] = items[0].get("slug")
        items = j.get("comments")
        if isinstance(items, list) and items and method == "POST":
            vars_["COMMENT"] = items[0].get("id")
        items = j.get("subscribers")
        if isinstance(items, list) and items and method == "GET":
            mine = [s for s in items if isinstance(s, dict) and
                    s.get("email") == "reader@example.com"]
            if mine:
                vars_["SUBSCRIBER"] = mine[0].get("id")
        for k in list(vars_):
            if vars_[k] is None:
                del vars_[k]

    # -- the whole path -------------------------------------------------------

    def test_upload_then_publish_with_curl(self):
        self.curl_path()
        vars_ = self.base_vars()
        blocks = doc_blocks()
        upload = [b for b in blocks if "/api/v1/media" in b[1]]
        publish = [b for b in blocks if FAKE_MEDIA in b[1]]
        self.assertTrue(upload, "docs/API.md shows the media upload")
        self.assertTrue(publish, "docs/API.md shows publishing with a "
                        "feature image")
        # Upload harbour.png as the docs do.
        status, body, err = self.run_block(upload[0][1], vars_)
        self.assertEqual(status, 201, "upload: %r %s" % (body[:300], err))
        media = json.loads(body.decode("utf-8"))["media"][0]
        self.assertEqual(media["mime"], "image/png")
        self.assertEqual(media["bytes"], len(self.png))
        self.assertEqual((media["width"], media["height"]), (8, 5))
        # Publish the docs' story with the real URL instead of the made-up.
        cmd = publish[0][1].replace(FAKE_MEDIA, media["url"])
        status, body, err = self.run_block(cmd, vars_)
        self.assertEqual(status, 201, "publish: %r %s" % (body[:300], err))
        story = json.loads(body.decode("utf-8"))["articles"][0]
        self.assertEqual(story["status"], "published")
        # Read it back through the API, as anyone.
        status, body, err = self.run_block(
            'curl -s "$BASE/api/v1/articles/%s"' % story["slug"], vars_)
        self.assertEqual(status, 200, "%r %s" % (body[:300], err))
        s = json.loads(body.decode("utf-8"))["articles"][0]
        self.assertEqual(s["title"], "Tide tables for March")
        self.assertIn("<strong>06:12</strong>", s["html"])
        self.assertNotIn("markdown", s)
        self.assertEqual([t["slug"] for t in s["tags"]], ["city"])
        self.assertEqual(s["feature_image"]["url"], media["url"])
        self.assertEqual(s["feature_image"]["alt"], "The harbour at dawn")
        self.assertEqual((s["feature_image"]["width"],
                          s["feature_image"]["height"]), (8, 5))
        # The site shows it with its image, which serves the bytes sent.
        r, doc = self.page("/articles/" + s["slug"])
        imgs = [i for i in doc.find_all("img")
                if path_of(i.get("src", "")) == path_of(media["url"])]
        self.assertTrue(imgs, "the feature image is on the page")
        self.assertEqual(imgs[0].get("alt"), "The harbour at dawn")
        got = self.get(path_of(media["url"]))
        self.assertEqual(got.status, 200)
        self.assertEqual(got.body, self.png)
        r, _ = self.page("/")
        self.assertIn("Tide tables for March", r.text)
