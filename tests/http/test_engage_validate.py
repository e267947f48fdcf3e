"""Every page the engagement features add is valid HTML5 by the Nu HTML
Checker (vnu.jar from node_modules, one JVM for all): the story page
with a comment notice and with form errors, the subscribe result and
error pages, the confirm and unsubscribe pages (with their POST buttons)
and their answers, the moderation queue and the subscribers page, and the
HTML parts of both mails."""
import json
import os
import shutil
import subprocess
import unittest

import harness
from test_engage_common import EngageCase, token_in, wait_until

JAR = os.path.join(harness.ROOT, "node_modules", "vnu-jar", "build", "dist",
                   "vnu.jar")


class EngagePagesAreValid(EngageCase):
    SMTP = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_user("valid.ed@example.com", "Val Editor", "editor")

    def test_pages_and_mail_are_valid_html(self):
        java = shutil.which("java")
        if not java:
            self.skipTest("java is not installed")
        if not os.path.exists(JAR):
            self.skipTest("%s is missing (npm ci installs vnu-jar)" % JAR)
        pages = {}

        def keep(name, r, status):
            self.assertEqual(r.status, status, "%s: %s" % (name, r.text[:200]))
            self.assertEqual(r.ctype, "text/html", name)
            pages[name] = r.body

        slug = self.published_slug()
        self.set_setting("comment_policy", "approve")
        src = harness.new_client_address
        r = self.post("/articles/%s/comments" % slug,
                      {"name": "<b>Val</b>", "body": "A line\nand a link "
                       "https://example.org/?a=1&b=2"}, source=src())
        keep("article-posted", self.get(r.header("Location").split("#")[0]),
             200)
        keep("article-held", self.get("/articles/%s?comment=held" % slug),
             200)
        keep("article-form-errors",
             self.post("/articles/%s/comments" % slug,
                       {"name": "", "email": "bad", "body": "",
                        "parent_id": "1"}, source=src()), 422)
        keep("subscribe-ok", self.post("/subscribe",
                                       {"email": "valid@example.com"},
                                       source=src()), 200)
        keep("subscribe-error", self.post("/subscribe", {"email": "bad"},
                                          source=src()), 422)
        m = self.smtp.wait_for(1, 10, lambda m: "valid@example.com" in
                               m.rcpts)[0]
        pages["mail-confirm"] = m.part("text/html").encode()
        tok = token_in(m.part("text/plain"), "/subscribe/confirm")
        keep("confirm-page", self.get("/subscribe/confirm?token=" + tok), 200)
        keep("confirmed", self.post("/subscribe/confirm", {"token": tok}),
             200)
        keep("confirm-again", self.get("/subscribe/confirm?token=" + tok),
             200)
        keep("confirm-bad", self.get("/subscribe/confirm?token=x"), 404)
        self.new_story("valid-story", "Valid & <sound> story",
                       excerpt="An \"excerpt\" with <angle> brackets")
        m = self.smtp.wait_for(1, 10, lambda m: "valid@example.com" in
                               m.rcpts and m.header("Subject") ==
                               "Valid & <sound> story")[0]
        pages["mail-notify"] = m.part("text/html").encode()
        tok = token_in(m.part("text/plain"), "/unsubscribe")
        keep("unsubscribe-page", self.get("/unsubscribe?token=" + tok), 200)
        keep("unsubscribed", self.post("/unsubscribe", {"token": tok}), 200)
        keep("unsubscribe-bad", self.get("/unsubscribe?token=" + "0" * 64),
             404)
        cookie, _ = self.login("valid.ed@example.com")
        self.set_setting("comment_policy", "hold")
        self.post("/articles/%s/comments" % slug,
                  {"name": "Held", "email": "h@example.com",
                   "body": "<i>held</i>"}, source=src())
        keep("admin-comments", self.get_as("/admin/comments", cookie), 200)
        keep("admin-comments-empty",
             self.get_as("/admin/comments?status=spam", cookie), 200)
        wait_until(lambda: self.one("SELECT notified FROM articles WHERE"
                                    " slug = 'valid-story'") == 1)
        keep("admin-subscribers", self.get_as("/admin/subscribers", cookie),
             200)
        keep("admin-subscribers-empty",
             self.get_as("/admin/subscribers?q=nobody", cookie), 200)

        files = {}
        for name, body in pages.items():
            f = os.path.join(self.gz.tmp, name + ".html")
            with open(f, "wb") as out:
                out.write(body)
            files[f] = name
        p = subprocess.run([java, "-Xss4m", "-jar", JAR, "--errors-only",
                            "--no-langdetect", "--format", "json"] +
                           sorted(files), capture_output=True, text=True,
                           timeout=240)
        out = p.stderr.strip() or p.stdout.strip()
        try:
            report = json.loads(out)
        except ValueError:
            self.fail("vnu gave no JSON report (exit %d):\n%s" % (
                p.returncode, out[-2000:]))
        errors = [m for m in report.get("messages", [])
                  if m.get("type") in ("error", "non-document-error")]
        lines = ["%s line %s: %s\n    %r" % (
            next((v for k, v in files.items()
                  if m.get("url", "").endswith(os.path.basename(k))), "?"),
            m.get("lastLine"), m.get("message"), m.get("extract", ""))
            for m in errors]
        self.assertEqual(errors, [], "invalid HTML:\n" + "\n".join(lines))


if __name__ == "__main__":
    unittest.main()
