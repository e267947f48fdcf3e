"""Subscriptions and mail (SPEC section 5), against a real SMTP server
(tests/http/smtpd.py) on a free port: sign up, receive the confirmation
mail, follow its link (a page with a button), confirm with the POST,
publish a story and receive the notification with its List-Unsubscribe
headers and both MIME parts, unsubscribe in one click (RFC 8058), and
receive nothing on the next story. Also: the form's rules, no address
enumeration, one confirmation mail a day, the honeypot, the rate limit,
double opt-in off, tokens that are single-purpose, hashed and expiring,
retries with backoff, permanent failures, and mail without SMTP.
"""
import email.utils
import hashlib
import re
import time
import unittest

import harness
from test_engage_common import EngageCase, token_in, wait_until, FORM

CHECK = "Check your inbox to confirm"
DONE = "You've been subscribed!"


class MailCase(EngageCase):
    SMTP = True

    def subscribe(self, addr, name="", json_accept=True, source=None,
                  **extra):
        f = {"email": addr, "name": name, "website": ""}
        f.update(extra)
        return self.post("/subscribe", f, json_accept=json_accept,
                         source=source or harness.new_client_address())

    def mail_to(self, addr, n=1, timeout=10, subject=None):
        got = self.smtp.wait_for(
            n, timeout, lambda m: addr in m.rcpts and
            (subject is None or m.header("Subject") == subject))
        self.assertGreaterEqual(len(got), n, "no mail to %s (have %r)" % (
            addr, self.smtp.messages))
        return got

    def status_of(self, addr):
        return self.one("SELECT status FROM subscribers WHERE email = ?",
                        (addr,))

    def confirm(self, addr):
        """Signs addr up and confirms it through its mail."""
        self.assertEqual(self.subscribe(addr).status, 200)
        m = self.mail_to(addr)[-1]
        tok = token_in(m.part("text/plain"), "/subscribe/confirm")
        r = self.post("/subscribe/confirm", {"token": tok})
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual(self.status_of(addr), "active")
        return tok

    def announced(self, slug, timeout=10):
        return wait_until(lambda: self.one(
            "SELECT notified FROM articles WHERE slug = ?", (slug,)) == 1,
            timeout)


