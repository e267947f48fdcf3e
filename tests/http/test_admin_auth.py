"""The newsroom's doors: first-run setup, sign-in and its rate limits,
sessions (cookie flags, expiry, sign-out), CSRF tokens and the same-origin
check, and `gazette user add` from a shell."""
import re
import time

import harness
from test_admin_support import PASSWORD, Client, NewsroomCase


class FirstRun(NewsroomCase):
    """Demo content but nobody who can sign in: /admin/setup is open until
    the first admin exists, then closed for good."""

    USERS = ()

    def count_users(self):
        return self.query("SELECT count(*) FROM users"
                          " WHERE password_hash IS NOT NULL")[0][0]

    def test_setup_once_then_closed(self):
        c = Client(self.gz)
        r = c.get("/admin")
        self.assertEqual(r.status, 303)
        self.assertTrue(r.header("Location").startswith("/admin/login"))
        r = c.get("/admin/login")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin/setup")
        r, doc = c.page("/admin/setup")
        self.assertEqual(r.status, 200)
        form = doc.find("form", action="/admin/setup")
        self.assertIsNotNone(form)
        for name in ("name", "email", "password", "password2"):
            field = doc.find("input", name=name)
            self.assertIsNotNone(field, name)
            label = doc.find("label", for_=field.get("id"))
            self.assertIsNotNone(label, "no label for " + name)

        # Errors re-show the form with what was typed, beside the field.
        r = c.post("/admin/setup", {"name": "Ada", "email": "ada@example.org",
                                    "password": PASSWORD,
                                    "password2": PASSWORD + "x"}, csrf=False)
        self.assertEqual(r.status, 422)
        doc = harness.parse_html(r.text)
        self.assertEqual(doc.find("input", name="email").get("value"),
                         "ada@example.org")
        self.assertIn("passwords differ", doc.find(
            "p", id="f-password2-error").text)
        r = c.post("/admin/setup", {"name": "Ada", "email": "not-an-email",
                                    "password": PASSWORD,
                                    "password2": PASSWORD}, csrf=False)
        self.assertEqual(r.status, 422)
        self.assertIsNotNone(harness.parse_html(r.text).find(
            "p", id="f-email-error"))
        self.assertEqual(self.count_users(), 0)

        r = c.post("/admin/setup", {"name": "Ada Admin",
                                    "email": "ada@example.org",
                                    "password": PASSWORD,
                                    "password2": PASSWORD}, csrf=False)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin")
        self.assertIsNotNone(c.cookie, "setup signs the admin in")
        self.assertEqual(c.get("/admin/stories").status, 200)
        rows = self.query("SELECT role FROM users WHERE email = ?",
                          "ada@example.org")
        self.assertEqual(rows[0]["role"], "admin")

        # Closed for good: the form is gone and a POST changes nothing.
        self.assertEqual(Client(self.gz).get("/admin/setup").status, 404)
        r = Client(self.gz).post("/admin/setup", {
            "name": "Mallory", "email": "mallory@example.org",
            "password": PASSWORD, "password2": PASSWORD}, csrf=False)
        self.assertEqual(r.status, 404)
        self.assertEqual(self.count_users(), 1)
        self.assertEqual(self.query("SELECT count(*) FROM users WHERE email"
                                    " = 'mallory@example.org'")[0][0], 0)
        # Signed in or not, the login page no longer points at setup.
        self.assertEqual(Client(self.gz).get("/admin/login").status, 200)


