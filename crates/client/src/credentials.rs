//! Where a request's access token comes from. The sign-in (elsewhere: the desktop's session)
//! owns the tokens, refreshes them and keeps them in the OS keyring; the client only asks for
//! one before each request and says when the server refused it.

use futures_util::future::BoxFuture;
use omni_core::error::Result;

/// The signed-in person's access tokens, as the client needs them.
pub trait Credentials: Send + Sync {
    /// The token to send now (refreshed first if it is about to expire). An error (typically
    /// `sign_in_required`) stops the request before it is sent.
    fn token(&self) -> BoxFuture<'_, Result<String>>;

    /// The server refused `token` (401): answers a fresh one to try once more (the session
    /// refreshes), or an error, typically `sign_in_required` with `Reason::SignInAgain`.
    fn rejected(&self, token: String) -> BoxFuture<'_, Result<String>>;
}
