-- Who signed in: an Entra ID person (tenant id, object id) linked to one user of one organization.
-- The link is made at the first sign-in, by email, and only within the organization's own tenant.
CREATE TABLE identities (
    tenant     TEXT    COLLATE "C" NOT NULL,
    object_id  TEXT    COLLATE "C" NOT NULL,
    org_id     BIGINT  NOT NULL REFERENCES orgs(id),
    user_id    BIGINT  NOT NULL REFERENCES users(id),
    linked_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant, object_id)
);
CREATE UNIQUE INDEX identities_user ON identities (user_id);
