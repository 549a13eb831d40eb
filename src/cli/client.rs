//! Reaching a running hub: the options every client subcommand shares, the connection, the
//! bearer-token interceptor, paging through List calls, and gRPC errors as one line of text.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Request, Response, Status};

use super::CliError;
use crate::proto::actor_service_client::ActorServiceClient;
use crate::proto::admin_service_client::AdminServiceClient;
use crate::proto::insight_service_client::InsightServiceClient;
use crate::proto::match_service_client::MatchServiceClient;
use crate::proto::need_service_client::NeedServiceClient;
use crate::proto::offer_service_client::OfferServiceClient;
use crate::proto::partnership_service_client::PartnershipServiceClient;
use crate::proto::practice_service_client::PracticeServiceClient;
use crate::proto::search_service_client::SearchServiceClient;
use crate::rpc::status::code_name;
use crate::server::error_chain;

/// Options of every client subcommand. They are global so they may follow the subcommand
/// (`capacity-hub needs list --json`), where people type them.
#[derive(Debug, Args)]
#[command(next_help_heading = "Client options")]
pub struct ClientArgs {
    /// Address of the hub, with or without `http://` or `https://` (without a scheme: https when
    /// --ca-cert is given, else plain http).
    #[arg(
        long,
        env = "CAPACITY_HUB_SERVER",
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    pub server: String,
    /// API token, sent as `authorization: Bearer <token>` on every call.
    #[arg(long, env = "CAPACITY_HUB_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// PEM file of the CA that signed the hub's TLS certificate: connect over TLS and trust only
    /// it. Needed for `https://` servers (this build knows no system roots); the certificate must
    /// name the --server host.
    #[arg(long, env = "CAPACITY_HUB_CA_CERT", value_name = "FILE", global = true)]
    pub ca_cert: Option<PathBuf>,
    /// Print responses as canonical proto3 JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Seconds to wait for an answer. The hub has its own limit (its --request-timeout-secs); a
    /// large allocation run may need both raised.
    #[arg(
        long,
        env = "CAPACITY_HUB_TIMEOUT_SECS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true
    )]
    pub timeout_secs: u64,
}

/// The channel the generated clients run over, with the token interceptor.
pub type Transport = InterceptedService<Channel, BearerToken>;

/// A connection to one hub, handing out the generated clients. Clients share the channel, so
/// making one is cheap.
pub struct Hub {
    channel: Channel,
    token: BearerToken,
}

impl Hub {
    /// Connects now rather than on the first call, so an unreachable hub is reported as such
    /// (with the address and how to start one) instead of as a failed call.
    pub async fn connect(args: &ClientArgs) -> Result<Self, CliError> {
        let token = BearerToken::new(args.token.as_deref())?;
        let url = server_url(&args.server, args.ca_cert.is_some())?;
        let mut endpoint = Endpoint::from_shared(url.clone())
            .map_err(|error| format!("--server {}: not a valid address: {error}", args.server))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(args.timeout_secs));
        if let Some(tls) = tls_config(&url, args.ca_cert.as_deref())? {
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|error| format!("--ca-cert: cannot set up TLS: {}", error_chain(&error)))?;
        }
        let channel = endpoint
            .connect()
            .await
            .map_err(|error| unreachable(&url, &error_chain(&error)))?;
        Ok(Hub { channel, token })
    }

    /// The `ActorService` client.
    pub fn actors(&self) -> ActorServiceClient<Transport> {
        ActorServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }

    /// The `NeedService` client.
    pub fn needs(&self) -> NeedServiceClient<Transport> {
        NeedServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }

    /// The `OfferService` client.
    pub fn offers(&self) -> OfferServiceClient<Transport> {
        OfferServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }

    /// The `PartnershipService` client.
    pub fn partnerships(&self) -> PartnershipServiceClient<Transport> {
        PartnershipServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }

    /// The `MatchService` client.
    pub fn matches(&self) -> MatchServiceClient<Transport> {
        MatchServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }

    /// The `PracticeService` client.
    pub fn practices(&self) -> PracticeServiceClient<Transport> {
        PracticeServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }

    /// The `SearchService` client.
    pub fn search(&self) -> SearchServiceClient<Transport> {
        SearchServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }

    /// The `InsightService` client.
    pub fn insights(&self) -> InsightServiceClient<Transport> {
        InsightServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }

    /// The `AdminService` client.
    pub fn admin(&self) -> AdminServiceClient<Transport> {
        AdminServiceClient::with_interceptor(self.channel.clone(), self.token.clone())
    }
}

