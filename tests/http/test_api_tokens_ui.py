"""The settings screen's API tokens: an admin makes one (shown once,
stored hashed), it works on the API with its user's role, the list shows
its last use, and revoking it ends it at once."""
import json

import harness
from test_admin_support import NewsroomCase


class TokensInSettings(NewsroomCase):

    def make(self, client, name, user):
        r = client.post("/admin/settings/tokens", {"name": name,
                                                   "user": user})
        self.assertEqual(r.status, 201, r.text[:300])
        doc = harness.parse_html(r.text)
        code = doc.find("code", id="new-token")
        self.assertIsNotNone(code, "the new token is shown")
        return r, code.text.strip()

    def api(self, method, path, token, body=None):
        headers = {"Authorization": "Bearer " + token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return self.gz.request(method, "/api/v1" + path, body=data,
                               headers=headers)

    def test_make_use_list_revoke(self):
        admin = self.admin()
        r, token = self.make(admin, "deploy script", "editor@example.org")
        self.assertRegex(token, r"^gzt_[0-9a-f]{64}$")
        self.assertIn("no-store", r.header("Cache-Control", ""))
        # Stored hashed only.
        rows = self.query("SELECT token_hash, name FROM api_tokens"
                          " WHERE name = 'deploy script'")
        self.assertEqual(len(rows), 1)
        self.assertNotIn(token, json.dumps([dict(x) for x in rows]))
        # Shown once: the settings page afterwards does not carry it.
        self.assertNotIn(token, admin.get("/admin/settings").text)
        # It acts as the editor: it may publish.
        r = self.api("POST", "/articles", token,
                     {"title": "Made by a token", "status": "published"})
        self.assertEqual(r.status, 201, r.text[:300])
        # The list shows its use.
        page = admin.get("/admin/settings").text
        self.assertIn("deploy script", page)
        doc = harness.parse_html(page)
        row = [tr for tr in doc.find_all("tr") if "deploy script" in tr.text]
        self.assertEqual(len(row), 1)
        self.assertNotIn("never", row[0].text)
        # Revoked: 401 at once.
        tid = self.query("SELECT id FROM api_tokens"
                         " WHERE name = 'deploy script'")[0]["id"]
        r = admin.post("/admin/settings/tokens/%d/revoke" % tid, {})
        self.assertEqual(r.status, 303)
        r = self.api("GET", "/articles?status=all", token)
        self.assertEqual(r.status, 401)
        self.assertIn("Bearer", r.header("WWW-Authenticate", ""))

    def test_author_token_cannot_publish(self):
        admin = self.admin()
        _, token = self.make(admin, "author bot", "author@example.org")
        r = self.api("POST", "/articles", token,
                     {"title": "Straight out", "status": "published"})
        self.assertEqual(r.status, 403)
        r = self.api("POST", "/articles", token, {"title": "A draft"})
        self.assertEqual(r.status, 201)
        self.assertEqual(r.json()["articles"][0]["status"], "draft")

    def test_name_required_and_only_admins(self):
        admin = self.admin()
        r = admin.post("/admin/settings/tokens", {"name": "",
                                                  "user": "admin@example.org"})
        self.assertEqual(r.status, 422)
        self.assertIsNotNone(harness.parse_html(r.text).find(
            "p", id="t-name-error"))
        r = self.editor().post("/admin/settings/tokens",
                               {"name": "x", "user": "editor@example.org"})
        self.assertEqual(r.status, 403)
        # Without the form's CSRF token: refused.
        r = admin.post("/admin/settings/tokens", {"name": "x",
                                                  "user": "admin@example.org"},
                       csrf=False)
        self.assertEqual(r.status, 403)
