-- Sorting the table by phone or by last update reads an index like every other sort (see the
-- SQLite migration of the same number for the figures). Nullable sort keys (phone, budget)
-- sort NULL as the smallest value, as SQLite does, so their indexes say NULLS FIRST (the
-- budget index is made again to match).
CREATE INDEX users_phone ON users (org_id, phone NULLS FIRST, id) WHERE deleted_at IS NULL;
CREATE INDEX users_updated ON users (org_id, updated_at, id) WHERE deleted_at IS NULL;
DROP INDEX users_budget;
CREATE INDEX users_budget ON users (org_id, budget_micros NULLS FIRST, id) WHERE deleted_at IS NULL;
