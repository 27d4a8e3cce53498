-- A workspace clock may stand still or run faster than real time: its
-- virtual time (µs) is clock_ref + clock_offset + (real - clock_ref) *
-- clock_speed. With the default speed of 1 that is real + clock_offset, as
-- before; a frozen clock has speed 0. clock_ref is the real instant of the
-- last change of speed.
ALTER TABLE workspaces ADD COLUMN clock_speed REAL NOT NULL DEFAULT 1;
ALTER TABLE workspaces ADD COLUMN clock_ref INTEGER NOT NULL DEFAULT 0;
-- chaos says what a webhook chaos rule did to an attempt ('' for nothing).
ALTER TABLE attempts ADD COLUMN chaos TEXT NOT NULL DEFAULT '';
