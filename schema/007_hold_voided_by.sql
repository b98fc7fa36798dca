-- 007_hold_voided_by: why a hold was voided.  The API shows a hold that
-- the daemon expired as voided, as the contract has it ("an expired hold is
-- voided by the daemon"), and says why in voided_by:
--   request         POST /v1/vouchers/holds/{hold}/void, by an admin or the team
--   expiry          the daemon, at expires_at: state 'expired', an EXPIRE transfer
--   enrollment_end  the voucher was closed: elimination, withdrawal, the window's end
-- state keeps the ledger's own names (lib/ledger.h), which ledger_verify
-- checks against the journal.  The journal tells expiry from the rest (its
-- kind), but a request and a close both write a VOID, so the cause is kept
-- here, written with the resolution.
ALTER TABLE ledger_holds ADD COLUMN voided_by TEXT CHECK (voided_by IS NULL OR
	(state = 'expired' AND voided_by = 'expiry') OR
	(state = 'voided' AND (voided_by = 'request' OR voided_by = 'enrollment_end')));

-- Holds resolved before this migration.  An explicit void was audited as
-- voucher.hold.void with target hold/hold_N (routes_vouchers.c); the other
-- voids were made by closing the voucher.  One pass over the audit trail.
UPDATE ledger_holds SET voided_by = 'expiry' WHERE state = 'expired';
UPDATE ledger_holds SET voided_by = CASE WHEN id IN (SELECT CAST(substr(target, 11) AS INTEGER)
	FROM audit WHERE action = 'voucher.hold.void' AND substr(target, 1, 10) = 'hold/hold_')
	THEN 'request' ELSE 'enrollment_end' END
WHERE state = 'voided';

-- The column CHECK cannot require a cause (it was tested on the rows above
-- before they had one): a hold voided from now on must give it, once.
CREATE TRIGGER ledger_holds_voided_by BEFORE UPDATE OF state, voided_by ON ledger_holds
WHEN (NEW.state = 'voided' OR NEW.state = 'expired') AND (NEW.voided_by IS NULL OR
	(OLD.voided_by IS NOT NULL AND NEW.voided_by <> OLD.voided_by))
BEGIN SELECT RAISE(ABORT, 'a voided hold says why, once'); END;
