-- 020_metric_totals: what /metrics counts, kept as it changes (issue 20).
--
-- Every scrape counted the enrollments by state and summed every voucher
-- account: at a national programme's hundred thousand enrollments, most of
-- a scrape's time.  These tables hold the same figures, changed by
-- triggers in the transaction that changes the rows, so a scrape reads a
-- handful of rows and the figures are as committed as the rows are.
--
-- The voucher sums are REAL, as total() gave them: a gauge for Prometheus
-- (float64), exact while under 2^53 won, and never able to fail a change
-- by overflowing.  The ledger itself stays in integer won.
CREATE TABLE enrollment_counts (
	state TEXT PRIMARY KEY,
	n     INTEGER NOT NULL
) STRICT;
INSERT INTO enrollment_counts (state, n) SELECT state, count(*) FROM enrollments GROUP BY state;

CREATE TRIGGER enrollment_counts_insert AFTER INSERT ON enrollments
BEGIN
	INSERT INTO enrollment_counts (state, n) VALUES (NEW.state, 1)
	    ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER enrollment_counts_update AFTER UPDATE OF state ON enrollments
WHEN OLD.state IS NOT NEW.state
BEGIN
	UPDATE enrollment_counts SET n = n - 1 WHERE state = OLD.state;
	INSERT INTO enrollment_counts (state, n) VALUES (NEW.state, 1)
	    ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER enrollment_counts_delete AFTER DELETE ON enrollments
BEGIN
	UPDATE enrollment_counts SET n = n - 1 WHERE state = OLD.state;
END;

CREATE TABLE voucher_totals (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	budget   REAL NOT NULL,
	held     REAL NOT NULL,
	settled  REAL NOT NULL,
	refunded REAL NOT NULL,
	returned REAL NOT NULL
) STRICT;
INSERT INTO voucher_totals SELECT 1, total(budget), total(held), total(settled),
    total(refunded), total(returned) FROM ledger_accounts WHERE type = 'voucher';

CREATE TRIGGER voucher_totals_insert AFTER INSERT ON ledger_accounts
WHEN NEW.type = 'voucher'
BEGIN
	UPDATE voucher_totals SET budget = budget + NEW.budget, held = held + NEW.held,
	    settled = settled + NEW.settled, refunded = refunded + NEW.refunded,
	    returned = returned + NEW.returned WHERE id = 1;
END;
CREATE TRIGGER voucher_totals_update AFTER UPDATE OF budget, held, settled, refunded,
    returned ON ledger_accounts
WHEN NEW.type = 'voucher' OR OLD.type = 'voucher'
BEGIN
	UPDATE voucher_totals SET
	    budget = budget + iif(NEW.type = 'voucher', NEW.budget, 0) -
		iif(OLD.type = 'voucher', OLD.budget, 0),
	    held = held + iif(NEW.type = 'voucher', NEW.held, 0) -
		iif(OLD.type = 'voucher', OLD.held, 0),
	    settled = settled + iif(NEW.type = 'voucher', NEW.settled, 0) -
		iif(OLD.type = 'voucher', OLD.settled, 0),
	    refunded = refunded + iif(NEW.type = 'voucher', NEW.refunded, 0) -
		iif(OLD.type = 'voucher', OLD.refunded, 0),
	    returned = returned + iif(NEW.type = 'voucher', NEW.returned, 0) -
		iif(OLD.type = 'voucher', OLD.returned, 0)
	    WHERE id = 1;
END;
CREATE TRIGGER voucher_totals_delete AFTER DELETE ON ledger_accounts
WHEN OLD.type = 'voucher'
BEGIN
	UPDATE voucher_totals SET budget = budget - OLD.budget, held = held - OLD.held,
	    settled = settled - OLD.settled, refunded = refunded - OLD.refunded,
	    returned = returned - OLD.returned WHERE id = 1;
END;
