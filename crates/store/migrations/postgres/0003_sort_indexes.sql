-- Sorting the table by phone or by last update reads an index like every other sort (see the
-- SQLite migration of the same number for the figures).
CREATE INDEX users_phone ON users (org_id, phone, id) WHERE deleted_at IS NULL;
CREATE INDEX users_updated ON users (org_id, updated_at, id) WHERE deleted_at IS NULL;
