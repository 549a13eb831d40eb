//! The `capacity-hub` binary: parse the command line and dispatch; nothing else.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system allocator: the hub holds hundreds of thousands of small
/// records and every query allocates and frees thousands more; with glibc's allocator a
/// query at tier L spent a quarter of its time in `malloc` (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = capacity_hub::cli::Cli::parse();
    match cli.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
