-- Claiming stays cheap however long the backlog.
--
-- An executor claims the oldest executions nobody holds, and those whose
-- holder's lease has lapsed. With one index over every live state the
-- oldest could only be found by reading and sorting all live rows (each
-- through the row-level security check): with thousands waiting, a claim of
-- a few dozen cost tens of milliseconds. These partial indexes give the
-- unclaimed rows in created_at order, and the held rows by lease and by
-- holder (lease renewal, the sync of the gateway's changes), so a claim reads
-- about as many rows as it takes.
CREATE INDEX executions_unclaimed ON executions (domain, created_at)
    WHERE claimed_by IS NULL
      AND state IN ('CREATED', 'QUEUED', 'RUNNING', 'KILLING', 'RETRYING', 'PAUSED');
CREATE INDEX executions_leased ON executions (domain, lease_until)
    WHERE claimed_by IS NOT NULL;
CREATE INDEX executions_holder ON executions (claimed_by)
    WHERE claimed_by IS NOT NULL;
