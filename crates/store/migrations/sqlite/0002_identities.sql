-- Who signed in: an Entra ID person (tenant id, object id) linked to one user of one organization.
-- The link is made at the first sign-in, by email, and only within the organization's own tenant.
CREATE TABLE identities (
    tenant     TEXT    NOT NULL,
    object_id  TEXT    NOT NULL,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    linked_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, object_id)
);
CREATE UNIQUE INDEX identities_user ON identities (user_id);
