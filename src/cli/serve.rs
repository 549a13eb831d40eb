//! `capacity-hub serve`: open the store, optionally load the demo world, and serve gRPC until
//! SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use clap::Args;
use tokio::net::TcpListener;

use super::CliError;
use crate::hub::{Hub, HubSettings};
use crate::matching::ScoreWeights;
use crate::rpc::policy::Registration;
use crate::server::{Limits, ServerOptions, TlsIdentity};
use crate::store::StoreConfig;
use crate::web::WebFiles;

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
    /// JSON file of score weights (any of text_relevance, theme_coverage, modality_coverage,
    /// geography, language, level, partnership_proximity, track_record, load); missing ones keep
    /// their defaults.
    #[arg(long, env = "CAPACITY_HUB_SCORE_WEIGHTS")]
    pub score_weights: Option<PathBuf>,
    /// Hours a proposal may wait for both answers before it expires.
    #[arg(long, env = "CAPACITY_HUB_PROPOSAL_TTL_HOURS", default_value_t = 14 * 24)]
    pub proposal_ttl_hours: u64,
    /// File holding the admin token (who may act for any actor). Without it or
    /// CAPACITY_HUB_ADMIN_TOKEN the hub has no admin.
    #[arg(long, conflicts_with = "admin_token")]
    pub admin_token_file: Option<PathBuf>,
    /// The admin token itself; prefer the environment to a flag, which other users can see.
    #[arg(long, env = "CAPACITY_HUB_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Who may register actors: anyone, or only the admin.
    #[arg(long, env = "CAPACITY_HUB_REGISTRATION", value_enum, default_value_t = RegistrationArg::Open)]
    pub registration: RegistrationArg,
    /// PEM certificate chain to serve TLS with (needs --tls-key).
    #[arg(long, env = "CAPACITY_HUB_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the TLS certificate (needs --tls-cert).
    #[arg(long, env = "CAPACITY_HUB_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Largest request message, in bytes.
    #[arg(long, env = "CAPACITY_HUB_MAX_MESSAGE_BYTES", default_value_t = Limits::default().max_message_bytes)]
    pub max_message_bytes: usize,
    /// Seconds a call may take before it is cancelled.
    #[arg(long, env = "CAPACITY_HUB_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,
    /// Calls in flight at once; beyond it calls fail fast with RESOURCE_EXHAUSTED.
    #[arg(long, env = "CAPACITY_HUB_MAX_IN_FLIGHT", default_value_t = Limits::default().max_in_flight)]
    pub max_in_flight: usize,
    /// Watch streams open at once.
    #[arg(long, env = "CAPACITY_HUB_MAX_WATCHERS", default_value_t = HubSettings::default().max_watchers)]
    pub max_watchers: usize,
    /// Seconds between sweeps for expired needs, offers and proposals.
    #[arg(long, env = "CAPACITY_HUB_SWEEP_INTERVAL_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub sweep_interval_secs: u64,
    /// Days without an update after which an open need or an active offer is stale: shown as
    /// stale, its owner told once (a STALE event), and a stale offer ranked with a penalty.
    #[arg(long, env = "CAPACITY_HUB_STALE_AFTER_DAYS", default_value_t = HubSettings::default().stale_after_days, value_parser = clap::value_parser!(u32).range(1..))]
    pub stale_after_days: u32,
    /// Open needs one RunAllocation may take; a run over more is refused (RUN_TOO_LARGE). A large
    /// run also needs a longer --request-timeout-secs (README's Limits say how long runs take).
    #[arg(long, env = "CAPACITY_HUB_MAX_NEEDS_PER_RUN", default_value_t = HubSettings::default().max_needs_per_run, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_needs_per_run: usize,
    /// An origin (`https://example.org`) whose pages may call the hub over gRPC-Web; repeat for
    /// several. None by default: the hub's own page at `/` needs none.
    #[arg(long = "cors-origin", env = "CAPACITY_HUB_CORS_ORIGINS", value_delimiter = ',', value_parser = cors_origin)]
    pub cors_origins: Vec<HeaderValue>,
    /// Serve the web app from this folder (a `web/dist` built with `npm run build`) instead of
    /// the copy embedded in the binary: for working on the page.
    #[arg(long, env = "CAPACITY_HUB_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Microseconds the store waits after a write before it syncs, so that more concurrent
    /// writes share one sync (as PostgreSQL's commit_delay). 0 syncs at once; at most 100,000.
    #[arg(long, env = "CAPACITY_HUB_COMMIT_DELAY_US", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub commit_delay_us: u64,
    /// Address to serve Prometheus metrics on, at `GET /metrics` over plain HTTP on a listener
    /// of its own (`127.0.0.1:9464`); none by default, and then nothing is recorded.
    #[arg(long, env = "CAPACITY_HUB_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// How logs are written to stderr: `text` for people, `json` (one object a line) for log
    /// shippers.
    #[arg(long, env = "CAPACITY_HUB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event (timestamp, level, fields, span), for log shippers.
    Json,
}

/// An origin as browsers send it: a scheme, a host and an optional port, nothing else.
fn cors_origin(text: &str) -> Result<HeaderValue, String> {
    let rule = "an origin is scheme://host[:port] in lower case, without a path or wildcard (https://example.org)";
    let (scheme, rest) = text.split_once("://").ok_or(rule)?;
    // Browsers send the origin in lower case, without a wildcard: anything else never matches.
    let plain = matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' ', '*'])
        && !rest.chars().any(|c| c.is_ascii_uppercase());
    if !plain {
        return Err(rule.to_string());
    }
    HeaderValue::from_str(text).map_err(|_| rule.to_string())
}