class SubscribeFlowTests(MailCase):

    def test_the_whole_journey(self):
        addr = "reader.one@example.com"
        # 1. Sign up.
        r = self.subscribe(addr, name="Reader One")
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json(), {"ok": True, "message": CHECK})
        self.assertEqual(self.status_of(addr), "pending")
        # 2. The confirmation mail.
        m = self.mail_to(addr)[0]
        self.assertEqual(m.mail_from, "desk@example.org")
        self.assertEqual(m.rcpts, [addr])
        self.assertEqual(m.header("To"), addr)
        self.assertIn("desk@example.org", m.header("From"))
        self.assertIn("Gazette Desk", m.header("From"))
        self.assertTrue(m.header("Subject").startswith(
            "Confirm your subscription"))
        self.assertIsNotNone(email.utils.parsedate_to_datetime(
            m.header("Date")))
        self.assertRegex(m.header("Message-ID"), r"^<[^<>@\s]+@example\.org>$")
        self.assertEqual(m.header("MIME-Version"), "1.0")
        self.assertEqual(m.msg.get_content_type(), "multipart/alternative")
        text, html = m.part("text/plain"), m.part("text/html")
        self.assertIn("Hello Reader One", text)
        tok = token_in(text, "/subscribe/confirm")
        self.assertTrue(tok, text)
        link = "%s/subscribe/confirm?token=%s" % (self.gz.base, tok)
        self.assertIn(link, text)
        self.assertIn('href="%s"' % link, html)
        # The database keeps the token's hash only, and clears the mail
        # once it is sent.
        row = self.sql("SELECT confirm_hash FROM subscribers WHERE email = ?",
                       (addr,))[0]
        self.assertEqual(row["confirm_hash"],
                         hashlib.sha256(tok.encode()).hexdigest())
        wait_until(lambda: self.one(
            "SELECT status FROM outbox WHERE recipient = ? AND"
            " kind = 'confirm'", (addr,)) == "sent")
        dump = "\n".join(self.db().iterdump())
        self.assertNotIn(tok, dump)
        # 3. The link opens a page with a button; the GET changes nothing.
        r, doc = self.page("/subscribe/confirm?token=" + tok)
        form = doc.find("form", cls="message-page__form")
        self.assertEqual(form.get("action"), "/subscribe/confirm")
        self.assertEqual(form.get("method"), "post")
        self.assertEqual(doc.find("input", name="token").get("value"), tok)
        self.assertIsNotNone(doc.find("button", type="submit"))
        self.assertEqual(self.status_of(addr), "pending")
        # 4. The button confirms.
        r = self.post(form.get("action"), {"token": tok})
        self.assertEqual(r.status, 200)
        self.assertIn(DONE, harness.parse_html(r.text).find("h1").text)
        self.assertEqual(self.status_of(addr), "active")
        self.assertIsNotNone(self.one(
            "SELECT confirmed_at FROM subscribers WHERE email = ?", (addr,)))
        # Following the link again says so, and changes nothing.
        r, doc = self.page("/subscribe/confirm?token=" + tok)
        self.assertIn("already subscribed", doc.find("h1").text)
        self.assertIsNone(doc.find("form", cls="message-page__form"))
        # 5. A story is published: the notification.
        self.new_story("journey-first", "The first story of the journey",
                       excerpt="What happened, in one line.")
        m = self.mail_to(addr, subject="The first story of the journey")[0]
        self.assertTrue(self.announced("journey-first"))
        lu = m.header("List-Unsubscribe")
        mm = re.fullmatch(r"<(%s/unsubscribe\?token=([0-9a-f]{64}))>"
                          % re.escape(self.gz.base), lu)
        self.assertTrue(mm, lu)
        unsub_url, unsub_tok = mm.group(1), mm.group(2)
        self.assertNotEqual(unsub_tok, tok)
        self.assertEqual(m.header("List-Unsubscribe-Post"),
                         "List-Unsubscribe=One-Click")
        self.assertEqual(m.msg.get_content_type(), "multipart/alternative")
        parts = [p.get_content_type() for p in m.msg.iter_parts()]
        self.assertEqual(parts, ["text/plain", "text/html"])
        for p in m.msg.iter_parts():
            self.assertEqual(p.get_content_charset(), "utf-8")
            self.assertIn(p["Content-Transfer-Encoding"],
                          ("quoted-printable", "base64"))
        text, html = m.part("text/plain"), m.part("text/html")
        story = "%s/articles/journey-first" % self.gz.base
        for part in (text, html):
            self.assertIn("The first story of the journey", part)
            self.assertIn("What happened, in one line.", part)
            self.assertIn(story, part)
            self.assertIn(unsub_url, part)
        # 6. One-click unsubscribe, as a mail client does it.
        host = "127.0.0.1:%d" % self.gz.port
        r = self.gz.request("POST", unsub_url[len(self.gz.base):],
                            {"Content-Type": FORM, "Host": host},
                            "List-Unsubscribe=One-Click")
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertEqual(self.status_of(addr), "unsubscribed")
        # 7. Nothing on the next story.
        before = len(self.smtp.to(addr))
        self.new_story("journey-second", "The second story")
        self.assertTrue(self.announced("journey-second"))
        time.sleep(1.0)
        self.assertEqual(len(self.smtp.to(addr)), before)
        self.assertEqual(self.sql(
            "SELECT count(*) FROM outbox o JOIN articles a ON"
            " a.id = o.article_id WHERE a.slug = 'journey-second' AND"
            " o.recipient = ?", (addr,))[0][0], 0)
        # The unsubscribe page now says it is done.
        r, doc = self.page(unsub_url[len(self.gz.base):])
        self.assertIn("unsubscribed", doc.find("h1").text)

    def test_unsubscribe_page_has_a_button(self):
        addr = "pager@example.com"
        self.confirm(addr)
        self.new_story("unsub-page", "Unsubscribe page story")
        m = self.mail_to(addr, subject="Unsubscribe page story")[0]
        tok = token_in(m.part("text/plain"), "/unsubscribe")
        r, doc = self.page("/unsubscribe?token=" + tok)
        self.assertIn(addr, r.text)
        form = doc.find("form", cls="message-page__form")
        self.assertEqual(form.get("method"), "post")
        self.assertEqual(form.get("action"), "/unsubscribe")
        self.assertEqual(self.status_of(addr), "active")  # GET: nothing
        r = self.post("/unsubscribe", {"token": tok})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.status_of(addr), "unsubscribed")
        # Again: the same friendly answer.
        r = self.post("/unsubscribe", {"token": tok}, json_accept=True)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.json()["ok"])
        # Signing up again works (double opt-in again).
        r = self.subscribe(addr)
        self.assertEqual(r.json()["message"], CHECK)
        self.assertEqual(self.status_of(addr), "pending")

    def test_pending_addresses_get_no_story(self):
        addr = "never.confirmed@example.com"
        self.subscribe(addr)
        self.mail_to(addr)
        self.new_story("pending-story", "Only for the confirmed")
        self.assertTrue(self.announced("pending-story"))
        time.sleep(0.5)
        self.assertEqual([m for m in self.smtp.to(addr)
                          if m.header("Subject") == "Only for the confirmed"],
                         [])

    def test_known_address_gets_the_same_answer(self):
        addr = "twice@example.com"
        a = self.subscribe(addr)
        b = self.subscribe(addr)
        self.assertEqual((a.status, a.body), (b.status, b.body))
        self.mail_to(addr)
        time.sleep(0.5)
        # At most one confirmation mail a day.
        self.assertEqual(len(self.smtp.to(addr)), 1)
        self.assertEqual(self.one("SELECT count(*) FROM outbox WHERE"
                                  " recipient = ?", (addr,)), 1)
        # An active address: same answer again, no mail.
        self.confirm("active.known@example.com")
        n = len(self.smtp.to("active.known@example.com"))
        c = self.subscribe("active.known@example.com")
        self.assertEqual((c.status, c.body), (a.status, a.body))
        time.sleep(0.5)
        self.assertEqual(len(self.smtp.to("active.known@example.com")), n)
        self.assertEqual(self.status_of("active.known@example.com"), "active")
        # Without JavaScript too: the same page for new and known.
        p1 = self.subscribe("page.new@example.com", json_accept=False)
        p2 = self.subscribe("twice@example.com", json_accept=False)
        self.assertEqual((p1.status, p1.body), (p2.status, p2.body))
        # The address case does not make a second subscriber.
        self.subscribe("TWICE@Example.COM")
        self.assertEqual(self.one("SELECT count(*) FROM subscribers WHERE"
                                  " email = 'twice@example.com'"
                                  " COLLATE NOCASE"), 1)

    def test_a_new_confirmation_after_a_day(self):
        addr = "slow.reader@example.com"
        self.subscribe(addr)
        first = token_in(self.mail_to(addr)[0].part("text/plain"),
                         "/subscribe/confirm")
        self.sql("UPDATE subscribers SET confirm_sent_at = confirm_sent_at"
                 " - 90000 WHERE email = ?", (addr,))
        self.subscribe(addr)
        mails = self.mail_to(addr, n=2)
        second = token_in(mails[1].part("text/plain"), "/subscribe/confirm")
        self.assertNotEqual(first, second)
        # The newest link works; the replaced one does not.
        self.assertEqual(self.get("/subscribe/confirm?token=" + first).status,
                         404)
        self.assertEqual(self.post("/subscribe/confirm",
                                   {"token": second}).status, 200)
        self.assertEqual(self.status_of(addr), "active")

    def test_expired_confirmation_link(self):
        addr = "late@example.com"
        self.subscribe(addr)
        tok = token_in(self.mail_to(addr)[0].part("text/plain"),
                       "/subscribe/confirm")
        self.sql("UPDATE subscribers SET confirm_sent_at = unixepoch()"
                 " - 8 * 86400 WHERE email = ?", (addr,))
        r, doc = self.page("/subscribe/confirm?token=" + tok, status=404)
        self.assertIn("does not work", doc.find("h1").text)
        self.assertEqual(self.post("/subscribe/confirm",
                                   {"token": tok}).status, 404)
        self.assertEqual(self.status_of(addr), "pending")

    def test_tokens_are_single_purpose(self):
        addr = "purpose@example.com"
        confirm_tok = self.confirm(addr)
        self.new_story("purpose-story", "Purpose story")
        m = self.mail_to(addr, subject="Purpose story")[0]
        unsub_tok = token_in(m.part("text/plain"), "/unsubscribe")
        # The confirmation token does not unsubscribe...
        self.assertEqual(self.post("/unsubscribe",
                                   {"token": confirm_tok}).status, 404)
        self.assertEqual(self.get("/unsubscribe?token=" + confirm_tok).status,
                         404)
        self.assertEqual(self.status_of(addr), "active")
        # ...and the unsubscribe token does not confirm.
        self.assertEqual(self.get("/subscribe/confirm?token=" + unsub_tok)
                         .status, 404)
        # Malformed and unknown tokens.
        for bad in ("", "abc", "0" * 64, "Z" * 64, unsub_tok.upper(),
                    unsub_tok + "0"):
            self.assertEqual(self.get("/unsubscribe?token=" + bad).status,
                             404, bad)
            self.assertEqual(self.post("/unsubscribe?token=" + bad,
                                       {"List-Unsubscribe": "One-Click"})
                             .status, 404, bad)
            self.assertEqual(self.get("/subscribe/confirm?token=" + bad)
                             .status, 404, bad)
        self.assertEqual(self.get("/unsubscribe").status, 404)
        self.assertEqual(self.status_of(addr), "active")
        self.assertEqual(self.one(
            "SELECT token_hash FROM outbox WHERE recipient = ? AND"
            " kind = 'notify'", (addr,)),
            hashlib.sha256(unsub_tok.encode()).hexdigest())

    def test_non_ascii_subject_is_encoded(self):
        addr = "unicode@example.com"
        self.confirm(addr)
        title = "Café crème à 10 € in Zürich — “quoted” 日本語のテキスト" * 2
        self.new_story("unicode-story", title, excerpt="Ünïcödé excerpt")
        m = self.mail_to(addr, subject=title)[0]
        raw = m.raw.decode("ascii")  # the whole message is 7-bit
        head = raw.split("\r\n\r\n", 1)[0]
        self.assertIn("Subject: =?UTF-8?B?", head)
        for line in raw.split("\r\n"):
            self.assertLessEqual(len(line), 998)
        for line in head.split("\r\n"):
            self.assertLessEqual(len(line), 200, line)
        self.assertIn(title, m.part("text/plain"))
        self.assertIn("Ünïcödé excerpt", m.part("text/html"))

    def test_long_ascii_subject_is_folded(self):
        addr = "folded@example.com"
        self.confirm(addr)
        title = " ".join(["Harbour council votes on the new ferry timetable"]
                         * 4)
        self.new_story("long-subject", title)
        m = self.mail_to(addr, subject=title)[0]
        head = m.raw.decode("ascii").split("\r\n\r\n", 1)[0]
        subject = re.search(r"^Subject:.*?(?=\r\n\S)", head,
                            re.M | re.S).group(0)
        self.assertNotIn("=?", subject)
        self.assertGreater(subject.count("\r\n "), 1)
        for line in subject.split("\r\n"):
            self.assertLessEqual(len(line), 78, line)


