-- restart-bulk.sql: a million usage hours and a million audit entries added to a COPY of a
-- bench-scale database (BENCH_KEEP), to time a restart at that size (bench/RESULTS.md).
-- The audit rows do not chain: `grantd audit verify` fails on that copy; start-up does not walk it.
PRAGMA foreign_keys = OFF;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000),
  g AS (SELECT id, enrollment, pool, start FROM grants ORDER BY id LIMIT 1000)
INSERT INTO usage_hourly (enrollment, pool, team, hour, gpu_seconds, flagged_seconds)
SELECT g.enrollment, g.pool, e.team, (g.start / 3600 + n.i / 1000) * 3600, 3600, 0
FROM n JOIN g ON g.id = (SELECT min(id) FROM grants) + (n.i % 1000)
JOIN enrollments e ON e.id = g.enrollment;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO audit (seq, at, actor_id, actor_name, action, target, request_id, reason, detail, prev_hash, hash)
SELECT (SELECT max(seq) FROM audit) + n.i, 1800000000, 'tok_bulk', 'bulk', 'usage.flag', 'x', 'r', NULL, '{}', 'x', 'x' FROM n;
