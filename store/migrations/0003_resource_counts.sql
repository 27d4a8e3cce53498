-- Counts of resources per kind, kept by inserts and deletes, so that an
-- unfiltered list's total costs one lookup instead of an index scan.
CREATE TABLE resource_counts (
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	kind TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, vendor, kind)
) WITHOUT ROWID;
INSERT INTO resource_counts (workspace_id, vendor, kind, n)
	SELECT workspace_id, vendor, kind, COUNT(*) FROM resources GROUP BY workspace_id, vendor, kind;
