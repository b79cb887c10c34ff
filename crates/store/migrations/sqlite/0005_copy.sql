-- A local copy of a server's organization (the desktop's connected mode): when the sync engine
-- last heard from the server. The copy's feed position is the organization's own last_seq
-- (set by a snapshot, moved by every page applied), so it commits with the data it covers; this
-- row only says how fresh that data is ("Offline — showing data from 10:42"). No foreign key: a
-- new snapshot replaces the organization's row and keeps this one.
CREATE TABLE copy_status (
    org_id     INTEGER PRIMARY KEY,
    synced_at  INTEGER NOT NULL
);
