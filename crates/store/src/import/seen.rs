//! The emails an import has read so far, each with the line it first came on: what tells a
//! duplicate inside the file, on the parser thread. At a million rows it is the import's
//! largest structure after SQLite's page cache, so it keeps every email in one text and a
//! table of positions into it rather than a map of boxed strings (a heap block per email, and
//! buckets half as large again): 24 to 32 MB less at the peak of a million-row import.

use hashbrown::hash_table::{Entry, HashTable};
use omni_core::error::Result;
use omni_core::Error;
use std::hash::BuildHasher;

/// Where an email sits in [`SeenEmails::text`], and its line.
#[derive(Clone, Copy)]
struct Seen {
    start: u32,
    len: u32,
    line: u64,
}

pub(super) struct SeenEmails {
    text: String,
    table: HashTable<Seen>,
    hasher: rustc_hash::FxBuildHasher,
}

impl SeenEmails {
    pub(super) fn new() -> Self {
        SeenEmails {
            text: String::new(),
            table: HashTable::new(),
            hasher: rustc_hash::FxBuildHasher,
        }
    }

    /// The line `email` came on first, or `None` when this is its first time (then it is
    /// remembered as on `line`). Refuses a file whose distinct emails exceed 4 GiB of text.
    pub(super) fn first_line(&mut self, email: &str, line: u64) -> Result<Option<u64>> {
        let hash = self.hasher.hash_one(email);
        let text = &self.text;
        let at = |s: &Seen| &text[s.start as usize..(s.start + s.len) as usize];
        let entry = self
            .table
            .entry(hash, |s| at(s) == email, |s| self.hasher.hash_one(at(s)));
        match entry {
            Entry::Occupied(seen) => Ok(Some(seen.get().line)),
            Entry::Vacant(slot) => {
                let (Ok(start), Ok(len)) =
                    (u32::try_from(self.text.len()), u32::try_from(email.len()))
                else {
                    return Err(too_large());
                };
                if start.checked_add(len).is_none() {
                    return Err(too_large());
                }
                slot.insert(Seen { start, len, line });
                self.text.push_str(email);
                Ok(None)
            }
        }
    }
}

fn too_large() -> Error {
    Error::invalid("The file holds more than 4 GB of email addresses: split it into smaller files.")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::SeenEmails;

    #[test]
    fn an_email_is_new_once_and_then_names_its_first_line() {
        let mut seen = SeenEmails::new();
        for i in 0..10_000u64 {
            assert_eq!(
                seen.first_line(&format!("u{i}@acme.com"), i + 1).unwrap(),
                None
            );
        }
        assert_eq!(seen.first_line("u0@acme.com", 20_000).unwrap(), Some(1));
        assert_eq!(
            seen.first_line("u9999@acme.com", 20_001).unwrap(),
            Some(10_000)
        );
        // A prefix or an extension of an email seen is another email.
        assert_eq!(seen.first_line("u1@acme.co", 20_002).unwrap(), None);
        assert_eq!(seen.first_line("u1@acme.com.br", 20_003).unwrap(), None);
        assert_eq!(seen.first_line("u1@acme.co", 20_004).unwrap(), Some(20_002));
    }
}
