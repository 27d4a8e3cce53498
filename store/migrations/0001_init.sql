-- Workspaces are tenants: every other row carries a workspace id.
CREATE TABLE workspaces (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL DEFAULT '',
	-- source is "config" (seeded from the config file), "auto" (created by an
	-- unknown credential) or "api" (created through the control API).
	source TEXT NOT NULL DEFAULT 'auto',
	-- seed is the JSON workspace definition replayed on reset.
	seed BLOB NOT NULL DEFAULT '{}',
	-- clock_offset is how far (microseconds) the workspace's virtual clock is
	-- ahead of real time.
	clock_offset INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

-- Credentials map a vendor credential (API key, bearer token, session) to its
-- workspace.
CREATE TABLE credentials (
	vendor TEXT NOT NULL,
	credential TEXT NOT NULL,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (vendor, credential)
) WITHOUT ROWID;
CREATE INDEX credentials_workspace ON credentials(workspace_id);

-- Resources are vendor documents (JSON) with their identity and timestamps.
CREATE TABLE resources (
	seq INTEGER PRIMARY KEY,
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	kind TEXT NOT NULL,
	id TEXT NOT NULL,
	parent TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	doc BLOB NOT NULL
);
CREATE UNIQUE INDEX resources_identity ON resources(workspace_id, vendor, kind, id);
CREATE INDEX resources_by_created ON resources(workspace_id, vendor, kind, created_at);
CREATE INDEX resources_by_updated ON resources(workspace_id, vendor, kind, updated_at);
CREATE INDEX resources_by_parent ON resources(workspace_id, vendor, kind, parent, created_at);

-- Resource keys are lookup and filter values of a resource (phone, email,
-- channel id...). A resource may have several values for one key name.
CREATE TABLE resource_keys (
	seq INTEGER NOT NULL REFERENCES resources(seq) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	value TEXT NOT NULL
);
CREATE INDEX resource_keys_lookup ON resource_keys(workspace_id, vendor, kind, name, value);
CREATE INDEX resource_keys_seq ON resource_keys(seq);

-- Counters hand out per-workspace sequence numbers (integer ids).
CREATE TABLE counters (
	workspace_id TEXT NOT NULL,
	name TEXT NOT NULL,
	value INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, name)
) WITHOUT ROWID;

-- The journal records every request served, written in batches.
CREATE TABLE journal (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	workspace_id TEXT NOT NULL DEFAULT '',
	vendor TEXT NOT NULL,
	operation_id TEXT NOT NULL DEFAULT '',
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	query TEXT NOT NULL DEFAULT '',
	status INTEGER NOT NULL,
	duration_us INTEGER NOT NULL,
	request_id TEXT NOT NULL DEFAULT '',
	request_headers BLOB NOT NULL DEFAULT '{}',
	request_body BLOB NOT NULL DEFAULT '',
	response_body BLOB NOT NULL DEFAULT ''
);
CREATE INDEX journal_by_workspace ON journal(workspace_id, id);
CREATE INDEX journal_by_at ON journal(at);
