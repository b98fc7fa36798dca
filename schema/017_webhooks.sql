-- 017_webhooks: signed deliveries of the change feed (issue 21).
--
-- webhooks: id "wh_" and a number; url (https unless [webhooks]
-- allow_http); types a JSON array of event types or ["*"]; team: the
-- team whose events alone it gets, each in that team's copy (NULL: every
-- event, full copy; only an admin registers one); secret the HMAC key,
-- shown once at creation; delivered_seq the last event seq delivered or
-- passed over (the cursor: deliveries go in seq order, one at a time);
-- failing_since the first failed attempt at the event now due (NULL: none
-- failed), attempts how many were made of it, next_at when the next is
-- due; test_at a test delivery asked for and not yet sent; disabled_at set when an event failed for [webhooks] retry_hours.
CREATE TABLE webhooks (
	id            TEXT PRIMARY KEY,
	url           TEXT NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
	types         TEXT NOT NULL,
	team          TEXT REFERENCES teams(id),
	secret        TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	created_by    TEXT NOT NULL,
	delivered_seq INTEGER NOT NULL,
	failing_since INTEGER,
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_at       INTEGER NOT NULL DEFAULT 0,
	test_at       INTEGER,
	disabled_at   INTEGER,
	deleted_at    INTEGER
) STRICT;

-- One row per attempt: the event (NULL for a test), when, the HTTP status
-- (NULL: no answer) or the error, and how long it took.
CREATE TABLE webhook_deliveries (
	id        INTEGER PRIMARY KEY,
	webhook   TEXT NOT NULL REFERENCES webhooks(id),
	event_seq INTEGER,
	event_id  TEXT NOT NULL,
	type      TEXT NOT NULL,
	at        INTEGER NOT NULL,
	status    INTEGER,
	error     TEXT,
	ok        INTEGER NOT NULL CHECK (ok IN (0, 1)),
	ms        INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook, id);
