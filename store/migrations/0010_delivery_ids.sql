-- Delivery ids are never handed out twice: SQLite gives a plain INTEGER
-- PRIMARY KEY max(id)+1, so after a reset deleted the newest deliveries
-- their ids came back, and X-Vendorsim-Delivery, /deliveries/{id} and an
-- attempt in flight during the reset named another delivery. AUTOINCREMENT
-- keeps the highest id ever used in sqlite_sequence.
--
-- The table is rebuilt with its attempts, whose foreign key names the new
-- table (so that dropping the old one cascades into nothing) and follows it
-- when it is renamed into place.
CREATE TABLE deliveries_new (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	event_type TEXT NOT NULL,
	webhook_id TEXT NOT NULL,
	url TEXT NOT NULL,
	method TEXT NOT NULL,
	secret TEXT NOT NULL DEFAULT '',
	-- state is pending, sending, delivered, dead or cancelled.
	state TEXT NOT NULL,
	-- attempts counts attempts started (bumped when claimed), so that an
	-- attempt cut short by a stop is never numbered again.
	attempts INTEGER NOT NULL DEFAULT 0,
	due_at INTEGER NOT NULL,
	first_attempt_at INTEGER NOT NULL DEFAULT 0,
	lease_until INTEGER NOT NULL DEFAULT 0,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	replay_of INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
INSERT INTO deliveries_new SELECT id, event_id, workspace_id, vendor, event_type, webhook_id, url, method, secret, state, attempts,
	due_at, first_attempt_at, lease_until, last_status, last_error, replay_of, created_at, updated_at FROM deliveries;
CREATE TABLE attempts_new (
	id INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES deliveries_new(id) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	n INTEGER NOT NULL,
	at INTEGER NOT NULL,
	virtual_at INTEGER NOT NULL,
	request_headers BLOB NOT NULL DEFAULT '{}',
	status INTEGER NOT NULL DEFAULT 0,
	latency_us INTEGER NOT NULL DEFAULT 0,
	response_headers BLOB NOT NULL DEFAULT '{}',
	response_body BLOB NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT ''
);
INSERT INTO attempts_new SELECT id, delivery_id, workspace_id, n, at, virtual_at, request_headers, status, latency_us,
	response_headers, response_body, error FROM attempts;
DROP TABLE attempts;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
ALTER TABLE attempts_new RENAME TO attempts;
CREATE INDEX deliveries_due ON deliveries(state, due_at);
CREATE INDEX deliveries_by_workspace ON deliveries(workspace_id, id);
CREATE INDEX deliveries_by_event ON deliveries(event_id);
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, n);
