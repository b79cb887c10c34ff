//! `omni`: every operation of the Power Omni directory from a terminal or a script.
//!
//! The CLI is a thin shell over `omni-store`: it parses arguments, reads the clock once, resolves
//! who acts (`--as`, default the owner), calls one store operation and prints the result for a
//! person or, with `--json`, as one JSON document. Exit codes: 0 success, 2 usage error,
//! 3 permission denied, 4 invalid input, 5 conflict, 1 anything else.

mod args;
mod output;
mod run;

use std::process::ExitCode;

use clap::Parser;
use omni_core::ErrorCode;

fn exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::PermissionDenied => 3,
        ErrorCode::InvalidInput | ErrorCode::NotFound | ErrorCode::NotInitialized => 4,
        c if c.is_conflict() => 5,
        _ => 1,
    }
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                let doc = serde_json::json!({"error": {"code": e.code, "message": e.message}});
                println!("{doc}");
            }
            eprintln!("error: {}", e.message);
            ExitCode::from(exit_code(e.code))
        }
    }
}
