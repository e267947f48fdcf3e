"""/admin/users: admins add people, change roles, disable and enable
accounts and set passwords; the last admin can never be removed."""
import harness
from test_admin_support import PASSWORD, Client, NewsroomCase


class Users(NewsroomCase):

    def user(self, email):
        rows = self.query("SELECT * FROM users WHERE email = ?", email)
        return rows[0] if rows else None

    def test_list_shows_everyone_with_forms(self):
        c = self.admin()
        r, doc = c.page("/admin/users")
        self.assertEqual(r.status, 200)
        for email in ("admin@example.org", "editor@example.org",
                      "author@example.org", "maren.okafor@example.org"):
            self.assertIn(email, r.text)
        me = self.user("admin@example.org")
        forms = doc.find_all("form", action="/admin/users/%d" % me["id"])
        self.assertGreaterEqual(len(forms), 3, "role, disable, password")
        sel = doc.find("select", id="role-%d" % me["id"])
        self.assertIsNotNone(doc.find("label", for_="role-%d" % me["id"]))
        chosen = [o.get("value") for o in doc.find_all("option")
                  if sel in o.ancestors() and "selected" in o.attrs]
        self.assertEqual(chosen, ["admin"])
        self.assertIsNotNone(doc.find("form", action="/admin/users"))

    def test_add_user_then_they_sign_in(self):
        c = self.admin()
        r = c.post("/admin/users", {"name": "Nia New", "email":
                                    "nia@example.org", "role": "editor",
                                    "password": "nia's first password"})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin/users?done=created")
        self.assertIn("User added", c.get(r.header("Location")).text)
        row = self.user("nia@example.org")
        self.assertEqual(row["role"], "editor")
        self.assertEqual(row["slug"], "nia-new")
        nia = Client(self.gz)
        nia.login("nia@example.org", "nia's first password")
        self.assertIn("Nia New", nia.get("/admin/stories").text)

    def test_add_user_errors_keep_input_but_not_the_password(self):
        c = self.admin()
        cases = [({"email": "bad address"}, "email"),
                 ({"email": "editor@example.org"}, "email"),
                 ({"name": ""}, "name"),
                 ({"role": "overlord"}, "role"),
                 ({"password": "short"}, "password")]
        for change, field in cases:
            f = {"name": "Kept Name", "email": "kept@example.org",
                 "role": "author", "password": "a secret password"}
            f.update(change)
            r = c.post("/admin/users", f)
            self.assertEqual(r.status, 422, change)
            doc = harness.parse_html(r.text)
            self.assertIsNotNone(doc.find("p", id="f-%s-error" % field),
                                 change)
            if field != "name":
                self.assertEqual(doc.find("input", id="f-name").get("value"),
                                 "Kept Name")
            self.assertNotIn(f["password"], r.text)
        self.assertIsNone(self.user("kept@example.org"))
        self.assertIn("already exists", c.post("/admin/users", {
            "name": "Dup", "email": "EDITOR@example.org", "role": "author",
            "password": "a secret password"}).text)

    def test_change_role(self):
        c = self.admin()
        self.client("author2@example.org")  # signs in once: has a session
        bob = self.user("author2@example.org")
        r = c.post("/admin/users/%d" % bob["id"], {"action": "role",
                                                   "role": "editor"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.user("author2@example.org")["role"], "editor")
        # The new role applies at once, to sessions already open too.
        b = self.author2()
        _, doc = b.page("/admin/stories")
        self.assertIsNotNone(doc.find("a", href="/admin/comments"))
        r = c.post("/admin/users/%d" % bob["id"], {"action": "role",
                                                   "role": "wizard"})
        self.assertEqual(r.status, 422)
        self.assertEqual(self.user("author2@example.org")["role"], "editor")
        c.post("/admin/users/%d" % bob["id"], {"action": "role",
                                               "role": "author"})
        self.assertEqual(self.user("author2@example.org")["role"], "author")
        self.assertEqual(c.post("/admin/users/999999", {
            "action": "role", "role": "author"}).status, 404)
        self.assertEqual(c.post("/admin/users/%d" % bob["id"], {
            "action": "explode"}).status, 400)

    def test_disable_signs_out_and_enable_lets_back_in(self):
        c = self.admin()
        ed = self.editor()
        self.assertEqual(ed.get("/admin/stories").status, 200)
        row = self.user("editor@example.org")
        r = c.post("/admin/users/%d" % row["id"], {"action": "disable"})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.user("editor@example.org")["disabled"], 1)
        self.assertEqual(ed.get("/admin/stories").status, 303,
                         "the open session ends")
        r = Client(self.gz).post("/admin/login", {
            "email": "editor@example.org", "password": PASSWORD}, csrf=False)
        self.assertEqual(r.status, 401)
        self.assertIn("Email or password is incorrect.", r.text)
        _, doc = c.page("/admin/users")
        self.assertIn("Disabled", doc.find("tr", cls="nr-table__row--muted")
                      .text)
        r = c.post("/admin/users/%d" % row["id"], {"action": "enable"})
        self.assertEqual(r.status, 303)
        self.editor()  # signs in again

    def test_set_password(self):
        c = self.admin()
        row = self.user("maren.okafor@example.org")  # a demo author
        self.assertIsNone(row["password_hash"])
        r = c.post("/admin/users/%d" % row["id"], {"action": "password",
                                                   "password": "short"})
        self.assertEqual(r.status, 422)
        r = c.post("/admin/users/%d" % row["id"], {
            "action": "password", "password": "maren's new password"})
        self.assertEqual(r.status, 303)
        m = Client(self.gz)
        m.login("maren.okafor@example.org", "maren's new password")
        self.assertEqual(m.get("/admin/stories").status, 200)
        # A new password ends the sessions opened with the old one.
        c.post("/admin/users/%d" % row["id"], {
            "action": "password", "password": "and another one!"})
        self.assertEqual(m.get("/admin/stories").status, 303)


class LastAdmin(NewsroomCase):
    USERS = (("admin@example.org", "Ada Admin", "admin"),
             ("editor@example.org", "Eddie Editor", "editor"))

    def test_the_last_admin_stays(self):
        c = self.admin()
        me = self.query("SELECT id FROM users WHERE email ="
                        " 'admin@example.org'")[0][0]
        for change in ({"action": "role", "role": "editor"},
                       {"action": "role", "role": "author"},
                       {"action": "disable"}):
            r = c.post("/admin/users/%d" % me, change)
            self.assertEqual(r.status, 409, change)
            self.assertIn("This is the last admin", r.text)
            row = self.query("SELECT role, disabled FROM users WHERE id = ?",
                             me)[0]
            self.assertEqual((row[0], row[1]), ("admin", 0))
        self.assertEqual(c.get("/admin/users").status, 200, "still admin")
        # With a second admin the first may step down.
        ed = self.query("SELECT id FROM users WHERE email ="
                        " 'editor@example.org'")[0][0]
        self.assertEqual(c.post("/admin/users/%d" % ed, {
            "action": "role", "role": "admin"}).status, 303)
        r = c.post("/admin/users/%d" % me, {"action": "role",
                                            "role": "editor"})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/admin/stories")
        self.assertEqual(c.get("/admin/users").status, 403)
        # And now the other one is the last.
        e = self.editor()
        r = e.post("/admin/users/%d" % ed, {"action": "disable"})
        self.assertEqual(r.status, 409)
        self.assertEqual(self.query("SELECT count(*) FROM users WHERE role ="
                                    " 'admin' AND disabled = 0")[0][0], 1)
