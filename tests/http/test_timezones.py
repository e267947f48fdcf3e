"""The site's time zone (issue 10, item 5): a setting checked against the
tz database; the newsroom shows and takes times in it and stores UTC;
public pages show their dates in it; feeds and JSON keep UTC."""
import datetime
import re
import time
import zoneinfo

import harness
from test_admin_support import NewsroomCase

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def local_value(t, zone):
    """The datetime-local value (with seconds) of epoch seconds t in zone."""
    return datetime.datetime.fromtimestamp(int(t), zone).strftime(
        "%Y-%m-%dT%H:%M:%S")


def epoch(iso_utc):
    return int(datetime.datetime.fromisoformat(iso_utc).replace(
        tzinfo=datetime.timezone.utc).timestamp())


class TimeZones(NewsroomCase):

    def settings(self):
        return {r[0]: r[1] for r in self.query(
            "SELECT key, value FROM settings")}

    def set_zone(self, c, zone, status=303):
        r = c.post("/admin/settings", {
            "title": "The Port Alder Gazette", "description": "Local news.",
            "base_url": "", "comment_policy": "first", "double_opt_in": "",
            "timezone": zone})
        self.assertEqual(r.status, status, r.body[:300])
        return r

    def tearDown(self):
        self.set_zone(self.admin(), "UTC")

    def test_setting_is_validated(self):
        c = self.admin()
        r, doc = c.page("/admin/settings")
        field = doc.find("input", name="timezone")
        self.assertIsNotNone(field, "the settings form has a time zone")
        self.assertEqual(field.get("value"), "UTC", "UTC by default")
        options = [o.get("value") for o in doc.find_all("option")]
        self.assertIn("Europe/Berlin", options, "zones are suggested")
        before = self.settings()
        for bad in ("Mars/Olympus_Mons", "../../../etc/passwd",
                    "/usr/share/zoneinfo/Europe/Berlin", "Europe/",
                    "Europe", "Europe/../Europe/Berlin", "Europe/Berlin\n",
                    "europe/berlin x", "<script>", "Europe/." + "a" * 80):
            r = self.set_zone(c, bad, status=422)
            doc = harness.parse_html(r.text)
            err = doc.find("p", id="f-timezone-error")
            self.assertIsNotNone(err, bad)
            self.assertIn("not a time zone", err.text)
            self.assertIn("Europe/Berlin", err.text, "the error shows how")
            self.assertEqual(doc.find("input", name="timezone")
                             .get("value").strip(), bad.strip(),
                             "the value is kept")
        self.assertEqual(self.settings(), before, "nothing saved")
        self.set_zone(c, "Europe/Berlin")
        self.assertEqual(self.settings()["timezone"], "Europe/Berlin")
        r, doc = c.page("/admin/settings")
        self.assertEqual(doc.find("input", name="timezone").get("value"),
                         "Europe/Berlin")
        # Empty means UTC.
        self.set_zone(c, "")
        self.assertEqual(self.settings()["timezone"], "UTC")

    def test_schedule_in_winter_and_summer(self):
        c = self.editor()
        self.set_zone(self.admin(), "Europe/Berlin")
        _, sid = self.create_story(c, "Berlin evening story")
        year = datetime.date.today().year + 1
        for local, utc in (("%d-01-15T18:00" % year,
                            "%d-01-15T17:00:00" % year),
                           ("%d-07-15T18:00" % year,
                            "%d-07-15T16:00:00" % year)):
            r = self.update_story(c, sid, action="schedule", publish_at=local)
            self.assertEqual(r.status, 303, r.body[:400])
            row = self.story_row(id=sid)
            self.assertEqual(row["status"], "scheduled")
            self.assertEqual(row["published_at"], epoch(utc), local)
            # The newsroom shows the local time back, with the zone named.
            r, doc = c.page("/admin/stories/%d" % sid)
            self.assertEqual(doc.find("input", name="publish_at")
                             .get("value"), local)
            label = doc.find("label", for_="f-publish_at")
            self.assertIn("Europe/Berlin", label.text)
            self.assertEqual(doc.find("input", name="publish_at")
                             .get("data-zone"), "Europe/Berlin")
            abbr = "CET" if "-01-" in local else "CEST"
            self.assertIn("18:00 " + abbr, r.text, "the status line")
            r, doc = c.page("/admin/stories?status=scheduled")
            self.assertIn("18:00 " + abbr, r.text, "the story list")
        # A bad value names the zone in its message.
        r = self.update_story(c, sid, action="schedule", publish_at="soon")
        self.assertEqual(r.status, 422)
        self.assertIn("Europe/Berlin", harness.parse_html(r.text).find(
            "p", id="f-publish_at-error").text)
        self.update_story(c, sid, action="unpublish")

    def test_skipped_hour_moves_forward(self):
        c = self.editor()
        self.set_zone(self.admin(), "Europe/Berlin")
        _, sid = self.create_story(c, "Spring forward story")
        year = datetime.date.today().year + 1
        # the last Sunday of March: 02:30 does not exist in Berlin
        d = datetime.date(year, 3, 31)
        while d.weekday() != 6:
            d -= datetime.timedelta(days=1)
        r = self.update_story(c, sid, action="schedule",
                              publish_at="%sT02:30" % d.isoformat())
        self.assertEqual(r.status, 303)
        self.assertEqual(self.story_row(id=sid)["published_at"],
                         epoch("%sT01:30:00" % d.isoformat()),
                         "03:30 CEST")
        # the last Sunday of October: 02:30 happens twice; the first
        d = datetime.date(year, 10, 31)
        while d.weekday() != 6:
            d -= datetime.timedelta(days=1)
        self.update_story(c, sid, action="schedule",
                          publish_at="%sT02:30" % d.isoformat())
        self.assertEqual(self.story_row(id=sid)["published_at"],
                         epoch("%sT00:30:00" % d.isoformat()),
                         "02:30 CEST, the first of the two")
        self.update_story(c, sid, action="unpublish")

    def test_scheduled_story_goes_live_at_the_local_time(self):
        c = self.editor()
        self.set_zone(self.admin(), "Asia/Kolkata")  # UTC+05:30
        _, sid = self.create_story(c, "Kolkata moment story",
                                   markdown="Right on time.")
        slug = self.story_row(id=sid)["slug"]
        when = int(time.time()) + 4
        typed = local_value(when, zoneinfo.ZoneInfo("Asia/Kolkata"))
        r = self.update_story(c, sid, action="schedule", publish_at=typed)
        self.assertEqual(r.status, 303, r.body[:400])
        self.assertEqual(self.story_row(id=sid)["published_at"], when)
        r, doc = c.page("/admin/stories/%d" % sid)
        self.assertEqual(doc.find("input", name="publish_at").get("value"),
                         typed[:16])
        self.assertEqual(self.get("/articles/" + slug).status, 404,
                         "not before its time")
        ok = self.wait_for(lambda: self.get("/articles/" + slug).status ==
                           200, timeout=12)
        self.assertTrue(ok, "the scheduled story did not go live")
        self.assertGreaterEqual(time.time(), when - 0.01,
                                "it went live too early")
        self.assertEqual(self.story_row(id=sid)["status"], "published")

    def test_public_dates_in_the_site_zone_feeds_in_utc(self):
        c = self.editor()
        _, sid = self.create_story(c, "Dateline story", action="publish")
        row = self.story_row(id=sid)
        t = row["published_at"]
        # Kiritimati is UTC+14: its date differs from UTC's for ten hours
        # of every day; either way the page shows the site zone's day.
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"):
            self.set_zone(self.admin(), zone)
            day = datetime.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(zone))
            human = "%d %s %d" % (day.day, day.strftime("%B"), day.year)
            r, doc = self.page("/articles/" + row["slug"])
            self.assertEqual(r.status, 200)
            tm = doc.find("time")
            self.assertIsNotNone(tm)
            self.assertEqual(tm.text.strip(), human, zone)
            # the machine-readable time stays UTC
            self.assertTrue(tm.get("datetime").endswith("Z"))
        self.set_zone(self.admin(), "Pacific/Kiritimati")
        feed = self.get("/feed.xml").text
        self.assertRegex(feed, r"<pubDate>[^<]*GMT</pubDate>")
        r = self.gz.request("GET", "/articles/" + row["slug"],
                            {"Accept": "application/json"})
        self.assertIn(re.sub(r"\+00:00$", "Z", datetime.datetime.fromtimestamp(
            t, datetime.timezone.utc).isoformat()), r.text)

    def test_newsroom_times_in_the_site_zone(self):
        c = self.editor()
        _, sid = self.create_story(c, "Zone list story")
        t = self.story_row(id=sid)["updated_at"]
        self.set_zone(self.admin(), "Asia/Kolkata")
        r, doc = c.page("/admin/stories")
        local = datetime.datetime.fromtimestamp(
            t, zoneinfo.ZoneInfo("Asia/Kolkata")).strftime("%H:%M")
        self.assertIn(local, r.text)
        r, doc = c.page("/admin/stories/%d" % sid)
        self.assertIn(local + " IST", r.text, "last saved, with the zone")
