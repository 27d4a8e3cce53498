-- Request fault and webhook chaos rules (the control API's /faults and
-- /chaos, and scenario steps), kept so that a restart finds them again.
-- The server applies them from memory; this table is written through when
-- a rule is added, replaced or deleted, and read at start. kind is
-- "fault" or "chaos"; workspace_id is '' for a rule of every workspace;
-- seq is the order the rules apply in; doc is the rule as the control API
-- takes it; matched and applied are its counters (saved now and then and
-- at shutdown, see internal/chance).
CREATE TABLE rules (
	kind TEXT NOT NULL,
	workspace_id TEXT NOT NULL DEFAULT '',
	id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	doc TEXT NOT NULL,
	matched INTEGER NOT NULL DEFAULT 0,
	applied INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, workspace_id, id)
);
CREATE INDEX rules_by_seq ON rules (kind, seq);
-- A workspace that goes takes its rules with it.
CREATE TRIGGER rules_of_deleted_workspace AFTER DELETE ON workspaces
BEGIN
	DELETE FROM rules WHERE workspace_id = OLD.id;
END;
