-- Webhook subscriptions of every vendor: registered through a vendor's API
-- (Whippy endpoints, Zipwhip installs), the config file or the control API.
CREATE TABLE webhooks (
	id TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	-- owner groups subscriptions (a Whippy developer application id).
	owner TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL,
	method TEXT NOT NULL DEFAULT 'POST',
	-- events is a JSON array of event types; empty means every event.
	events BLOB NOT NULL DEFAULT '[]',
	secret TEXT NOT NULL DEFAULT '',
	active INTEGER NOT NULL DEFAULT 1,
	source TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX webhooks_by_vendor ON webhooks(workspace_id, vendor);

-- Events are the unit a vendor emits; each has one delivery per subscriber.
CREATE TABLE events (
	id TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	type TEXT NOT NULL,
	body BLOB NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX events_by_workspace ON events(workspace_id, created_at);

-- Deliveries are the outbox. due_at is in the workspace's virtual time;
-- lease_until is real time and guards a claimed row.
CREATE TABLE deliveries (
	id INTEGER PRIMARY KEY,
	event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	event_type TEXT NOT NULL,
	webhook_id TEXT NOT NULL,
	url TEXT NOT NULL,
	method TEXT NOT NULL,
	secret TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
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
CREATE INDEX deliveries_due ON deliveries(state, due_at);
CREATE INDEX deliveries_by_workspace ON deliveries(workspace_id, id);
CREATE INDEX deliveries_by_event ON deliveries(event_id);

-- Attempts record every HTTP try of a delivery.
CREATE TABLE attempts (
	id INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
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
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, n);

-- Jobs are scheduled scenario steps. due_at is in the workspace's virtual
-- time.
CREATE TABLE jobs (
	id INTEGER PRIMARY KEY,
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	kind TEXT NOT NULL,
	payload BLOB NOT NULL DEFAULT '{}',
	run_id TEXT NOT NULL DEFAULT '',
	step INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL,
	due_at INTEGER NOT NULL,
	lease_until INTEGER NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs(state, due_at);
CREATE INDEX jobs_by_run ON jobs(run_id, step);
CREATE INDEX jobs_by_workspace ON jobs(workspace_id, id);

-- Scenario runs group the jobs of one timeline.
CREATE TABLE scenario_runs (
	id TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL,
	name TEXT NOT NULL,
	vendor TEXT NOT NULL DEFAULT '',
	params BLOB NOT NULL DEFAULT '{}',
	state TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX scenario_runs_by_workspace ON scenario_runs(workspace_id, created_at);
