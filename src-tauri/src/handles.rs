//! Handles the web view holds instead of paths and remembered state: a chosen file, an import
//! preview, a finished export are each named by an opaque id ("f1", "p1", "e1") that Rust maps
//! back to what it stands for. The web view never names a path, and two dialogs or windows can
//! never mix up "the chosen file" or "the last export".

use std::collections::BTreeMap;

use omni_core::error::Result;
use omni_core::{Error, ErrorCode, Reason};
use serde::{Deserialize, Serialize};

/// A kind of handle: how its ids are spelled and how an unknown one is refused.
pub trait Handle: Sized {
    const PREFIX: &'static str;
    fn wrap(id: String) -> Self;
    fn as_str(&self) -> &str;
    /// The refusal for an id this app does not (or no longer) know.
    fn unknown(&self) -> Error;
}

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $unknown:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
        #[serde(transparent)]
        pub struct $name(String);

        impl Handle for $name {
            const PREFIX: &'static str = $prefix;
            fn wrap(id: String) -> Self {
                $name(id)
            }
            fn as_str(&self) -> &str {
                &self.0
            }
            fn unknown(&self) -> Error {
                let unknown: fn(String) -> Reason = $unknown;
                Error::because(ErrorCode::InvalidInput, unknown(self.0.clone()))
            }
        }
    };
}

handle!(
    /// A file chosen for import.
    FileId,
    "f",
    |id| Reason::UnknownFile { id }
);
handle!(
    /// An import preview, which a commit refers to.
    PreviewId,
    "p",
    |id| Reason::UnknownPreview { id }
);
handle!(
    /// A finished export, for "show in folder".
    ExportId,
    "e",
    |id| Reason::UnknownExport { id }
);

/// How many values of each kind are kept: the newest ones (a person works with one or two at a
/// time; older ids then read as unknown).
const KEPT: usize = 16;

/// The values behind the handles of one kind, the newest [`KEPT`].
#[derive(Debug)]
pub struct Handles<H, T> {
    next: u64,
    kept: BTreeMap<u64, T>,
    _kind: std::marker::PhantomData<H>,
}

impl<H: Handle, T: Clone> Default for Handles<H, T> {
    fn default() -> Self {
        Handles {
            next: 1,
            kept: BTreeMap::new(),
            _kind: std::marker::PhantomData,
        }
    }
}

impl<H: Handle, T: Clone> Handles<H, T> {
    /// Keeps `value` and returns its new handle.
    pub fn insert(&mut self, value: T) -> H {
        let n = self.next;
        self.next += 1;
        self.kept.insert(n, value);
        while self.kept.len() > KEPT {
            self.kept.pop_first();
        }
        H::wrap(format!("{}{n}", H::PREFIX))
    }

    /// The value behind `handle`, or the handle's refusal when it is unknown.
    pub fn get(&self, handle: &H) -> Result<T> {
        self.slot(handle)
            .and_then(|n| self.kept.get(&n))
            .cloned()
            .ok_or_else(|| handle.unknown())
    }

    /// Replaces the value behind a known `handle`.
    pub fn set(&mut self, handle: &H, value: T) -> Result<()> {
        match self.slot(handle).and_then(|n| self.kept.get_mut(&n)) {
            Some(slot) => {
                *slot = value;
                Ok(())
            }
            None => Err(handle.unknown()),
        }
    }

    /// Forgets `handle` (later uses read as unknown).
    pub fn remove(&mut self, handle: &H) {
        if let Some(n) = self.slot(handle) {
            self.kept.remove(&n);
        }
    }

    fn slot(&self, handle: &H) -> Option<u64> {
        handle.as_str().strip_prefix(H::PREFIX)?.parse().ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use omni_core::ErrorCode;

    #[test]
    fn known_ids_give_their_value_and_unknown_ones_a_clear_refusal() {
        let mut files: Handles<FileId, &str> = Handles::default();
        let a = files.insert("a.csv");
        assert_eq!(a, FileId("f1".into()));
        assert_eq!(files.get(&a), Ok("a.csv"));
        for bad in ["f9", "p1", "", "f", "fx", "e1"] {
            let e = files.get(&FileId(bad.into())).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{bad}");
            assert_eq!(
                e.message,
                format!("Unknown file {bad}: choose the file to import again.")
            );
            assert_eq!(e.reason, Some(Reason::UnknownFile { id: bad.into() }));
        }
        let mut previews: Handles<PreviewId, u8> = Handles::default();
        let p = previews.insert(1);
        previews.remove(&p);
        let e = previews.get(&p).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(
            e.message,
            "Unknown import preview p1: preview the file again."
        );
        let exports: Handles<ExportId, u8> = Handles::default();
        let e = exports.get(&ExportId("e1".into())).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                ErrorCode::InvalidInput,
                "Unknown export e1: export the users again."
            )
        );
        assert!(previews.set(&p, 2).is_err());
    }

    #[test]
    fn only_the_newest_are_kept() {
        let mut files: Handles<FileId, usize> = Handles::default();
        let ids: Vec<FileId> = (0..KEPT + 2).map(|i| files.insert(i)).collect();
        assert!(files.get(&ids[0]).is_err());
        assert!(files.get(&ids[1]).is_err());
        assert_eq!(files.get(&ids[KEPT + 1]), Ok(KEPT + 1));
    }
}
