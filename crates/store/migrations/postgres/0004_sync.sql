-- Connected mode, part 2 (several server processes, clients that retry).
--
-- idempotency_keys: the answer a write gave, under the Idempotency-Key its client sent, written
-- in the same transaction as the change (a refusal, which changes nothing, in one of its own).
-- A retry with the same key gets the stored answer instead of a second change. Kept at least
-- 24 hours (retention.rs drops older ones).
CREATE TABLE idempotency_keys (
    org_id        BIGINT NOT NULL,
    caller_id     BIGINT NOT NULL,
    idem_key      TEXT COLLATE "C" NOT NULL,
    request_hash  TEXT COLLATE "C" NOT NULL,
    status        BIGINT NOT NULL,
    headers       TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (org_id, caller_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- uploads: CSV files waiting between their preview and their commit, seen by every server
-- process (the file itself lies in the shared upload folder, under its id).
CREATE TABLE uploads (
    id          TEXT COLLATE "C" PRIMARY KEY,
    org_id      BIGINT NOT NULL,
    caller_id   BIGINT NOT NULL,
    options     TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    arrived_at  BIGINT NOT NULL
);
CREATE INDEX uploads_owner ON uploads (org_id, caller_id, arrived_at);
CREATE INDEX uploads_arrived ON uploads (arrived_at);
