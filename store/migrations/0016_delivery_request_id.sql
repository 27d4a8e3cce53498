-- A delivery names the vendor request whose transaction emitted its event:
-- the X-Request-Id the journal keeps as request_id ('' for an event a
-- scenario step, a simulator or a control call emitted). The dashboard's
-- timeline finds a message's send by it (GET /requests?request_id=)
-- instead of searching every journal entry's answer. A replay keeps the
-- request of the delivery it replays.
ALTER TABLE deliveries ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
