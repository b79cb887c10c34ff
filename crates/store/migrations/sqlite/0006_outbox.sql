-- A local copy's outbox (the desktop's connected mode, offline): edits made while the server
-- could not be reached, each written in the same transaction as its optimistic change to the
-- copy's rows, and sent in order (id) once the server answers again. An entry keeps the
-- Idempotency-Key chosen when it was queued (so a send whose answer was lost changes nothing
-- twice) and the version it was based on (If-Match). A sent entry is removed; one the server
-- refused or found stale stays as a conflict (state 'conflict', with the server's value and
-- its error) until the person applies it again or discards it. No foreign key: a new snapshot
-- replaces the organization's rows and keeps its outbox.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER  NOT NULL,
    queued_by     INTEGER  NOT NULL,
    target        INTEGER  NOT NULL,
    edit          TEXT    NOT NULL,
    based_on      INTEGER  NOT NULL,
    was           TEXT    NOT NULL,
    idem_key      TEXT    NOT NULL UNIQUE,
    queued_at     INTEGER  NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'conflict')),
    server_value  TEXT,
    error         TEXT,
    settled_at    INTEGER
);
CREATE INDEX outbox_org ON outbox (org_id, id);
