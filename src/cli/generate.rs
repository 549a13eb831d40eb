//! `capacity-hub generate`: write a deterministic synthetic world into a new data directory, for
//! benchmarks (offline, no server).

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use crate::hub::{Hub, HubSettings};
use crate::synthetic::{self, Tier};

/// Options of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// S: 500 actors, 5,000 partnerships, 2,000 needs, 500 offers; M: ten times that; L:
    /// 100,000 actors, 1,000,000 partnerships, 200,000 needs, 100,000 offers.
    #[arg(long, value_enum)]
    pub tier: TierArg,
    /// A new or empty directory for the store.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The same tier and seed always make the same world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// World sizes on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    S,
    M,
    L,
}

/// Generates the world with a progress bar.
pub async fn run(args: GenerateArgs) -> Result<(), CliError> {
    let tier = match args.tier {
        TierArg::S => Tier::S,
        TierArg::M => Tier::M,
        TierArg::L => Tier::L,
    };
    let hub = Hub::open(&args.data_dir, HubSettings::default())?;
    if !hub.is_empty() {
        return Err(format!(
            "{} already holds a store; generate into a new directory",
            args.data_dir.display()
        )
        .into());
    }
    let bar = ProgressBar::new(tier.size().total() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} records, {per_sec}, eta {eta}",
    )?);
    let started = Instant::now();
    let size = synthetic::generate(&hub, tier, args.seed, |written| bar.set_position(written as u64)).await?;
    bar.finish();
    println!(
        "{} actors, {} partnerships, {} offers, {} open needs written to {} in {:.1} s",
        size.actors,
        size.partnerships,
        size.offers,
        size.needs,
        args.data_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
