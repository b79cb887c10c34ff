//! Why the app stays small in memory, and how.
//!
//! The UI is one page showing a virtualized table: a few dozen rows painted at a time, no video,
//! no WebGL, no navigation, little script. WebKitGTK's defaults are made for a browser, and on
//! Linux several of them cost more memory than the whole app needs (measured with `bench/app` at
//! a million users; PSS of all the app's processes, 440 MB with the defaults):
//! - accelerated compositing keeps GPU-backed (or, without a GPU, llvmpipe-backed) tiles of the
//!   page: about 100 MB in the web process, for no visible gain on a table;
//! - JavaScriptCore's JIT compilers and their code: about 14 MB, while the interpreter keeps
//!   search and scroll latency where they were;
//! - the DMA-BUF renderer's buffers, which software painting does not need;
//! - the "web browser" cache model keeps a back/forward page cache and a large memory cache for
//!   pages this app never revisits.
//!
//! The app process itself keeps a small SQLite page cache per connection (see
//! `omni_store::SqliteFootprint::DESKTOP`) and at most two malloc arenas.

/// The environment WebKit's processes inherit from the app. A value the user set wins.
const WEBKIT_ENVIRONMENT: [(&str, &str); 2] = [
    // JavaScriptCore reads its options from the environment of each process it runs in.
    ("JSC_useJIT", "0"),
    // With painting in software, frames reach the window through shared memory; the DMA-BUF
    // renderer would set up GBM buffers for them besides (about 9 MB over both processes).
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
];

/// What must be in place before any thread starts: the environment the web processes inherit,
/// and the allocator's arena count. Call first thing in `main`.
#[allow(unsafe_code)]
pub fn before_threads() {
    for (name, value) in WEBKIT_ENVIRONMENT {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
    // Each thread that allocates may otherwise get its own glibc arena (up to 8 per core), where
    // memory it frees stays resident for that arena alone: about 4 MB here.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of glibc's allocator, and no other thread is running
    // yet to allocate concurrently. Its result (0 for an option it does not know) needs no
    // handling: the default then stays.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Applies the app's web view settings to a window: software painting, and a document viewer's
/// caches.
pub fn tune_webview(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(settings) = view.settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    })
}
