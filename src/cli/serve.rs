//! `capacity-hub serve`: open the store, optionally load the demo world, and serve gRPC until
//! SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use tokio::net::TcpListener;

use super::CliError;
use crate::hub::{Hub, HubSettings};

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CAPACITY_HUB_ADDR", default_value = "127.0.0.1:50051")]
    pub addr: SocketAddr,
    /// Directory of the sled store (created when missing).
    #[arg(long, env = "CAPACITY_HUB_DATA_DIR", default_value = "./capacity-hub-data")]
    pub data_dir: PathBuf,
    /// Load the 2018 workshop world when the store is empty.
    #[arg(long)]
    pub demo: bool,
}

/// Runs the server.
pub async fn run(args: ServeArgs) -> Result<(), CliError> {
    init_logging();
    let hub = Arc::new(Hub::open(&args.data_dir, HubSettings::default())?);
    if args.demo {
        if hub.is_empty() {
            let loaded = crate::demo::load(&hub).await?;
            tracing::info!(%loaded, "demo world loaded");
        } else {
            tracing::info!("store is not empty; the demo world is not loaded again");
        }
    }
    let listener = TcpListener::bind(args.addr)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.addr))?;
    tracing::info!(addr = %listener.local_addr()?, data_dir = %args.data_dir.display(), "capacity-hub serving (plain text, no TLS)");
    crate::server::serve(listener, hub, crate::server::shutdown_signal()).await?;
    Ok(())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sled=warn,h2=warn,tower=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
