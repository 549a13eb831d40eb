//! The `capacity-hub` command line: `serve` runs the hub; every other subcommand is a client that
//! talks to a running hub only through the generated gRPC client.

pub mod serve;

use clap::{Parser, Subcommand};

/// What a command can fail with, as text for the terminal.
pub type CliError = Box<dyn std::error::Error + Send + Sync>;

/// capacity-hub: the GCM connection hub for capacity development.
#[derive(Debug, Parser)]
#[command(name = "capacity-hub", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the hub's gRPC server.
    Serve(serve::ServeArgs),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub async fn run(self) -> Result<(), CliError> {
        match self.command {
            Command::Serve(args) => serve::run(args).await,
        }
    }
}
