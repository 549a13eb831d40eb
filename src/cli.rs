//! The `capacity-hub` command line: `serve` runs the hub; every other subcommand is a client that
//! talks to a running hub only through the generated gRPC client.

mod actors;
mod allocate;
mod backup;
mod client;
mod edit;
mod export;
mod files;
mod generate;
mod matches;
mod needs;
mod needs_for;
mod offers;
mod output;
mod partnerships;
mod practices;
mod prefer;
mod related;
mod search;
pub mod serve;
mod stats;
mod watch;
mod why;

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
    /// Register, show, list and update actors.
    Actors(actors::ActorsArgs),
    /// Submit, show, list, update and withdraw needs.
    Needs(needs::NeedsArgs),
    /// Register, show, list, update and withdraw offers.
    Offers(offers::OffersArgs),
    /// Add, list and remove partnerships between actors.
    Partnerships(partnerships::PartnershipsArgs),
    /// Find ranked offers, bundles and related experience for a need; propose, answer, complete
    /// and list matches.
    Matches(matches::MatchesArgs),
    /// Submit, show, list, update and withdraw practices: what was done and learned.
    Practices(practices::PracticesArgs),
    /// Search needs, offers, practices and actors by their words.
    Search(search::SearchArgs),
    /// Follow match or need events as they happen.
    Watch(watch::WatchArgs),
    /// Demand, supply, match rate, unmet demand and outcomes.
    Stats(stats::StatsArgs),
    /// Export every public record as open data (JSON Lines or CSV).
    Export(export::ExportArgs),
    /// Write a consistent backup of the store (admin).
    Backup(backup::BackupArgs),
    /// Restore a backup into a new data directory (offline).
    Restore(backup::RestoreArgs),
    /// Write a deterministic synthetic world into a new data directory, for benchmarks.
    Generate(generate::GenerateArgs),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub async fn run(self) -> Result<(), CliError> {
        match self.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Actors(args) => actors::run(args).await,
            Command::Needs(args) => needs::run(args).await,
            Command::Offers(args) => offers::run(args).await,
            Command::Partnerships(args) => partnerships::run(args).await,
            Command::Matches(args) => matches::run(args).await,
            Command::Practices(args) => practices::run(args).await,
            Command::Search(args) => search::run(args).await,
            Command::Watch(args) => watch::run(args).await,
            Command::Stats(args) => stats::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Backup(args) => backup::backup(args).await,
            Command::Restore(args) => backup::restore(args),
            Command::Generate(args) => generate::run(args).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// clap checks its own rules (conflicts, groups, required flags) only when asked.
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