/// Who may register actors, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegistrationArg {
    Open,
    AdminOnly,
}

/// Shortest admin token accepted: 16 characters, so it cannot be guessed by trying.
const MIN_ADMIN_TOKEN_CHARS: usize = 16;

fn admin_token(args: &ServeArgs) -> Result<Option<String>, CliError> {
    let token = match (&args.admin_token_file, &args.admin_token) {
        (Some(path), _) => {
            let text =
                std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            Some(text.trim().to_string())
        }
        (None, token) => token.clone(),
    };
    match token {
        Some(token) if token.chars().count() < MIN_ADMIN_TOKEN_CHARS => {
            Err(format!("the admin token must be at least {MIN_ADMIN_TOKEN_CHARS} characters").into())
        }
        token => Ok(token),
    }
}

fn tls_identity(args: &ServeArgs) -> Result<Option<TlsIdentity>, CliError> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    let read = |path: &PathBuf| std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()));
    let identity = TlsIdentity {
        certificate_pem: read(cert)?,
        private_key_pem: read(key)?,
    };
    identity.check().map_err(|why| {
        format!(
            "--tls-cert {} and --tls-key {} cannot serve TLS: {why}",
            cert.display(),
            key.display()
        )
    })?;
    Ok(Some(identity))
}

/// Runs the server.
pub async fn run(args: ServeArgs) -> Result<(), CliError> {
    init_logging(args.log_format);
    let admin_token = admin_token(&args)?;
    let tls = tls_identity(&args)?;
    let web_files = match &args.web_dir {
        Some(dir) => WebFiles::directory(dir).map_err(|error| format!("--web-dir {}: {error}", dir.display()))?,
        None => WebFiles::Embedded,
    };
    let settings = HubSettings {
        weights: score_weights(args.score_weights.as_deref())?,
        proposal_ttl: Duration::from_secs(args.proposal_ttl_hours.saturating_mul(3600)),
        sweep_interval: Duration::from_secs(args.sweep_interval_secs),
        max_watchers: args.max_watchers,
        stale_after_days: args.stale_after_days,
        max_needs_per_run: args.max_needs_per_run,
        store: StoreConfig {
            commit_delay: Duration::from_micros(args.commit_delay_us),
            ..StoreConfig::default()
        },
    };
    let hub = Arc::new(Hub::open(&args.data_dir, settings)?);
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
    tracing::info!(addr = %listener.local_addr()?, data_dir = %args.data_dir.display(), "capacity-hub serving");
    let metrics = match args.metrics_addr {
        Some(addr) => Some(serve_metrics(addr, &hub).await?),
        None => None,
    };
    let registration = match args.registration {
        RegistrationArg::Open => Registration::Open,
        RegistrationArg::AdminOnly => Registration::AdminOnly,
    };
    let limits = Limits {
        max_message_bytes: args.max_message_bytes,
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        max_in_flight: args.max_in_flight.max(1),
    };
    let options = ServerOptions {
        admin_token,
        registration,
        tls,
        limits,
        cors_origins: args.cors_origins,
        web_files,
        metrics: metrics.as_ref().map(|(metrics, _)| metrics.clone()),
    };
    if options.admin_token.is_none() {
        tracing::info!("no admin token configured: admin-only calls are refused");
    }
    let served = crate::server::serve_with(listener, hub, options, crate::server::shutdown_signal()).await;
    if let Some((_, endpoint)) = metrics {
        endpoint.abort();
    }
    served?;
    Ok(())
}

/// Binds `addr` and serves the metrics there in a task of their own; returns them, and the task
/// to end when the server stops.
async fn serve_metrics(
    addr: SocketAddr,
    hub: &Arc<Hub>,
) -> Result<(crate::metrics::Metrics, tokio::task::JoinHandle<()>), CliError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr} for metrics: {error}"))?;
    let bound = listener.local_addr()?;
    let metrics = crate::metrics::Metrics::new();
    let served = crate::metrics::serve(listener, metrics.clone(), Arc::clone(hub));
    let endpoint = tokio::spawn(async move {
        if let Err(error) = served.await {
            tracing::error!(%error, "the metrics endpoint stopped");
        }
    });
    // Named `metrics`, not `..addr`: whoever reads the log for the server's address finds this
    // line too.
    tracing::info!(metrics = %format!("http://{bound}{}", crate::metrics::PATH), "metrics served");
    Ok((metrics, endpoint))
}

fn score_weights(path: Option<&Path>) -> Result<ScoreWeights, CliError> {
    let Some(path) = path else {
        return Ok(ScoreWeights::default());
    };
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let weights: ScoreWeights = serde_json::from_str(&text)
        .map_err(|error| format!("{} is not a score-weights file: {error}", path.display()))?;
    weights
        .validate()
        .map_err(|violations| format!("{}: {violations}", path.display()))?;
    Ok(weights)
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sled=warn,h2=warn,tower=warn"));
    // Logs go to stderr, as a server's diagnostics should; colours only on a terminal.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => logs.json().try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::cors_origin;

    #[test]
    fn an_origin_is_a_scheme_a_host_and_a_port_only() {
        for good in ["https://partner.example", "http://127.0.0.1:8080"] {
            assert!(cors_origin(good).is_ok(), "{good}");
        }
        for bad in [
            "partner.example",
            "https://",
            "https://partner.example/",
            "ftp://x.org",
            "https://a b",
            "https://*",
            "https://Partner.Example",
        ] {
            let refused = cors_origin(bad).expect_err(bad);
            assert!(refused.contains("scheme://host[:port]"), "{bad}: {refused}");
        }
    }
}