/// Why the hub could not be reached, with the likely fix: a failed TLS handshake is about
/// certificates, anything else usually about a hub that is not running.
fn unreachable(url: &str, cause: &str) -> String {
    let tls_failed = ["certificate", "corrupt message", "handshake", "tls"]
        .iter()
        .any(|word| cause.to_ascii_lowercase().contains(word));
    if url.starts_with("https://") && tls_failed {
        format!(
            "TLS with the hub at {url} failed ({cause}); does the hub serve TLS (`serve --tls-cert`), and did the CA in --ca-cert sign its certificate for this host?"
        )
    } else {
        format!("cannot reach the hub at {url} ({cause}); is it running? Start one with `capacity-hub serve --demo`")
    }
}

/// Accepts `127.0.0.1:50051` as people type it: without a scheme the hub is plain-text HTTP/2,
/// or TLS when a CA certificate was given. An explicit `http://` with a CA is a contradiction
/// worth saying rather than guessing.
fn server_url(server: &str, tls: bool) -> Result<String, CliError> {
    if !server.contains("://") {
        let scheme = if tls { "https" } else { "http" };
        return Ok(format!("{scheme}://{server}"));
    }
    if tls && server.starts_with("http://") {
        return Err(format!(
            "--ca-cert asks for TLS but --server {server} says http://; use https:// or drop --ca-cert"
        )
        .into());
    }
    Ok(server.to_owned())
}

/// The TLS settings for an `https://` URL: trust only the CA in `ca_cert`, and expect a
/// certificate for the URL's host. None for plain http.
fn tls_config(url: &str, ca_cert: Option<&Path>) -> Result<Option<ClientTlsConfig>, CliError> {
    if !url.starts_with("https://") {
        return Ok(None);
    }
    let Some(path) = ca_cert else {
        return Err(format!(
            "{url} is TLS: give the PEM certificate of the CA that signed the hub's certificate with --ca-cert FILE (or CAPACITY_HUB_CA_CERT)"
        )
        .into());
    };
    let pem = read_ca_pem(path)?;
    let config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem));
    Ok(Some(match url_host(url) {
        Some(host) => config.domain_name(host),
        None => config,
    }))
}

