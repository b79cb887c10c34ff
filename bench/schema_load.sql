-- bench/run's "sqlite3 into omni's schema": the import file (@CSV@) loaded into an `omni init`
-- database by the sqlite3 shell with SQL alone, the way omni's import writes it (its pragmas and
-- page cache, the phones' index set aside and built again, one feed entry per new user): what
-- SQLite itself costs for omni's table and its indexes, without any of omni's code.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
PRAGMA temp_store = memory;
PRAGMA cache_size = -65536;
.mode csv
CREATE TEMP TABLE staged (email TEXT, cc TEXT, phone TEXT);
.import @CSV@ staged
BEGIN IMMEDIATE;
DROP INDEX users_phone;
INSERT INTO users (org_id, email, phone, role, licensed, created_at, updated_at)
  SELECT 1, lower(email), CASE WHEN phone IS NULL OR phone = '' THEN NULL ELSE '+' || cc || phone END,
         'user', 0, 1, 1
  FROM staged WHERE true
  ON CONFLICT (org_id, email) WHERE deleted_at IS NULL DO NOTHING;
INSERT INTO changes (org_id, seq, entity, entity_id, op, at)
  SELECT 1, (SELECT MAX(seq) FROM changes WHERE org_id = 1) + id, 'user', id, 'upsert', 1
  FROM users WHERE org_id = 1 AND id > 1;
CREATE INDEX users_phone ON users (org_id, phone) WHERE deleted_at IS NULL;
COMMIT;
