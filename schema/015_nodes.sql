-- 015_nodes: the GPU nodes of a pool, agent tokens bound to one node, and
-- what the nodes measured (issue 18).
--
-- nodes: the team each node of a pool serves, set by an operator (PUT
-- /v1/pools/{pool}/nodes/{node}, audited as node.assign), and when grantd
-- last heard from it.  A node named by an accepted usage batch that was
-- never assigned is added with team NULL and reason 'first seen', so that
-- an operator sees it.  node ids are host names:
-- [A-Za-z0-9][A-Za-z0-9._-]{0,62} (checked by lib/jsonv.c, jv_valid_node).
-- assigned_at: when the node's team (or none) was last set; updated_at:
-- its assignment's last change (team or reason); last_seen_at and
-- last_batch: the receipt time and batch_id of the last accepted batch with
-- a sample of the node (NULL: never).
CREATE TABLE nodes (
	pool         TEXT NOT NULL REFERENCES pools(id),
	node         TEXT NOT NULL CHECK (length(node) BETWEEN 1 AND 63),
	team         TEXT REFERENCES teams(id),
	assigned_at  INTEGER NOT NULL,
	reason       TEXT NOT NULL,
	updated_at   INTEGER NOT NULL,
	last_seen_at INTEGER,
	last_batch   TEXT CHECK (last_batch IS NULL OR length(last_batch) BETWEEN 1 AND 128),
	PRIMARY KEY (pool, node)
) STRICT, WITHOUT ROWID;

-- An agent token may be bound to one node of its pool: its samples are
-- that node's alone, and it reads that node's assignment alone.
ALTER TABLE tokens ADD COLUMN node TEXT
	CHECK (node IS NULL OR (role = 'agent' AND length(node) BETWEEN 1 AND 63));

-- What the nodes measured, summed per hour as gpu_seconds is (the same
-- split across UTC hours, in proportion to the seconds in each):
-- measured_seconds is the gpu_seconds of the samples that carried any of
-- busy_gpu_seconds, util_weighted_gpu_seconds and energy_j (so the three
-- sums are read against it, not against all the usage); busy_seconds and
-- util_seconds are GPU-seconds, energy_j joules.  0 for rows written
-- before 015 and for usage with no measurement.
ALTER TABLE usage_hourly ADD COLUMN measured_seconds INTEGER NOT NULL DEFAULT 0
	CHECK (measured_seconds >= 0 AND measured_seconds <= gpu_seconds);
ALTER TABLE usage_hourly ADD COLUMN busy_seconds INTEGER NOT NULL DEFAULT 0
	CHECK (busy_seconds >= 0);
ALTER TABLE usage_hourly ADD COLUMN util_seconds INTEGER NOT NULL DEFAULT 0
	CHECK (util_seconds >= 0);
ALTER TABLE usage_hourly ADD COLUMN energy_j INTEGER NOT NULL DEFAULT 0
	CHECK (energy_j >= 0);