/// The CA file's bytes, refused early when they hold no PEM certificate: rustls would skip them
/// silently and every handshake would fail with an unknown issuer.
fn read_ca_pem(path: &Path) -> Result<Vec<u8>, CliError> {
    let pem = std::fs::read(path).map_err(|error| format!("--ca-cert: cannot read {}: {error}", path.display()))?;
    let marker = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(marker.len()).any(|window| window == marker) {
        return Err(format!(
            "--ca-cert: {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )
        .into());
    }
    Ok(pem)
}

/// The host of a URL, without the brackets of an IPv6 address: the name the hub's certificate
/// must carry.
fn url_host(url: &str) -> Option<String> {
    let uri: tonic::codegen::http::Uri = url.parse().ok()?;
    let host = uri.host()?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    Some(host.to_owned())
}

/// Adds `authorization: Bearer <token>` to every call when a token was given.
#[derive(Clone)]
pub struct BearerToken(Option<AsciiMetadataValue>);

impl BearerToken {
    /// Checks the token once, up front: a header value must be visible ASCII. An empty one is
    /// no token (`export CAPACITY_HUB_TOKEN=` is how one signs out): reads stay open.
    fn new(token: Option<&str>) -> Result<Self, CliError> {
        let Some(token) = token.map(str::trim).filter(|token| !token.is_empty()) else {
            return Ok(BearerToken(None));
        };
        let value = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| "--token may hold only visible ASCII characters")?;
        Ok(BearerToken(Some(value)))
    }
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// Awaits one call and unwraps its message, turning a gRPC status into [`RpcError`].
pub async fn call<T>(response: impl Future<Output = Result<Response<T>, Status>>) -> Result<T, CliError> {
    match response.await {
        Ok(response) => Ok(response.into_inner()),
        Err(status) => Err(RpcError(status).into()),
    }
}

/// A failed call as `<CODE>: <message>`, the code as the gRPC spec spells it, so users and
/// scripts see `INVALID_ARGUMENT` rather than tonic's prose.
#[derive(Debug)]
pub struct RpcError(pub Status);

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", code_name(self.0.code()), self.0.message())?;
        // What a plain-text client sees of a TLS-only hub.
        if self.0.code() == Code::Internal && self.0.message().contains("h2 protocol error") {
            write!(f, " (if the hub serves TLS, connect with --ca-cert FILE)")?;
        }
        // What either side's time limit looks like.
        if self.0.code() == Code::Cancelled && self.0.message().contains("Timeout expired") {
            write!(
                f,
                " (the call ran out of time: the client waits --timeout-secs, the hub its \
                 --request-timeout-secs; narrow a large run or raise both)"
            )?;
        }
        Ok(())
    }
}

impl Error for RpcError {}

/// Paging options of every List command and of `search` (AIP-158).
#[derive(Debug, Args)]
pub struct PageArgs {
    /// At most this many records per page (the hub's default when absent).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    pub page_size: Option<i32>,
    /// Continue from this token (printed as `more: --page-token ...` by the previous page).
    #[arg(long)]
    pub page_token: Option<String>,
    /// Follow next_page_token to the last page (from --page-token, if given).
    #[arg(long)]
    pub all: bool,
}

/// A List or Search response: a page of records and the token of the next page.
pub trait Page {
    /// What the page lists.
    type Record;
    /// The page's records.
    fn records(&mut self) -> &mut Vec<Self::Record>;
    /// The token of the next page; empty on the last one.
    fn next_page_token(&mut self) -> &mut String;
}

macro_rules! page {
    ($($response:ident . $records:ident : $record:ident),* $(,)?) => {$(
        impl Page for crate::proto::$response {
            type Record = crate::proto::$record;
            fn records(&mut self) -> &mut Vec<Self::Record> {
                &mut self.$records
            }
            fn next_page_token(&mut self) -> &mut String {
                &mut self.next_page_token
            }
        }
    )*};
}

page!(
    ListActorsResponse.actors: Actor,
    ListNeedsResponse.needs: Need,
    ListOffersResponse.offers: Offer,
    ListPartnershipsResponse.partnerships: Partnership,
    ListMatchesResponse.matches: Match,
    ListPracticesResponse.practices: Practice,
    SearchResponse.hits: SearchHit,
);

