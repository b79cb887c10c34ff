//! Opens the sign-in page in the system browser, never in the app's web view (RFC 8252).
//! `OMNI_BROWSER` names a program to run instead, given the URL as its one argument: the
//! end-to-end tests put a scripted browser there (tests/oidc/login.mjs); a person may put the
//! browser of their choice. The app does not wait for that program: it waits for the
//! browser's redirect to its loopback listener.

use omni_core::error::Result;
use omni_core::Error;
use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;

pub fn open(app: &AppHandle, url: &str) -> Result<()> {
    if let Some(program) = std::env::var_os("OMNI_BROWSER").filter(|p| !p.is_empty()) {
        let program = std::path::PathBuf::from(program);
        return std::process::Command::new(&program)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .spawn()
            .map(|mut child| {
                // Reaped when it ends, whenever that is.
                std::thread::spawn(move || child.wait());
            })
            .map_err(|e| {
                Error::internal(format!(
                    "Cannot start the browser {} (OMNI_BROWSER): {e}.",
                    program.display()
                ))
            });
    }
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| Error::internal(format!("Cannot open the browser: {e}.")))
}