class SubscribeFormTests(MailCase):

    def assert_refused(self, addr, words):
        r = self.subscribe(addr)
        self.assertEqual(r.status, 422, (addr, r.text))
        e = r.json()["error"]
        self.assertEqual(e["code"], "validation_failed")
        self.assertEqual(e["field"], "email")
        self.assertIn(words, e["message"], addr)
        return e

    def test_refused_with_a_clear_reason(self):
        n = self.one("SELECT count(*) FROM subscribers")
        self.assert_refused("", "Enter an email address")
        self.assert_refused("   ", "Enter an email address")
        self.assert_refused("no-at.example.com", "@")
        self.assert_refused("a" * 243 + "@example.com", "254")
        self.assert_refused("a@b.co\r\nBcc: victim@example.com",
                            "line breaks")
        self.assert_refused("a@b.co\nx", "line breaks")
        self.assert_refused("two words@example.com", "spaces")
        for bad in ("a@b", "@example.com", "a@@example.com", "a@.com",
                    "a@example..com", "<a@example.com>", "a\"b@example.com",
                    "ünï@example.com"):
            self.assert_refused(bad, "valid email address")
        self.assertEqual(self.one("SELECT count(*) FROM subscribers"), n)
        time.sleep(0.3)
        self.assertEqual([m for m in self.smtp.messages
                          if "victim" in m.raw.decode("latin-1")
                          or any("b.co" in r for r in m.rcpts)], [])

    def test_longest_address_accepted(self):
        addr = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 \
            + ".org"
        self.assertEqual(len(addr), 254)
        r = self.subscribe(addr)
        self.assertEqual(r.status, 200, r.text)

    def test_name_rules(self):
        r = self.subscribe("named@example.com", name="n" * 81)
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()["error"]["field"], "name")
        r = self.subscribe("named@example.com", name="Na\nme")
        self.assertEqual(r.status, 422)
        r = self.subscribe("named@example.com", name="Ná" * 40)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.one("SELECT name FROM subscribers WHERE"
                                  " email = 'named@example.com'"), "Ná" * 40)

    def test_result_pages_without_javascript(self):
        r = self.subscribe("nojs@example.com", json_accept=False)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.ctype, "text/html")
        doc = harness.parse_html(r.text)
        self.assertEqual(doc.find("h1").text.strip(), CHECK)
        r = self.subscribe("nojs-at-example.com", json_accept=False,
                           )
        self.assertEqual(r.status, 422)
        self.assertEqual(r.ctype, "text/html")
        doc = harness.parse_html(r.text)
        self.assertIn("@", doc.find("p", cls="message-page__body").text)
        self.assertTrue(doc.find("a", href="/#subscribe"))
        # Back to the page the form was on.
        r = self.subscribe("nojs-at-example.com", json_accept=False,
                           )
        r = self.post("/subscribe", {"email": "x"},
                      headers={"Referer": self.gz.base + "/tags/science"},
                      source=harness.new_client_address())
        doc = harness.parse_html(r.text)
        self.assertTrue(doc.find("a", href="/tags/science#subscribe"))
        r = self.post("/subscribe", {"email": "x"},
                      headers={"Referer": "http://evil.example/phish"},
                      source=harness.new_client_address())
        doc = harness.parse_html(r.text)
        self.assertTrue(doc.find("a", href="/#subscribe"))

    def test_honeypot(self):
        n = self.one("SELECT count(*) FROM subscribers")
        r = self.subscribe("bot@example.com", website="http://spam.example")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"ok": True, "message": CHECK})
        self.assertEqual(self.one("SELECT count(*) FROM subscribers"), n)
        time.sleep(0.5)
        self.assertEqual(self.smtp.to("bot@example.com"), [])

    def test_rate_limit_per_client(self):
        me = harness.new_client_address()
        for i in range(5):
            r = self.subscribe("rate%d@example.com" % i, source=me)
            self.assertEqual(r.status, 200, (i, r.text))
        r = self.subscribe("rate5@example.com", source=me)
        self.assertEqual(r.status, 429)
        self.assertGreater(int(r.header("Retry-After")), 0)
        self.assertIsNone(self.status_of("rate5@example.com"))
        r = self.subscribe("rate5@example.com", source=me, json_accept=False)
        self.assertEqual(r.status, 429)
        self.assertEqual(r.ctype, "text/html")
        self.assertEqual(self.subscribe("rate6@example.com").status, 200)

    def test_cross_site_post_refused(self):
        r = self.post("/subscribe", {"email": "xs@example.com"},
                      headers={"Origin": "http://evil.example"},
                      source=harness.new_client_address())
        self.assertEqual(r.status, 403)
        self.assertIsNone(self.status_of("xs@example.com"))