/// Fetches the page `args` asks for, or with `--all` every page from there on, merged into one
/// response whose token is then empty. `fetch` makes the call for one page token.
pub async fn fetch_pages<P, F, Fut>(args: &PageArgs, mut fetch: F) -> Result<P, CliError>
where
    P: Page,
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<P, CliError>>,
{
    let mut merged = fetch(args.page_token.clone().unwrap_or_default()).await?;
    while args.all && !merged.next_page_token().is_empty() {
        let token = std::mem::take(merged.next_page_token());
        let mut page = fetch(token.clone()).await?;
        if *page.next_page_token() == token {
            return Err(format!("the hub returned page token {token} twice; stopping").into());
        }
        merged.records().append(page.records());
        *merged.next_page_token() = std::mem::take(page.next_page_token());
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_without_scheme_is_plain_http_or_tls_with_a_ca() -> Result<(), CliError> {
        assert_eq!(server_url("127.0.0.1:50051", false)?, "http://127.0.0.1:50051");
        assert_eq!(server_url("127.0.0.1:50051", true)?, "https://127.0.0.1:50051");
        assert_eq!(server_url("https://hub.example:443", false)?, "https://hub.example:443");
        assert!(server_url("http://hub.example", true).is_err());
        Ok(())
    }

    #[test]
    fn the_certificate_must_name_the_url_host() {
        assert_eq!(url_host("https://hub.example:443").as_deref(), Some("hub.example"));
        assert_eq!(url_host("https://[::1]:50051").as_deref(), Some("::1"));
        assert_eq!(url_host("https://10.0.0.7").as_deref(), Some("10.0.0.7"));
    }

    #[test]
    fn tls_needs_a_readable_ca() -> Result<(), CliError> {
        assert!(tls_config("http://127.0.0.1:50051", None)?.is_none());
        let missing = tls_config("https://hub.example", None)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(matches!(&missing, Err(m) if m.contains("--ca-cert")), "{missing:?}");
        let unreadable = Path::new("/nonexistent/ca.pem");
        let error = tls_config("https://hub.example", Some(unreadable))
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(
            matches!(&error, Err(m) if m.contains("cannot read /nonexistent/ca.pem")),
            "{error:?}"
        );
        let dir = tempfile::tempdir()?;
        let not_pem = dir.path().join("ca.der");
        std::fs::write(&not_pem, b"\x30\x82")?;
        let error = read_ca_pem(&not_pem).map(|_| ()).map_err(|e| e.to_string());
        assert!(
            matches!(&error, Err(m) if m.contains("no PEM certificate")),
            "{error:?}"
        );
        Ok(())
    }

    #[test]
    fn statuses_print_their_canonical_code() {
        let error = RpcError(Status::invalid_argument("themes[0]: 24 is not a GCM objective (1-23)"));
        assert_eq!(
            error.to_string(),
            "INVALID_ARGUMENT: themes[0]: 24 is not a GCM objective (1-23)"
        );
    }

    #[test]
    fn a_failed_handshake_points_at_the_certificates() {
        let tls = unreachable("https://localhost:50098", "invalid peer certificate: UnknownIssuer");
        assert!(
            tls.starts_with("TLS with the hub at https://localhost:50098 failed"),
            "{tls}"
        );
        let down = unreachable("https://localhost:50098", "Connection refused (os error 111)");
        assert!(down.contains("is it running?"), "{down}");
        let plain = RpcError(Status::internal("h2 protocol error: http2 error"));
        assert!(plain.to_string().ends_with("connect with --ca-cert FILE)"));
    }

    #[test]
    fn the_token_is_sent_as_a_bearer_header() -> Result<(), CliError> {
        let mut token = BearerToken::new(Some("s3cret"))?;
        let request = token.call(Request::new(()))?;
        let header = request.metadata().get("authorization").map(|value| value.as_bytes());
        assert_eq!(header, Some(b"Bearer s3cret".as_slice()));
        assert!(BearerToken::new(Some("bad\ntoken")).is_err());
        Ok(())
    }

    #[tokio::test]
    async fn all_follows_tokens_to_the_last_page() -> Result<(), CliError> {
        let args = PageArgs {
            page_size: None,
            page_token: None,
            all: true,
        };
        let merged = fetch_pages(&args, |token| async move {
            let (id, next) = match token.as_str() {
                "" => ("actor-1", "p2"),
                "p2" => ("actor-2", "p3"),
                _ => ("actor-3", ""),
            };
            let actor = crate::proto::Actor {
                id: id.to_owned(),
                ..Default::default()
            };
            Ok(crate::proto::ListActorsResponse {
                actors: vec![actor],
                next_page_token: next.to_owned(),
            })
        })
        .await?;
        let ids: Vec<_> = merged.actors.iter().map(|actor| actor.id.as_str()).collect();
        assert_eq!(ids, ["actor-1", "actor-2", "actor-3"]);
        assert!(merged.next_page_token.is_empty());
        Ok(())
    }
}
