"""Uploaded images: the type comes from the magic bytes, the size is capped
while streaming, files are named by their SHA-256, stored once, served only
by that name with an immutable cache, and the story form keeps its feature
image through errors and previews."""
import hashlib
import os
import time

import harness
from test_admin_support import (NewsroomCase, data_dir_files, jpeg,
                                multipart, png)

LIMIT = 4096


class Media(NewsroomCase):
    ENV = {"GAZETTE_MAX_UPLOAD_BYTES": str(LIMIT)}

    def upload(self, client, data, filename="photo.png", ctype="image/png",
               **kw):
        return client.post("/admin/media", {}, files=[
            ("image", filename, data, ctype)],
            headers={"Accept": "application/json"}, **kw)

    def stored(self):
        return [f for f in data_dir_files(self) if not f.startswith(".")]

    def leftovers(self):
        """Temporary upload files still there. The server deletes them when
        the request completes, just after the answer is sent: wait a
        moment for that."""
        files = []
        for _ in range(40):
            files = [f for f in data_dir_files(self)
                     if f.startswith(".upload")]
            if not files:
                break
            time.sleep(0.05)
        return files

    def test_upload_is_stored_by_content_hash_once(self):
        c = self.author()
        data = png(12, 7, (10, 120, 200))
        sha = hashlib.sha256(data).hexdigest()
        r = self.upload(c, data, filename="../../etc/passwd.png")
        self.assertEqual(r.status, 201, r.body)
        j = r.json()
        self.assertEqual(j["url"], "/media/%s.png" % sha)
        self.assertEqual((j["width"], j["height"]), (12, 7))
        self.assertIn(sha + ".png", self.stored())
        with open(os.path.join(self.media_tmp, "media", sha + ".png"),
                  "rb") as f:
            self.assertEqual(f.read(), data)
        # The same bytes again: same URL, one file, one row.
        r = self.upload(c, data, filename="again.png")
        self.assertEqual(r.json()["url"], j["url"])
        self.assertEqual(self.query("SELECT count(*) FROM media WHERE"
                                    " sha256 = ?", sha)[0][0], 1)
        self.assertEqual(self.stored().count(sha + ".png"), 1)
        self.assertEqual(self.leftovers(), [])
        row = self.query("SELECT * FROM media WHERE sha256 = ?", sha)[0]
        self.assertEqual(row["mime"], "image/png")
        self.assertEqual(row["bytes"], len(data))

    def test_served_with_type_and_immutable_cache(self):
        c = self.editor()
        for data, ext, ctype, size in ((png(3, 2), "png", "image/png",
                                        (3, 2)),
                                       (jpeg(640, 480), "jpg", "image/jpeg",
                                        (640, 480)),
                                       (b"GIF89a\x05\x00\x06\x00" + b"\0" * 30,
                                        "gif", "image/gif", (5, 6))):
            r = self.upload(c, data, filename="x." + ext, ctype=ctype)
            self.assertEqual(r.status, 201, ext)
            j = r.json()
            self.assertTrue(j["url"].endswith("." + ext))
            self.assertEqual((j["width"], j["height"]), size, ext)
            got = self.get(j["url"])
            self.assertEqual(got.status, 200)
            self.assertEqual(got.header("Content-Type"), ctype)
            self.assertEqual(got.body, data)
            self.assertIn("immutable", got.header("Cache-Control"))
            self.assertIn("max-age=31536000", got.header("Cache-Control"))
            self.assertEqual(got.header("X-Content-Type-Options"), "nosniff")
            h = self.head(j["url"])
            self.assertEqual(h.status, 200)
            self.assertEqual(h.body, b"")

    def test_webp_is_recognised(self):
        # A lossless (VP8L) header of 9x4 pixels, enough for the checks.
        bits = (9 - 1) | ((4 - 1) << 14)
        vp8l = b"\x2f" + bits.to_bytes(4, "little") + b"\0" * 10
        data = (b"RIFF" + (4 + 8 + len(vp8l)).to_bytes(4, "little") +
                b"WEBPVP8L" + len(vp8l).to_bytes(4, "little") + vp8l)
        r = self.upload(self.editor(), data, filename="x.webp",
                        ctype="image/webp")
        self.assertEqual(r.status, 201, r.body)
        self.assertTrue(r.json()["url"].endswith(".webp"))
        self.assertEqual((r.json()["width"], r.json()["height"]), (9, 4))

    def test_wrong_type_is_415_and_nothing_is_kept(self):
        c = self.editor()
        before = self.stored()
        for data, name, ctype in ((b"just some text, not a picture\n",
                                   "x.png", "image/png"),
                                  (b"<svg xmlns='http://www.w3.org/2000/svg'"
                                   b"/>", "x.svg", "image/svg+xml"),
                                  (b"%PDF-1.4 fake", "doc.jpg", "image/jpeg"),
                                  (b"\x89PNG", "short.png", "image/png")):
            r = self.upload(c, data, filename=name, ctype=ctype)
            self.assertEqual(r.status, 415, name)
            self.assertEqual(r.json()["error"]["code"],
                             "unsupported_media_type")
        self.assertEqual(self.stored(), before)
        self.assertEqual(self.leftovers(), [])

    def test_too_large_is_413_and_nothing_is_kept(self):
        c = self.editor()
        before = self.stored()
        big = png(3, 2) + b"\0" * (LIMIT + 10)
        r = self.upload(c, big)
        self.assertEqual(r.status, 413)
        self.assertEqual(self.stored(), before)
        self.assertEqual(self.leftovers(), [])
        # Through the story form as well: nothing saved, nothing stored.
        r = c.post("/admin/stories", {"title": "Too big image story",
                                      "markdown": "x", "action": "save"},
                   files=[("image", "big.png", big, "image/png")])
        self.assertEqual(r.status, 413)
        self.assertIsNone(self.story_row(title="Too big image story"))
        self.assertEqual(self.stored(), before)

    def test_one_stated_limit_in_form_and_errors(self):
        """Issue 10: the form said 10 MB and the error 10.5 MB. The limit
        is server.max_upload_bytes, stated the same way everywhere."""
        c = self.editor()
        r, doc = c.page("/admin/stories/new")
        self.assertEqual(r.status, 200)
        f = doc.find("input", name="image")
        self.assertEqual(f.get("data-max-bytes"), str(LIMIT))
        self.assertEqual(f.get("data-max-human"), "4 KB")
        self.assertIn("up to 4 KB", doc.find("p", id="f-image-hint").text)
        big = png(3, 2) + b"\0" * (LIMIT + 10)
        # refused while streaming (JSON) ...
        r = self.upload(c, big)
        self.assertEqual(r.status, 413)
        self.assertIn("upload limit of 4 KB", r.json()["error"]["message"])
        # ... and before it (Content-Length over the limit; HTML)
        r = c.post("/admin/media", {}, files=[
            ("image", "big.png", png(3, 2) + b"\0" * (LIMIT * 40),
             "image/png")])
        self.assertEqual(r.status, 413)
        self.assertIn("upload limit of 4 KB", r.text)

    def test_upload_needs_a_session_and_the_token(self):
        data = png(4, 4, (1, 2, 3))
        r = self.upload(self.author(), data, csrf=False)
        self.assertEqual(r.status, 403)
        body, ctype = multipart({}, [("image", "a.png", data, "image/png")])
        r = self.gz.request("POST", "/admin/media", {
            "Content-Type": ctype, "Accept": "application/json"}, body)
        self.assertEqual(r.status, 401)
        self.assertNotIn(hashlib.sha256(data).hexdigest() + ".png",
                         self.stored())
        self.assertEqual(self.leftovers(), [])
        r = self.author().post("/admin/media", {"x": "y"},
                               multipart_form=True,
                               headers={"Accept": "application/json"})
        self.assertEqual(r.status, 400)

    def test_no_session_is_refused_before_the_body_is_read(self):
        # The answer comes from the headers alone: a client that is not
        # signed in cannot make the server write an upload to disk. The
        # body is announced but never sent; the 401 must still arrive.
        import socket
        s = socket.create_connection(("127.0.0.1", self.gz.port), timeout=5)
        try:
            s.sendall(b"POST /admin/media HTTP/1.1\r\nHost: x\r\n"
                      b"Accept: application/json\r\n"
                      b"Content-Type: multipart/form-data; boundary=b\r\n"
                      b"Content-Length: 3000\r\n\r\n"
                      b"--b\r\nContent-Disposition: form-data; name=\"image\";"
                      b" filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n")
            head = s.recv(4096)
        finally:
            s.close()
        self.assertTrue(head.startswith(b"HTTP/1.1 401"), head[:80])
        self.assertEqual(self.leftovers(), [])

    def test_a_second_file_is_refused_not_appended(self):
        first, second = png(6, 6, (1, 1, 1)), b"<script>alert(1)</script>"
        r = self.author().post("/admin/media", {}, files=[
            ("image", "a.png", first, "image/png"),
            ("image2", "b.html", second, "text/html")],
            headers={"Accept": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertNotIn(hashlib.sha256(first).hexdigest() + ".png",
                         self.stored())
        self.assertEqual(self.leftovers(), [])

    def test_only_hash_names_listed_in_the_table_are_served(self):
        c = self.editor()
        url = self.upload(c, png(5, 5, (9, 9, 9))).json()["url"]
        name = url[len("/media/"):]
        sha = name[:64]
        # A file in the folder that the table does not list is not served.
        stray = "a" * 64 + ".png"
        with open(os.path.join(self.media_tmp, "media", stray), "wb") as f:
            f.write(png(2, 2))
        for path in ("/media/" + stray, "/media/" + sha.upper() + ".png",
                     "/media/" + sha + ".jpg", "/media/" + sha + ".svg",
                     "/media/" + sha + ".png.png", "/media/" + sha[:63] +
                     ".png", "/media/" + sha, "/media/", "/media/x.png",
                     "/media/" + sha + ".PNG"):
            r = self.get(path)
            self.assertEqual(r.status, 404, path)
        # A dot segment, encoded or not, is refused before routing
        # (src/http/request.c decode_path): 400.
        for raw in (b"/media/..%2fgazette.db", b"/media/%2e%2e/gazette.db",
                    b"/media/../gazette.db"):
            r = self.gz.raw_get(raw)
            self.assertEqual(r.status, 400, raw)
        self.assertEqual(self.get(url).status, 200)

    def test_feature_image_on_the_story_page(self):
        c = self.editor()
        data = png(30, 20, (0, 150, 90))
        sha = hashlib.sha256(data).hexdigest()
        r = c.post("/admin/stories", {
            "title": "Story with a picture", "markdown": "Look at it.",
            "image_alt": "A green rectangle", "image_caption": "Green, "
            "photographed", "action": "publish", "comments_open": "on"},
            files=[("image", "green.png", data, "image/png")])
        self.assertEqual(r.status, 303, r.body[:300])
        row = self.story_row(title="Story with a picture")
        self.assertEqual(row["image_url"], "/media/%s.png" % sha)
        self.assertEqual((row["image_width"], row["image_height"]), (30, 20))
        r, doc = self.page("/articles/" + row["slug"])
        img = doc.find("img", cls="post__image")
        self.assertEqual(img.get("src"), "/media/%s.png" % sha)
        self.assertEqual(img.get("alt"), "A green rectangle")
        self.assertEqual((img.get("width"), img.get("height")), ("30", "20"))
        self.assertIn("Green, photographed", doc.find(
            "figcaption", cls="post__caption").text)
        self.assertEqual(doc.meta("og:image"),
                         self.gz.base + "/media/%s.png" % sha)
        home = self.get("/").text
        self.assertIn("/media/%s.png" % sha, home)
        # The edit form shows it, keeps it on save, removes it on request.
        sid = row["id"]
        r, doc = c.page("/admin/stories/%d" % sid)
        self.assertEqual(doc.find("input", name="image_url").get("value"),
                         "/media/%s.png" % sha)
        r = self.update_story(c, sid, title="Story with a picture, edited")
        self.assertEqual(self.story_row(id=sid)["image_url"],
                         "/media/%s.png" % sha)
        r = self.update_story(c, sid, remove_image="on")
        self.assertEqual(r.status, 303)
        row = self.story_row(id=sid)
        self.assertIsNone(row["image_url"])
        self.assertIsNone(row["image_width"])
        r, doc = self.page("/articles/" + row["slug"])
        self.assertIsNone(doc.find("img", cls="post__image"))

    def test_image_survives_form_errors_and_preview(self):
        c = self.editor()
        data = jpeg(800, 450)
        sha = hashlib.sha256(data).hexdigest()
        r = c.post("/admin/stories", {"title": "", "markdown": "Body",
                                      "image_alt": "Wide", "action": "save"},
                   files=[("image", "wide.jpg", data, "image/jpeg")])
        self.assertEqual(r.status, 422)
        doc = harness.parse_html(r.text)
        kept = doc.find("input", name="image_url").get("value")
        self.assertEqual(kept, "/media/%s.jpg" % sha)
        self.assertIsNotNone(doc.find("img", src=kept), "shown in the form")
        # Sending the form again without a file keeps the image.
        r = c.post("/admin/stories", {"title": "Wide picture story",
                                      "markdown": "Body", "image_url": kept,
                                      "image_alt": "Wide", "action": "save"},
                   multipart_form=True)
        self.assertEqual(r.status, 303)
        row = self.story_row(title="Wide picture story")
        self.assertEqual(row["image_url"], kept)
        self.assertEqual((row["image_width"], row["image_height"]),
                         (800, 450))
        # Preview with a new upload shows it and carries it along.
        data2 = png(16, 9, (250, 200, 0))
        sha2 = hashlib.sha256(data2).hexdigest()
        r = c.post("/admin/stories/%d" % row["id"], {
            "title": "Wide picture story", "markdown": "Body",
            "image_url": kept, "image_alt": "Yellow", "action": "preview"},
            files=[("image", "yellow.png", data2, "image/png")])
        self.assertEqual(r.status, 200)
        doc = harness.parse_html(r.text)
        img = doc.find("img", cls="post__image")
        self.assertEqual(img.get("src"), "/media/%s.png" % sha2)
        self.assertEqual((img.get("width"), img.get("height")), ("16", "9"))
        hidden = {i.get("name"): i.get("value") for i in doc.find_all(
            "input", type="hidden")}
        self.assertEqual(hidden["image_url"], "/media/%s.png" % sha2)
        self.assertEqual(self.story_row(id=row["id"])["image_url"], kept,
                         "a preview saves nothing")
