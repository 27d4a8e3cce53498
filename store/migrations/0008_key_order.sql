-- Keys carry their resource's created_at, and the key table is its own
-- lookup index (WITHOUT ROWID, keyed by what filters compare): an exact
-- filter listed newest first is one range of this key, read in order, with
-- no sort and no visit to the resources it skips. created_at never changes,
-- so carrying it costs no writes later. A (seq, name, value) appears once.
-- The reference to resources goes: every delete of a resource deletes its
-- keys itself, and the check cost a lookup per key written.
CREATE TABLE resource_keys_0008 (
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	value TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, vendor, kind, name, value, created_at, seq)
) WITHOUT ROWID;
INSERT OR IGNORE INTO resource_keys_0008 (workspace_id, vendor, kind, name, value, created_at, seq)
	SELECT k.workspace_id, k.vendor, k.kind, k.name, k.value, r.created_at, k.seq
	FROM resource_keys k JOIN resources r ON r.seq = k.seq;
DROP TABLE resource_keys;
ALTER TABLE resource_keys_0008 RENAME TO resource_keys;
-- A resource's keys by name: rewrites, deletes and the filters tested on a
-- resource found another way.
CREATE INDEX resource_keys_seq ON resource_keys(seq, name, value);

-- Substring search: one row per resource holding the values of its text
-- keys (see text.go), indexed by trigrams, folded to lower case. Contentless:
-- the values live in resource_keys, which every match is checked against.
CREATE VIRTUAL TABLE resource_text USING fts5(value, tokenize = 'trigram', content = '', contentless_delete = 1, detail = none);

-- Key names whose values are in resource_text, for every resource of
-- their kind. A name is added, with its existing values, when a text key
-- of that name is first written.
CREATE TABLE text_keys (
	vendor TEXT NOT NULL,
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	PRIMARY KEY (vendor, kind, name)
) WITHOUT ROWID;
