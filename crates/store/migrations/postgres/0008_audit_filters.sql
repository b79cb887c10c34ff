-- The audit log is read newest first, a page at a time after the last entry shown (keyset
-- paging on the organization, the time and the id: entries of one bulk change share their
-- time, so the id breaks the tie), filtered by who acted, what was done, to whom, and a time
-- range. Each filter has an index that starts with the organization and the filter's value and
-- then runs in the page's order, so a page reads its 100 entries wherever it lies in a log of a
-- million and never sorts: the time range and the page's position bound the same index range
-- (store test `audit_pages_use_an_index`). The former (org_id, id) index served the id order
-- only and goes.
DROP INDEX audit_org_at;
CREATE INDEX audit_time ON audit (org_id, at, id);
CREATE INDEX audit_actor ON audit (org_id, actor_email, at, id);
CREATE INDEX audit_action ON audit (org_id, action, at, id);
CREATE INDEX audit_target ON audit (org_id, target, at, id);
