//! Power Omni Admin, the desktop app: a Tauri shell over `omni-core` and `omni-store`.
//!
//! The shell stays thin: each command resolves who acts, reads the clock (here, once per
//! command), calls one store operation and returns its result or a structured
//! `{code, message, field?}` error. File dialogs and the file manager are driven from Rust, so
//! the web view never names a path and needs no file-system permission: it holds handles
//! ([`handles`]). After any write, by this app or another program, a `data-changed` event
//! tells the web view what to read again ([`changes`]).

pub mod bindings;
pub mod changes;
mod commands;
mod connected;
mod follow;
mod footprint;
pub mod handles;
pub mod ipc;
mod opener;
mod outbox;
pub mod places;
pub mod state;

use std::path::PathBuf;
use std::time::Duration;

use state::AppState;
use tauri::{Emitter, Manager};

/// How often the change watcher looks at the feed when nothing of this app wrote.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Where the data lives: `--db PATH`, else `OMNI_DB`, else the per-user app-data file the `omni`
/// CLI also uses by default (`<data dir>/com.poweromni.admin/omni.db`).
fn database_path() -> Option<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--db" {
            return args.next().map(PathBuf::from);
        }
        if let Some(p) = a.strip_prefix("--db=") {
            return Some(PathBuf::from(p));
        }
    }
    if let Some(p) = std::env::var_os("OMNI_DB") {
        return Some(PathBuf::from(p));
    }
    dirs::data_dir().map(|d| d.join("com.poweromni.admin").join("omni.db"))
}

/// The HTTP client of every request to omni-server and the identity provider: no redirects
/// followed (a token request must not be redirected), bounded connects.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// Starts the app.
pub fn run() {
    footprint::before_threads();
    let Some(path) = database_path() else {
        eprintln!("error: cannot find your data folder: start the app with --db PATH");
        std::process::exit(1);
    };
    let store = match tauri::async_runtime::block_on(omni_store::Store::open_with(
        &path,
        omni_store::SqliteFootprint::DESKTOP,
    )) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}", e.message);
            std::process::exit(1);
        }
    };
    // What has expired (Store::forget_expired: deleted users past their restore window, old
    // feed entries and usage events) goes at every start, in the background (nothing to do on
    // most starts; a large purge never delays the window).
    let forgetting = store.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = forgetting.forget_expired(state::now()).await {
            eprintln!("warning: cannot forget expired data: {}", e.message);
        }
    });
    let places = match places::Places::open(&path, http()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}", e.message);
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(AppState::new(store, path.clone(), places))
        .on_window_event(|window, event| {
            // A file dropped on the window: imported like one chosen in the open dialog.
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                let handle = window.app_handle();
                match commands::files::dropped(&handle.state::<AppState>(), paths) {
                    Ok(Some(file)) => {
                        let _ = handle.emit(commands::files::FILE_DROPPED, file);
                    }
                    Ok(None) => {}
                    Err(e) => eprintln!("warning: cannot take the dropped file: {}", e.message),
                }
            }
        })
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                footprint::tune_webview(&window)?;
            }
            let handle = app.handle().clone();
            let state = app.state::<AppState>();
            state
                .changes
                .start(state.local.clone(), WATCH_EVERY, state::now, move |d| {
                    let _ = handle.emit(changes::DATA_CHANGED, d);
                });
            // Connected mode: the server's own feed, long-polled.
            let following = app.handle().clone();
            let emitting = app.handle().clone();
            let task = tauri::async_runtime::spawn(follow::follow(following, move |d| {
                let _ = emitting.emit(changes::DATA_CHANGED, d);
            }));
            state.changes.keep_follower(task);
            // A server in use whose session the keyring keeps: signed in again without the
            // browser (the commands wait for it, as they wait for any place's lock).
            let resuming = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let state = resuming.state::<AppState>();
                if let Err(e) = state.places.resume().await {
                    eprintln!("warning: cannot resume the session: {}", e.message);
                }
                state.changes.announce_all();
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::org::app_state,
            commands::org::create_org,
            commands::org::summary,
            commands::org::set_seats,
            commands::org::audit,
            commands::scim::scim_tokens,
            commands::scim::create_scim_token,
            commands::scim::revoke_scim_token,
            commands::users::list_users,
            commands::users::create_user,
            commands::users::edit_user,
            commands::users::set_role,
            commands::users::set_licensed,
            commands::users::delete_users,
            commands::users::deleted_users,
            commands::users::restore_user,
            commands::directory::items,
            commands::directory::create_item,
            commands::directory::rename_item,
            commands::directory::delete_item,
            commands::directory::link,
            commands::directory::unlink,
            commands::directory::user_links,
            commands::directory::item_links,
            commands::directory::access,
            commands::directory::agent_reach,
            commands::directory::directory_page,
            commands::directory::item_page,
            commands::users::user,
            commands::files::choose_import_file,
            commands::files::import_preview,
            commands::files::import_commit,
            commands::files::cancel_import,
            commands::files::save_rejected,
            commands::files::export_users,
            commands::files::export_audit,
            commands::files::reveal_export,
            commands::places::connect_server,
            commands::places::sign_in,
            commands::places::cancel_sign_in,
            commands::places::sign_out,
            commands::places::use_place,
            commands::outbox::outbox,
            commands::outbox::pending_users,
            commands::outbox::apply_again,
            commands::outbox::discard,
            commands::files::save_example_csv,
        ])
        .build(tauri::generate_context!());
    let app = match result {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: the app cannot start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            handle
                .state::<AppState>()
                .changes
                .stop(Duration::from_secs(2));
        }
    });
}
