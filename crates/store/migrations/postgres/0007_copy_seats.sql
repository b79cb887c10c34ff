-- A local copy's seats as the server last said them (its snapshot's organization, or the
-- organization's feed entry). While offline edits are laid over the server's rows, the copy
-- may count more licensed users for a moment than its seats, and the CHECK then raises its
-- seats to fit; once the edits settle, the copy's seats come back to these. No foreign key: a
-- new snapshot replaces the organization's row and rewrites this one.
CREATE TABLE copy_seats (
    org_id  BIGINT PRIMARY KEY,
    seats   BIGINT  NOT NULL
);
