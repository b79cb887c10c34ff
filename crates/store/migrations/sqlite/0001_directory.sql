-- The organization's directory. Portable SQL where possible (the PostgreSQL schema mirrors it).
-- Times are milliseconds since the Unix epoch (UTC); money is integer micro-USD.

CREATE TABLE orgs (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    entra_tenant     TEXT    UNIQUE,
    owner_email      TEXT    NOT NULL,
    seats_purchased  INTEGER NOT NULL DEFAULT 0 CHECK (seats_purchased >= 0),
    -- Counters kept by the store in the same transaction as every user change, so the
    -- dashboard is O(1) at a million users. `omni-store` tests check them against real counts.
    users_total      INTEGER NOT NULL DEFAULT 0,
    users_licensed   INTEGER NOT NULL DEFAULT 0 CHECK (users_licensed <= seats_purchased),
    users_admins     INTEGER NOT NULL DEFAULT 0,
    -- Change feed: the last sequence number handed out, and the first one still kept.
    last_seq         INTEGER NOT NULL DEFAULT 0,
    feed_floor       INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    email          TEXT    NOT NULL,
    phone          TEXT,
    role           TEXT    NOT NULL CHECK (role IN ('user', 'collaborator', 'administrator')),
    licensed       INTEGER NOT NULL DEFAULT 0 CHECK (licensed IN (0, 1)),
    budget_micros  INTEGER CHECK (budget_micros IS NULL OR budget_micros > 0),
    usage_micros   INTEGER NOT NULL DEFAULT 0 CHECK (usage_micros >= 0),
    -- The month (its first millisecond) that usage_micros counts; older months read as zero.
    usage_month    INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER,
    version        INTEGER NOT NULL DEFAULT 1
);
-- One live user per email in an organization; a deleted user may share it until purged.
CREATE UNIQUE INDEX users_email ON users (org_id, email) WHERE deleted_at IS NULL;
-- Sorting and filtering at a million users. Low-cardinality keys end in the rowid, so a bulk
-- import appends to them instead of inserting at random places (ties sort by creation). Each
-- index costs about 8 % of a large import: sorting by phone or last update is left unindexed
-- (a sort over every row).
CREATE INDEX users_created ON users (org_id) WHERE deleted_at IS NULL;
CREATE INDEX users_role_any ON users (org_id, role) WHERE deleted_at IS NULL;
CREATE INDEX users_license ON users (org_id, licensed) WHERE deleted_at IS NULL;
CREATE INDEX users_budget ON users (org_id, budget_micros) WHERE deleted_at IS NULL;
CREATE INDEX users_usage ON users (org_id, usage_month, usage_micros) WHERE deleted_at IS NULL;
-- Most people have the User role: only the others are indexed by email (the Administrators filter).
CREATE INDEX users_role ON users (org_id, role, email) WHERE deleted_at IS NULL AND role <> 'user';
-- Search by domain (`@acme`), in domain then creation order (cheap to keep, see above).
CREATE INDEX users_domain ON users (org_id, substr(email, instr(email, '@') + 1)) WHERE deleted_at IS NULL;
CREATE INDEX users_deleted ON users (org_id, deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE usage_events (
    org_id    INTEGER NOT NULL REFERENCES orgs(id),
    event_id  TEXT    NOT NULL,
    user_id   INTEGER NOT NULL,
    micros    INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (org_id, event_id)
);

-- Groups, workspaces and agents share one shape.
CREATE TABLE directory (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('group', 'workspace', 'agent')),
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX directory_name ON directory (org_id, kind, name);

-- Every relationship: (kind, a, b) reads "a is linked to b", e.g. ('user_group', user, group).
CREATE TABLE links (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('user_group', 'user_workspace', 'group_workspace',
                                                 'agent_workspace', 'agent_user', 'agent_group')),
    a_id        INTEGER NOT NULL,
    b_id        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX links_ab ON links (org_id, kind, a_id, b_id);
CREATE INDEX links_b ON links (org_id, kind, b_id);

-- The change feed: one row per change, in commit order per organization. A reader fetches the
-- current state of each entity it names, so replaying a page is harmless.
CREATE TABLE changes (
    org_id     INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    entity     TEXT    NOT NULL,
    entity_id  INTEGER NOT NULL,
    op         TEXT    NOT NULL CHECK (op IN ('upsert', 'delete')),
    at         INTEGER NOT NULL,
    PRIMARY KEY (org_id, seq)
) WITHOUT ROWID;

CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    at           INTEGER NOT NULL,
    actor_id     INTEGER,
    actor_email  TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    before       TEXT,
    after        TEXT
);
CREATE INDEX audit_org_at ON audit (org_id, id);
