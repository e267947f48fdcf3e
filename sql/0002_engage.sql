-- 0002_engage: what comments, subscriptions and the mail outbox need
-- beyond 0001 (see docs/ENGAGEMENT.md).

-- Every new-story mail carries its own unsubscribe token. The outbox row
-- of that mail keeps the token's SHA-256 and the subscriber it was for, so
-- the link in any mail ever sent keeps working while no usable token is
-- stored: the bodies (which hold the token) are cleared once sent.
ALTER TABLE outbox ADD COLUMN subscriber_id INTEGER
    REFERENCES subscribers(id) ON DELETE SET NULL;
ALTER TABLE outbox ADD COLUMN token_hash TEXT;
-- How a sent row left: 'smtp', or 'log' when no SMTP server is configured
-- (the status stays within 0001's CHECK: 'sent').
ALTER TABLE outbox ADD COLUMN via TEXT;

CREATE UNIQUE INDEX outbox_token ON outbox(token_hash)
    WHERE token_hash IS NOT NULL;
CREATE INDEX outbox_article ON outbox(article_id, status)
    WHERE article_id IS NOT NULL;
CREATE INDEX outbox_subscriber ON outbox(subscriber_id, status)
    WHERE subscriber_id IS NOT NULL;

-- The sender's claim: due rows, confirmations before a mass mailing.
CREATE INDEX outbox_claim ON outbox(kind = 'notify', next_try_at, id)
    WHERE status IN ('queued', 'sending');

CREATE INDEX subscribers_status ON subscribers(status, created_at);

-- The sender looks for published stories not yet announced.
CREATE INDEX articles_unnotified ON articles(published_at)
    WHERE notified = 0;

-- "Hold first-time commenters": is there an approved comment by this
-- email (or, without one, this name)?
CREATE INDEX comments_email ON comments(email COLLATE NOCASE, status)
    WHERE email IS NOT NULL;
CREATE INDEX comments_name ON comments(name, status)
    WHERE email IS NULL;
