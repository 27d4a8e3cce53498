-- GET /_sandbox/scenarios/runs lists a workspace's runs, newest first: a
-- run is its jobs, so the list groups the jobs of each run. This index
-- holds the scenario jobs only (run_id is '' for other work), in the
-- order the grouping reads them.
CREATE INDEX jobs_runs ON jobs (workspace_id, run_id, id) WHERE run_id != '';
