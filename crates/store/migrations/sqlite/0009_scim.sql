-- SCIM 2.0 provisioning (docs/scim.md). An organization's identity provider (Entra ID) calls
-- omni-server with a bearer token an Administrator created: only its SHA-256 is kept, with a
-- name the audit log shows as the actor, when it was last used, and when it was revoked.
CREATE TABLE scim_tokens (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    name          TEXT    NOT NULL,
    hash          TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX scim_tokens_org ON scim_tokens (org_id, id);

-- The identity provider's own id for a user (SCIM externalId), kept as it was sent.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE INDEX users_external_id ON users (org_id, external_id) WHERE external_id IS NOT NULL;

-- Deleted by provisioning (DELETE /Users/{id}): no longer seen by it, though an Administrator
-- may still restore them. A user deactivated (active: false) or deleted in the app stays seen,
-- inactive.
ALTER TABLE users ADD COLUMN scim_deleted INTEGER NOT NULL DEFAULT 0;

-- What provisioning may do: license new users while seats last (0 or 1), and what becomes of
-- the product's extension attributes (role, license, budget): applied, ignored or refused.
ALTER TABLE orgs ADD COLUMN scim_license_new INTEGER NOT NULL DEFAULT 0 CHECK (scim_license_new IN (0, 1));
ALTER TABLE orgs ADD COLUMN scim_extension TEXT NOT NULL DEFAULT 'ignore' CHECK (scim_extension IN ('apply', 'ignore', 'refuse'));

-- The identity provider's own id for a group (SCIM externalId).
ALTER TABLE directory ADD COLUMN external_id TEXT;