class DoubleOptInOffTests(MailCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import sqlite3
        with sqlite3.connect(cls.gz.db) as c:
            c.execute("INSERT OR REPLACE INTO settings VALUES"
                      " ('double_opt_in', 'off')")

    def test_active_at_once_and_mailed(self):
        addr = "direct@example.com"
        r = self.subscribe(addr, name="Direct")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"ok": True, "message": DONE})
        self.assertEqual(self.status_of(addr), "active")
        r = self.subscribe(addr)
        self.assertEqual(r.json(), {"ok": True, "message": DONE})
        self.new_story("opt-in-off", "Straight to the inbox")
        m = self.mail_to(addr, subject="Straight to the inbox")
        self.assertEqual(len(m), 1)
        self.assertEqual([x for x in self.smtp.to(addr)
                          if "Confirm" in x.header("Subject")], [])
        r = self.subscribe("direct2@example.com", json_accept=False)
        self.assertEqual(harness.parse_html(r.text).find("h1").text.strip(),
                         DONE)


class RetryTests(MailCase):
    ENV = {"GAZETTE_MAIL_MAX_TRIES": "2"}

    def row(self, addr):
        return self.sql("SELECT * FROM outbox WHERE recipient = ?"
                        " ORDER BY id DESC LIMIT 1", (addr,))[0]

    def test_temporary_failure_is_retried_with_backoff(self):
        addr = "retry@example.com"
        self.smtp.fail_next = 1
        t0 = int(time.time())
        self.subscribe(addr)
        self.assertTrue(wait_until(lambda: self.row(addr)["attempts"] == 1 and
                                   self.row(addr)["status"] == "queued"))
        row = self.row(addr)
        self.assertIn("451", row["last_error"])
        self.assertGreaterEqual(row["next_try_at"], t0 + 50)
        self.assertEqual(self.smtp.to(addr), [])
        # Time passes (the row falls due): the next attempt goes out.
        self.sql("UPDATE outbox SET next_try_at = 0 WHERE id = ?", (row["id"],))
        self.mail_to(addr)
        self.assertTrue(wait_until(lambda: self.row(addr)["status"] == "sent"))
        self.assertEqual(self.row(addr)["attempts"], 2)
        self.assertEqual(self.row(addr)["via"], "smtp")

    def test_gives_up_after_max_tries(self):
        addr = "flaky@example.com"
        self.smtp.fail_next = 2
        self.subscribe(addr)
        self.assertTrue(wait_until(lambda: self.row(addr)["attempts"] == 1 and
                                   self.row(addr)["status"] == "queued"))
        self.sql("UPDATE outbox SET next_try_at = 0 WHERE recipient = ?",
                 (addr,))
        ok = wait_until(lambda: self.row(addr)["status"] == "failed")
        row = self.row(addr)
        self.assertTrue(ok, dict(row))
        self.assertEqual(row["attempts"], 2)
        self.assertIn("451", row["last_error"])
        self.assertEqual(self.smtp.to(addr), [])

    def test_permanent_refusal_fails_at_once(self):
        addr = "no.such.user@example.com"
        self.smtp.reject.add(addr)
        self.subscribe(addr)
        self.assertTrue(wait_until(lambda: self.row(addr)["status"] ==
                                   "failed"))
        row = self.row(addr)
        self.assertEqual(row["attempts"], 1)
        self.assertIn("550", row["last_error"])


