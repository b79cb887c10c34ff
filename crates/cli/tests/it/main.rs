//! The `omni` binary as scripts use it: exit codes, JSON documents, files in and out, and an
//! import killed midway. Each test gets its own database file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod commands;
mod crash;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Omni {
    pub dir: tempfile::TempDir,
}

impl Default for Omni {
    fn default() -> Self {
        Omni::new()
    }
}

impl Omni {
    pub fn new() -> Omni {
        Omni {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("omni.db")
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_omni"));
        c.arg("--db").arg(self.db());
        c.env_remove("OMNI_DB");
        c
    }
    /// Runs `omni --db … args…`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }
    /// Runs with `--json` and parses standard output.
    pub fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }
    /// Runs and asserts success.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "omni {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
