-- Journal pages split in two blobs (see journalpage.go): meta holds what
-- filters and counts read, bodies the headers and bodies, so that a count
-- or a filter over a full journal reads no bodies. Pages recorded in the
-- old single-blob layout are dropped with the old table: the journal is a
-- log of requests, not state.
DROP TABLE journal_pages;
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
	meta BLOB NOT NULL,
	bodies BLOB NOT NULL
);
