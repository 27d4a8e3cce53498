-- Document frequencies of the trigrams in resource_text, by workspace and
-- kind: n is the number of text rows whose values contain gram (folded to
-- lower case), and the row of gram '' counts the text rows. A substring
-- search looks up the frequencies of its trigrams and matches only the
-- rarest few (see text.go): every candidate is checked anyway, so the
-- numbers choose the plan, never the answer. Rows of databases written
-- before this table are counted at open (loadText).
CREATE TABLE text_grams (
	workspace_id TEXT NOT NULL,
	vendor TEXT NOT NULL,
	kind TEXT NOT NULL,
	gram TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, vendor, kind, gram)
) WITHOUT ROWID;
