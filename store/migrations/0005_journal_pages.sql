-- The journal moves from a row per request to pages of requests (see
-- journalpage.go). Entries recorded before are dropped with the old table.
DROP TABLE journal;
CREATE TABLE journal_pages (
	id INTEGER PRIMARY KEY,
	-- first_entry and last_entry are the ids of its oldest and newest entry.
	first_entry INTEGER NOT NULL,
	last_entry INTEGER NOT NULL,
	-- oldest_at and newest_at bound the entries' times (microseconds).
	oldest_at INTEGER NOT NULL,
	newest_at INTEGER NOT NULL,
	entries INTEGER NOT NULL,
	-- workspaces lists the workspace ids of its entries, each wrapped in
	-- newlines, so that a filter on one workspace skips other pages.
	workspaces TEXT NOT NULL,
	data BLOB NOT NULL
);
