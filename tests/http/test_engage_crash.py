"""Crash safety of the new-story mailing (SPEC sections 5 and 8): the
server is killed with SIGKILL in the middle of a notification to 500
subscribers (the test SMTP server is made slow, 8 ms a message, and the
kill comes after about 100 deliveries). After a restart every subscriber
has the story, and at most one address (the message in flight at the
kill) has it twice.
"""
import signal
import time
import unittest

from test_engage_common import EngageCase, wait_until

N = 500
TITLE = "Crash-proof mailing"


class CrashDuringMailingTests(EngageCase):
    SMTP = True
    SMTP_DELAY = 0.008

    def test_sigkill_in_the_middle_of_a_mailing(self):
        now = int(time.time())
        addrs = ["crash%03d@example.com" % i for i in range(N)]
        with self.db() as c:
            c.executemany("INSERT INTO subscribers (email, name, status,"
                          " created_at, confirmed_at)"
                          " VALUES (?, '', 'active', ?, ?)",
                          [(a, now, now) for a in addrs])
        # Plus one who left: never mailed.
        self.sql("INSERT INTO subscribers (email, status, created_at)"
                 " VALUES ('gone@example.com', 'unsubscribed', ?)", (now,))

        def story_mails():
            return [m for m in self.smtp.messages
                    if m.header("Subject") == TITLE]

        self.new_story("crash-proof", TITLE, excerpt="Nothing is lost.")
        got = wait_until(lambda: len(story_mails()) >= 100, timeout=60,
                         step=0.002)
        self.assertTrue(got, "the mailing did not start")
        self.assertEqual(self.gz.stop(signal.SIGKILL), -signal.SIGKILL)
        at_kill = len(story_mails())
        self.assertLess(at_kill, N, "the kill came too late to prove much")

        # The fan-out was one transaction: all 500 rows, and the story is
        # marked announced.
        rows = self.sql("SELECT o.status, count(*) FROM outbox o JOIN"
                        " articles a ON a.id = o.article_id WHERE"
                        " a.slug = 'crash-proof' GROUP BY o.status")
        by_status = {r[0]: r[1] for r in rows}
        self.assertEqual(sum(by_status.values()), N, by_status)
        self.assertEqual(self.one("SELECT notified FROM articles WHERE"
                                  " slug = 'crash-proof'"), 1)
        self.assertLessEqual(by_status.get("sending", 0), 1, by_status)

        # Restart on the same database: the rest goes out.
        self.gz.start(prepare=False)
        done = wait_until(lambda: self.one(
            "SELECT count(*) FROM outbox o JOIN articles a ON"
            " a.id = o.article_id WHERE a.slug = 'crash-proof' AND"
            " o.status = 'sent'") == N, timeout=90, step=0.2)
        self.assertTrue(done, "not every message was sent after restart")
        time.sleep(0.3)
        mails = story_mails()
        per = {}
        for m in mails:
            for r in m.rcpts:
                per[r] = per.get(r, 0) + 1
        missing = [a for a in addrs if per.get(a, 0) == 0]
        twice = [a for a, n in per.items() if n > 1]
        self.assertEqual(missing, [])
        self.assertLessEqual(len(twice), 1, twice)
        self.assertTrue(all(per[a] <= 2 for a in addrs))
        self.assertNotIn("gone@example.com", per)
        self.assertEqual(set(per), set(addrs))
        # A message sent twice carries the same Message-ID both times.
        for a in twice:
            ids = {m.header("Message-ID") for m in mails if a in m.rcpts}
            self.assertEqual(len(ids), 1)
        self.assertEqual(self.one("SELECT count(*) FROM outbox WHERE"
                                  " status != 'sent'"), 0)


if __name__ == "__main__":
    unittest.main()