class SignIn(NewsroomCase):

    def test_login_lead_names_the_site_once(self):
        """Issue 10: "to the The Port Alder Gazette newsroom" for a title
        that has its own "The"."""
        con = self.db()
        try:
            for title, lead in (
                    ("The Port Alder Gazette",
                     "to The Port Alder Gazette newsroom"),
                    ("the estuary courier", "to the estuary courier newsroom"),
                    ("Theatre Weekly", "to the Theatre Weekly newsroom"),
                    ("Port Alder Gazette",
                     "to the Port Alder Gazette newsroom")):
                with con:
                    con.execute("INSERT INTO settings (key, value) VALUES"
                                " ('title', ?) ON CONFLICT(key) DO UPDATE"
                                " SET value = excluded.value", (title,))
                r = self.get("/admin/login")
                doc = harness.parse_html(r.text)
                self.assertEqual(" ".join(doc.find(
                    "p", cls="nr-auth__lead").text.split()), lead, title)
        finally:
            with con:
                con.execute("DELETE FROM settings WHERE key = 'title'")
            con.close()

    def test_success_sets_a_safe_cookie(self):
        c = Client(self.gz)
        r = c.post("/admin/login", {"email": "editor@example.org",
                                    "password": PASSWORD}, csrf=False)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin")
        cookie = [v for v in r.header_all("Set-Cookie")
                  if v.startswith("gz_session=")][0]
        self.assertRegex(cookie, r"^gz_session=[0-9a-f]{64};")
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Lax", cookie)
        self.assertIn("Path=/", cookie)
        self.assertNotIn("Secure", cookie, "plain http: no Secure flag")
        r = c.get("/admin/stories")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertIn("Eddie Editor", r.text)
        # The database keeps only the token's hash.
        token = c.cookie
        self.assertEqual(self.query("SELECT count(*) FROM sessions WHERE"
                                    " token_hash = ?", token)[0][0], 0)

    def test_https_base_url_makes_the_cookie_secure(self):
        # Behind a TLS proxy the site's public address is https: the
        # session cookie must then never travel over plain http.
        con = self.db()
        try:
            con.execute("INSERT OR REPLACE INTO settings (key, value)"
                        " VALUES ('base_url', 'https://news.example.org')")
            con.commit()
            r = Client(self.gz).post("/admin/login", {
                "email": "editor@example.org", "password": PASSWORD},
                csrf=False)
        finally:
            con.execute("DELETE FROM settings WHERE key = 'base_url'")
            con.commit()
            con.close()
        self.assertEqual(r.status, 303)
        cookie = [v for v in r.header_all("Set-Cookie")
                  if v.startswith("gz_session=")][0]
        self.assertIn("; Secure", cookie)

    def test_unknown_email_and_wrong_password_look_the_same(self):
        a = Client(self.gz).post("/admin/login", {
            "email": "nobody@example.org", "password": PASSWORD},
            csrf=False, headers={}, origin=True)
        b = Client(self.gz).post("/admin/login", {
            "email": "author2@example.org", "password": "wrong password!"},
            csrf=False)
        self.assertEqual(a.status, b.status)
        self.assertEqual(a.status, 401)
        ea = harness.parse_html(a.text).find("p", id="login-error").text
        eb = harness.parse_html(b.text).find("p", id="login-error").text
        self.assertEqual(ea, eb)
        self.assertEqual(ea, "Email or password is incorrect.")
        self.assertNotIn("Set-Cookie", str(a.headers))
        # The email typed is kept, the password never comes back.
        doc = harness.parse_html(b.text)
        self.assertEqual(doc.find("input", name="email").get("value"),
                         "author2@example.org")
        self.assertNotIn("wrong password!", b.text)

    def test_next_goes_back_only_inside_admin(self):
        r, doc = Client(self.gz).page("/admin/login?next=/admin/users")
        self.assertEqual(doc.find("input", name="next").get("value"),
                         "/admin/users")
        r = Client(self.gz).post("/admin/login", {
            "email": "admin@example.org", "password": PASSWORD,
            "next": "/admin/settings"}, csrf=False)
        self.assertEqual(r.header("Location"), "/admin/settings")
        for evil in ("https://evil.example/admin", "//evil.example/admin",
                     "/admin//evil.example", "/\\evil.example"):
            r = Client(self.gz).post("/admin/login", {
                "email": "admin@example.org", "password": PASSWORD,
                "next": evil}, csrf=False)
            self.assertEqual(r.header("Location"), "/admin", evil)

    def test_signed_out_pages_redirect_to_sign_in(self):
        for path in ("/admin", "/admin/stories", "/admin/stories/new",
                     "/admin/stories/1", "/admin/stories/1/delete",
                     "/admin/users", "/admin/settings"):
            r = self.gz.get(path)
            self.assertEqual(r.status, 303, path)
            loc = r.header("Location")
            self.assertTrue(loc.startswith("/admin/login?next="), loc)
        # Writes without a session go nowhere either.
        r = self.gz.request("POST", "/admin/stories", {
            "Content-Type": "application/x-www-form-urlencoded"},
            b"title=x&action=save")
        self.assertEqual(r.status, 303)
        self.assertEqual(self.query("SELECT count(*) FROM articles"
                                    " WHERE title = 'x'")[0][0], 0)

    def test_expired_session_is_signed_out(self):
        c = self.editor()
        self.assertEqual(c.get("/admin/stories").status, 200)
        con = self.db()
        con.execute("UPDATE sessions SET expires_at = unixepoch() - 1"
                    " WHERE user_id = (SELECT id FROM users"
                    " WHERE email = 'editor@example.org')")
        con.commit()
        con.close()
        r = c.get("/admin/stories")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"),
                         "/admin/login?next=%2Fadmin%2Fstories")

    def test_logout_is_a_post_with_csrf(self):
        c = self.author()
        r, doc = c.page("/admin/stories")
        form = doc.find("form", action="/admin/logout")
        self.assertIsNotNone(form, "a Sign out form on every admin page")
        self.assertEqual(form.get("method"), "post")
        token = [i for i in doc.find_all("input", name="csrf")
                 if form in i.ancestors()]
        self.assertEqual(len(token), 1)
        self.assertEqual(c.get("/admin/logout").status, 405)
        # Without the token: refused, still signed in.
        r = c.post("/admin/logout", csrf=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(c.get("/admin/stories").status, 200)
        old = c.cookie
        r = c.post("/admin/logout")
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin/login?signed_out=1")
        self.assertTrue(any(v.startswith("gz_session=;") and "Max-Age=0" in v
                            for v in r.header_all("Set-Cookie")))
        # The old cookie is dead on the server too.
        again = Client(self.gz)
        again.cookie = old
        self.assertEqual(again.get("/admin/stories").status, 303)
        r, doc = Client(self.gz).page("/admin/login?signed_out=1")
        self.assertIn("You are signed out.", r.text)


class RateLimits(NewsroomCase):
    """20 attempts per address and 5 failures per account in 15 minutes,
    counted before the password is checked."""

    def login_from(self, source, email, password):
        body = ("email=%s&password=%s" % (email, password)).encode()
        return self.gz.request("POST", "/admin/login", {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.gz.base}, body, source=source)

    def test_per_address(self):
        src = "127.0.77.1"
        for i in range(20):
            r = self.login_from(src, "nobody%d@example.org" % i, "wrong-pass")
            self.assertEqual(r.status, 401, i)
        r = self.login_from(src, "nobody99@example.org", "wrong-pass")
        self.assertEqual(r.status, 429)
        self.assertGreater(int(r.header("Retry-After")), 0)
        self.assertIn("Too many sign-in attempts", r.text)
        # Even the right password waits; another address does not.
        r = self.login_from(src, "editor@example.org", PASSWORD)
        self.assertEqual(r.status, 429)
        r = self.login_from("127.0.77.2", "editor@example.org", PASSWORD)
        self.assertEqual(r.status, 303)

    def test_per_account(self):
        for i in range(5):
            r = self.login_from("127.0.78.%d" % (i + 1),
                                "author2@example.org", "wrong-pass")
            self.assertEqual(r.status, 401, i)
        r = self.login_from("127.0.78.50", "author2@example.org", PASSWORD)
        self.assertEqual(r.status, 429, "the account is locked for a while")
        self.assertGreater(int(r.header("Retry-After")), 0)
        # The case of the address does not dodge the limit.
        r = self.login_from("127.0.78.51", "Author2@Example.org", PASSWORD)
        self.assertEqual(r.status, 429)
        # Other accounts are not affected.
        r = self.login_from("127.0.78.52", "author@example.org", PASSWORD)
        self.assertEqual(r.status, 303)


class Csrf(NewsroomCase):

    def count(self, title):
        return self.query("SELECT count(*) FROM articles WHERE title = ?",
                          title)[0][0]

    def test_every_admin_form_carries_the_token(self):
        c = self.admin()
        _, sid = self.create_story(c, "Form check story")
        for path in ("/admin/stories", "/admin/stories/new",
                     "/admin/stories/%d" % sid,
                     "/admin/stories/%d/delete" % sid, "/admin/users",
                     "/admin/settings"):
            r, doc = c.page(path)
            self.assertEqual(r.status, 200, path)
            for form in doc.find_all("form"):
                if form.get("method", "get").lower() != "post":
                    continue
                tokens = [i.get("value") for i in doc.find_all(
                    "input", name="csrf") if form in i.ancestors()]
                self.assertEqual(tokens, [c.csrf], "%s: form %s" % (
                    path, form.get("action")))

    def test_missing_or_wrong_token_changes_nothing(self):
        c = self.editor()
        fields = {"title": "CSRF probe", "markdown": "x", "action": "publish"}
        right = c.token()
        wrong_last = right[:-1] + ("1" if right[-1] == "0" else "0")
        for token in (False, "0" * 64, "abc", wrong_last):
            r = c.post("/admin/stories", fields, csrf=token,
                       multipart_form=True)
            self.assertEqual(r.status, 403, token)
            self.assertIn("Reload the page", r.text)
            self.assertEqual(self.count("CSRF probe"), 0)
        # Another user's token is not this session's token.
        other = self.author()
        r = c.post("/admin/stories", fields, csrf=other.token(),
                   multipart_form=True)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.count("CSRF probe"), 0)
        # Settings and users too.
        a = self.admin()
        r = a.post("/admin/settings", {"title": "Hijacked",
                                       "comment_policy": "approve"},
                   csrf=False)
        self.assertEqual(r.status, 403)
        r = a.post("/admin/users", {"email": "x@example.org", "name": "X",
                                    "role": "admin", "password": PASSWORD},
                   csrf=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(self.query("SELECT count(*) FROM users WHERE email"
                                    " = 'x@example.org'")[0][0], 0)
        self.assertEqual(self.query("SELECT count(*) FROM settings WHERE"
                                    " value = 'Hijacked'")[0][0], 0)
        # With the token it works.
        r = c.post("/admin/stories", fields, multipart_form=True)
        self.assertEqual(r.status, 303)
        self.assertEqual(self.count("CSRF probe"), 1)

    def test_header_token_for_scripts(self):
        c = self.author()
        body = b"markdown=**hi**"
        h = c.headers({"Content-Type": "application/x-www-form-urlencoded",
                       "Accept": "application/json"})
        r = self.gz.request("POST", "/admin/preview", h, body)
        self.assertEqual(r.status, 403)
        h["X-CSRF-Token"] = c.token()
        r = self.gz.request("POST", "/admin/preview", h, body)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["html"], "<p><strong>hi</strong></p>\n")

    def test_cross_origin_is_refused_even_with_the_token(self):
        c = self.editor()
        fields = {"title": "Cross origin probe", "markdown": "x",
                  "action": "save"}
        r = c.post("/admin/stories", fields, multipart_form=True,
                   headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403)
        self.assertIn("another site", r.text)
        r = c.post("/admin/stories", fields, multipart_form=True,
                   headers={"Origin": "null"})
        self.assertEqual(r.status, 403)
        r = c.post("/admin/stories", fields, multipart_form=True,
                   origin=False, headers={"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.count("Cross origin probe"), 0)
        # Same origin, or no Origin at all (older clients): accepted.
        r = c.post("/admin/stories", fields, multipart_form=True,
                   origin=False)
        self.assertEqual(r.status, 303)
        self.assertEqual(self.count("Cross origin probe"), 1)


class UserAddCommand(NewsroomCase):
    USERS = (("admin@example.org", "Ada Admin", "admin"),)

    def test_user_add_reads_the_password_from_stdin(self):
        p = self.gz.cli("user", "add", "--email", "cli@example.org",
                        "--name", "Cli User", "--role", "editor",
                        input="a long enough password\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("cli@example.org", p.stdout)
        self.assertNotIn("a long enough password", p.stdout + p.stderr)
        c = Client(self.gz)
        c.login("cli@example.org", "a long enough password")
        r = c.get("/admin/stories")
        self.assertEqual(r.status, 200)
        self.assertIn("Cli User", r.text)
        row = self.query("SELECT role, password_hash FROM users"
                         " WHERE email = 'cli@example.org'")[0]
        self.assertEqual(row["role"], "editor")
        self.assertTrue(row["password_hash"].startswith("$argon2id$"))

    def test_user_add_requires_a_role(self):
        """Issue 10: without --role, `gazette user add` used to make an
        author silently; it now refuses and says which roles exist."""
        p = self.gz.cli("user", "add", "--email", "norole@example.org",
                        "--name", "No Role", input="a long enough password\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--role", p.stderr)
        for role in ("author", "editor", "admin"):
            self.assertIn(role, p.stderr)
        self.assertEqual(self.query(
            "SELECT count(*) FROM users WHERE email = 'norole@example.org'")
            [0][0], 0)

    def test_user_add_refuses_bad_input(self):
        p = self.gz.cli("user", "add", "--email", "short@example.org",
                        "--name", "Short", "--role", "author",
                        input="short\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("password", p.stderr)
        p = self.gz.cli("user", "add", "--email", "admin@example.org",
                        "--name", "Again", "--role", "author",
                        input="a long enough password\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("already exists", p.stderr)
        p = self.gz.cli("user", "add", "--email", "role@example.org",
                        "--name", "Role", "--role", "king",
                        input="a long enough password\n")
        self.assertNotEqual(p.returncode, 0)
        p = self.gz.cli("user", "add", "--email", "nopw@example.org",
                        "--name", "No Password", "--role", "author",
                        input="")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.query(
            "SELECT count(*) FROM users WHERE email IN ('short@example.org',"
            " 'role@example.org', 'nopw@example.org')")[0][0], 0)
