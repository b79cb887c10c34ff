//! The keyring vault against the real Secret Service (gnome-keyring), when a session bus is
//! there; see the crate's documentation for the command. Without one, the vault the app opens
//! must be memory only, with a sentence saying so.

use omni_signin::{open_vault, AccountKey, KeyringVault, Secret, Vault, VaultKind};

fn has_session_bus() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
}

#[test]
fn the_keyring_vault_keeps_a_refresh_token_in_the_secret_service() {
    if !has_session_bus() {
        println!(
            "skipped: no session bus (run inside dbus-run-session with gnome-keyring unlocked)"
        );
        return;
    }
    let (_, kind) = open_vault();
    assert_eq!(kind, VaultKind::Keyring);
    let key = AccountKey::new(
        "com.poweromni.admin.test",
        format!("https://omni.test|{}", std::process::id()),
    );
    let vault = KeyringVault;
    vault.delete(&key).unwrap();
    assert_eq!(vault.load(&key).unwrap(), None);
    vault.save(&key, &Secret::new("refresh-1")).unwrap();
    vault.save(&key, &Secret::new("refresh-2")).unwrap();
    assert_eq!(vault.load(&key).unwrap(), Some(Secret::new("refresh-2")));

    // The Secret Service itself holds it, as another program (secret-tool) reads it.
    let lookup = std::process::Command::new("secret-tool")
        .args(["lookup", "service", &key.service, "username", &key.user])
        .output();
    match lookup {
        Ok(out) => assert_eq!(String::from_utf8_lossy(&out.stdout), "refresh-2"),
        Err(_) => println!("secret-tool is not installed: checked through keyring only"),
    }

    vault.delete(&key).unwrap();
    assert_eq!(vault.load(&key).unwrap(), None);
    vault.delete(&key).unwrap();
}

#[test]
fn without_a_keyring_the_vault_is_memory_only_and_says_why() {
    if has_session_bus() {
        println!("skipped: a session bus is there");
        return;
    }
    let (vault, kind) = open_vault();
    match kind {
        VaultKind::MemoryOnly { why } => {
            println!("memory only: {why}");
            assert!(why.contains("sign in again each time"), "{why}")
        }
        VaultKind::Keyring => panic!("a keyring answered without a session bus"),
    }
    let key = AccountKey::new("com.poweromni.admin.test", "memory");
    vault.save(&key, &Secret::new("r")).unwrap();
    assert_eq!(vault.load(&key).unwrap(), Some(Secret::new("r")));
}
