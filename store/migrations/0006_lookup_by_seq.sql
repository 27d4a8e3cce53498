-- Lookups take the first resource (by seq) with a key value: with seq in
-- the index they read it in order, without sorting, from the index alone.
DROP INDEX resource_keys_lookup;
CREATE INDEX resource_keys_lookup ON resource_keys(workspace_id, vendor, kind, name, value, seq);
