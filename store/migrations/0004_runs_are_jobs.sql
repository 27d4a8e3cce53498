-- A scenario run is its jobs (the engine derives its state from them), so
-- starting a timeline costs one insert.
DROP TABLE scenario_runs;