class NoSmtpTests(EngageCase):
    """Without mail.smtp_url the outbox is still written; each message
    is logged (to, subject) and marked sent via 'log'."""

    def test_default_without_smtp_is_single_opt_in(self):
        # SPEC 5: double opt-in is on by default *when mail is configured*;
        # without SMTP nobody could confirm, so a sign-up is active at once.
        self.sql("DELETE FROM settings WHERE key = 'double_opt_in'")
        addr = "single@example.com"
        r = self.post("/subscribe", {"email": addr}, json_accept=True,
                      source=harness.new_client_address())
        self.assertEqual(r.json()["message"], "You've been subscribed!")
        self.assertEqual(self.one("SELECT status FROM subscribers"
                                  " WHERE email = ?", (addr,)), "active")

    def test_mail_is_logged(self):
        self.set_setting("double_opt_in", "on")
        addr = "logged@example.com"
        r = self.post("/subscribe", {"email": addr}, json_accept=True,
                      source=harness.new_client_address())
        self.assertEqual(r.json()["message"], CHECK)
        self.assertTrue(wait_until(lambda: self.one(
            "SELECT status FROM outbox WHERE recipient = ?", (addr,)) ==
            "sent"))
        self.assertEqual(self.one("SELECT via FROM outbox WHERE"
                                  " recipient = ?", (addr,)), "log")
        self.assertTrue(wait_until(lambda: addr in self.gz.stderr_text()))
        line = [l for l in self.gz.stderr_text().splitlines()
                if addr in l][0]
        self.assertIn("Confirm your subscription", line)
        self.assertNotRegex(line, r"[0-9a-f]{64}")


if __name__ == "__main__":
    unittest.main()
