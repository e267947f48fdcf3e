"""Sign-in limits that bound online guessing without letting anyone lock
the real user out (docs/NEWSROOM.md, "Sign-in limits"): failures from any
number of addresses lock an account for untrusted browsers only; the
browser the writer signed in with before carries a signed trusted-device
cookie and keeps working, within a limit of its own."""
import re

from test_admin_support import PASSWORD, NewsroomCase


class LoginLimits(NewsroomCase):

    def attempt(self, source, email, password, device=None):
        body = ("email=%s&password=%s" % (email, password)).encode()
        h = {"Content-Type": "application/x-www-form-urlencoded",
             "Origin": self.gz.base}
        if device:
            h["Cookie"] = "gz_device=" + device
        return self.gz.request("POST", "/admin/login", h, body,
                               source=source)

    def device_of(self, r):
        for v in r.header_all("Set-Cookie"):
            m = re.match(r"gz_device=([0-9a-f]{32}\.[0-9a-f]{64});", v)
            if m:
                self.assertIn("HttpOnly", v)
                self.assertIn("Path=/admin/login", v)
                return m.group(1)
        self.fail("no gz_device cookie in %r" % r.header_all("Set-Cookie"))

    def test_attack_cannot_lock_out_the_writers_browser(self):
        email = "author2@example.org"
        r = self.attempt("127.0.91.1", email, PASSWORD)
        self.assertEqual(r.status, 303)
        device = self.device_of(r)
        # Five failures from five addresses: the account is closed to
        # untrusted browsers ...
        for i in range(5):
            r = self.attempt("127.0.91.%d" % (10 + i), email, "wrong-pass")
            self.assertEqual(r.status, 401, i)
        r = self.attempt("127.0.91.30", email, PASSWORD)
        self.assertEqual(r.status, 429)
        # ... but the writer's own browser signs in, from any address.
        r = self.attempt("127.0.91.31", email, PASSWORD, device=device)
        self.assertEqual(r.status, 303)
        # A forged cookie, or one made for another account, is untrusted.
        forged = device[:33] + ("0" if device[33] != "0" else "1") + \
            device[34:]
        r = self.attempt("127.0.91.32", email, PASSWORD, device=forged)
        self.assertEqual(r.status, 429)
        other = self.attempt("127.0.91.33", "author@example.org", PASSWORD)
        self.assertEqual(other.status, 303)
        r = self.attempt("127.0.91.34", email, PASSWORD,
                         device=self.device_of(other))
        self.assertEqual(r.status, 429)

    def test_a_trusted_device_has_a_limit_of_its_own(self):
        email = "editor@example.org"
        r = self.attempt("127.0.92.1", email, PASSWORD)
        device = self.device_of(r)
        for i in range(10):
            r = self.attempt("127.0.92.2", email, "wrong-pass", device=device)
            self.assertEqual(r.status, 401, i)
        r = self.attempt("127.0.92.3", email, PASSWORD, device=device)
        self.assertEqual(r.status, 429)
        self.assertGreater(int(r.header("Retry-After")), 0)
