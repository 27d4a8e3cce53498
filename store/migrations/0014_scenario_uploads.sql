-- Scenario files uploaded through POST /_sandbox/scenarios, kept so that a
-- restart loads them again (after the built-in library and the scenarios
-- directory). An upload is stored before it takes effect. body is the
-- file as uploaded, file the name it was given, uploaded_at when (real
-- time, microseconds); seq is the order uploads were made in, the order
-- they are loaded in.
CREATE TABLE scenario_uploads (
	seq INTEGER PRIMARY KEY,
	file TEXT NOT NULL,
	body BLOB NOT NULL,
	uploaded_at INTEGER NOT NULL
);
-- Which upload provides each uploaded scenario: a later upload of the
-- same name takes it over, a delete removes it. An upload left providing
-- no scenario is deleted with its last name.
CREATE TABLE scenario_upload_names (
	name TEXT PRIMARY KEY,
	upload INTEGER NOT NULL REFERENCES scenario_uploads (seq) ON DELETE CASCADE
);
CREATE INDEX scenario_upload_names_by_upload ON scenario_upload_names (upload);
