//! Pages of the users table, kept as the JSON they were sent as while their organization has
//! not changed.
//!
//! Building a page of 100 users costs the database far more than sending it: the same page is
//! asked again and again (every open table, every refresh, every script that polls), so the
//! server keeps the rendered body. Each request still reads the caller's role and the
//! organization's change-feed position ([`omni_store::Store::table_version`], one short
//! statement, from the database: a change made by another server or by the CLI counts too),
//! and a kept page answers only when that position and the month are the ones it was built
//! at. A page is stored under the position read *before* it was built, so a page never
//! answers for a position older than the data it shows.
//!
//! The pages kept are bounded by their total size; the least recently used go first.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use axum::body::Bytes;
use omni_core::model::{Id, Timestamp};
use omni_store::UserQuery;

/// What a page depends on besides the organization's data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    org: Id,
    /// Usage reads as of the month.
    month: Timestamp,
    /// The query itself: two queries that read the same rows are one key (debug text would
    /// make a key of how a value is printed, which is not what the page depends on).
    query: UserQuery,
}

impl PageKey {
    pub fn new(org: Id, now: Timestamp, query: &UserQuery) -> PageKey {
        PageKey {
            org,
            month: now.month_start(),
            query: query.clone(),
        }
    }

    fn size(&self) -> usize {
        self.query.search.as_ref().map_or(0, String::len) + std::mem::size_of::<PageKey>()
    }
}

#[derive(Debug)]
struct Kept {
    version: i64,
    body: Bytes,
    last_used: u64,
}

/// Rendered pages by [`PageKey`], within a budget of bytes.
#[derive(Debug)]
pub struct PageCache {
    budget: usize,
    inner: Mutex<Pages>,
}

#[derive(Debug, Default)]
struct Pages {
    kept: HashMap<PageKey, Kept>,
    bytes: usize,
    uses: u64,
}

impl PageCache {
    /// Keeps pages up to `budget` bytes in all (0 keeps none).
    pub fn new(budget: usize) -> PageCache {
        PageCache {
            budget,
            inner: Mutex::default(),
        }
    }

    /// The body kept for `key`, if it was built at `version`.
    pub fn get(&self, key: &PageKey, version: i64) -> Option<Bytes> {
        let mut pages = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        pages.uses += 1;
        let now = pages.uses;
        let kept = pages.kept.get_mut(key).filter(|k| k.version == version)?;
        kept.last_used = now;
        Some(kept.body.clone())
    }

    /// Keeps `body` for `key` as built at `version` (read before the page was), replacing what
    /// was kept for it, then forgets the least recently used pages beyond the budget.
    pub fn put(&self, key: PageKey, version: i64, body: Bytes) {
        let size = key.size() + body.len();
        if size > self.budget {
            return;
        }
        let mut pages = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        pages.uses += 1;
        let kept = Kept {
            version,
            body,
            last_used: pages.uses,
        };
        if let Some(old) = pages.kept.remove(&key) {
            pages.bytes -= key.size() + old.body.len();
        }
        pages.kept.insert(key, kept);
        pages.bytes += size;
        while pages.bytes > self.budget {
            let Some(oldest) = pages
                .kept
                .iter()
                .min_by_key(|(_, k)| k.last_used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            if let Some(gone) = pages.kept.remove(&oldest) {
                pages.bytes -= oldest.size() + gone.body.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(offset: u64) -> PageKey {
        let q = UserQuery {
            offset,
            limit: 100,
            ..Default::default()
        };
        PageKey::new(1, Timestamp(1_796_040_000_000), &q)
    }

    #[test]
    fn a_page_answers_only_at_its_version_and_month() {
        let cache = PageCache::new(1 << 20);
        cache.put(key(0), 7, Bytes::from_static(b"page"));
        assert_eq!(cache.get(&key(0), 7).as_deref(), Some(&b"page"[..]));
        assert_eq!(cache.get(&key(0), 8), None, "the organization changed");
        assert_eq!(cache.get(&key(100), 7), None, "another page");
        let next_month = PageKey::new(
            1,
            Timestamp(1_796_040_000_000 + 3 * 86_400_000),
            &UserQuery {
                limit: 100,
                ..Default::default()
            },
        );
        assert_eq!(cache.get(&next_month, 7), None, "usage restarts each month");
    }

    #[test]
    fn the_least_recently_used_pages_go_first_beyond_the_budget() {
        // Offsets of three digits: every key has the same size.
        let page = Bytes::from(vec![b'x'; 1000]);
        let one = key(100).size() + page.len();
        let cache = PageCache::new(3 * one);
        for offset in [100, 200, 300] {
            cache.put(key(offset), 1, page.clone());
        }
        assert!(cache.get(&key(100), 1).is_some());
        cache.put(key(400), 1, page.clone());
        assert!(cache.get(&key(200), 1).is_none(), "least recently used");
        for offset in [100, 300, 400] {
            assert!(cache.get(&key(offset), 1).is_some(), "offset {offset}");
        }
        // Replacing a page counts its bytes once.
        cache.put(key(100), 2, page.clone());
        for (offset, version) in [(100, 2), (300, 1), (400, 1)] {
            assert!(
                cache.get(&key(offset), version).is_some(),
                "offset {offset}"
            );
        }
        // A page larger than the whole budget is not kept, and pushes nothing out.
        cache.put(key(500), 1, Bytes::from(vec![b'x'; 4 * one]));
        assert!(cache.get(&key(500), 1).is_none());
        assert!(cache.get(&key(100), 2).is_some());
    }
}
