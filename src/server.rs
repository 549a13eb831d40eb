//! The gRPC server: the hub services, health (overall and per service), reflection in both
//! `v1` and `v1alpha` (many clients, grpcurl's older builds and Python's grpcio-reflection among
//! them, speak only v1alpha), gRPC-Web on the same port (HTTP/1.1 and HTTP/2, for browsers, behind
//! the same interceptor, limits and policy), the web app at `/`, and a graceful shutdown that
//! flushes the store.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tower::layer::util::{Identity as NoLayer, Stack};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::hub::Hub;
use crate::metrics::{Metrics, RpcMetricsLayer};
use crate::proto::actor_service_server::ActorServiceServer;
use crate::proto::admin_service_server::AdminServiceServer;
use crate::proto::insight_service_server::InsightServiceServer;
use crate::proto::match_service_server::MatchServiceServer;
use crate::proto::need_service_server::NeedServiceServer;
use crate::proto::offer_service_server::OfferServiceServer;
use crate::proto::partnership_service_server::PartnershipServiceServer;
use crate::proto::practice_service_server::PracticeServiceServer;
use crate::proto::search_service_server::SearchServiceServer;
use crate::rpc::auth::Authenticator;
use crate::rpc::policy::Registration;
use crate::rpc::{ActorApi, AdminApi, InsightApi, MatchApi, NeedApi, OfferApi, PartnershipApi, PracticeApi, SearchApi};
use crate::web::WebFiles;
use grpc_web::GrpcWebOrPageLayer;

mod grpc_web;
pub(crate) use grpc_web::is_grpc;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("reflection could not load the descriptors: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("transport failure: {}", error_chain(.0))]
    Transport(#[from] tonic::transport::Error),
    #[error("could not flush the store at shutdown: {0}")]
    Flush(#[from] crate::hub::HubError),
}

/// How the server treats callers and load.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// The admin token, who may act for any actor; `None` means no admin.
    pub admin_token: Option<String>,
    /// Who may register actors.
    pub registration: Registration,
    /// Certificate chain and private key (PEM) to serve TLS; `None` serves plain text.
    pub tls: Option<TlsIdentity>,
    pub limits: Limits,
    /// Origins whose pages may call the hub over gRPC-Web (CORS); none by default. The hub's own
    /// page at `/` is of the hub's origin and needs none.
    pub cors_origins: Vec<HeaderValue>,
    /// Where the web app's files come from.
    pub web_files: WebFiles,
    /// Where the calls are counted and timed; `None` (the default) records nothing.
    pub metrics: Option<Metrics>,
}

/// What one server takes on at most; every value is documented in the README.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request message any hub service accepts.
    pub max_message_bytes: usize,
    /// A call whose handler has not answered after this is cancelled (CANCELLED, "Timeout
    /// expired"), so a stuck request cannot hold its slot for ever. Streams count only until
    /// their first message.
    pub request_timeout: Duration,
    /// Calls in flight at once over all connections; beyond it calls are shed at once with
    /// RESOURCE_EXHAUSTED instead of queueing without end.
    pub max_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 256,
        }
    }
}

/// A transport error's causes on one line: tonic's own message ("transport error") says
/// nothing; the causes ("Connection refused") do. Layers that repeat their inner message once
/// each are said once.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        next = cause.source();
    }
    if parts.is_empty() {
        parts.push(error.to_string());
    }
    parts.join(": ")
}

/// A server certificate chain and its private key, PEM-encoded.
#[derive(Clone)]
pub struct TlsIdentity {
    pub certificate_pem: Vec<u8>,
    pub private_key_pem: Vec<u8>,
}

impl TlsIdentity {
    /// Checks that the certificate chain and the key can serve TLS (both parse, and the key is
    /// the certificate's), as the server will when it starts, so that `serve` can refuse them
    /// before it opens the store: why not, in words.
    pub fn check(&self) -> Result<(), String> {
        const CERTIFICATE: &[u8] = b"-----BEGIN CERTIFICATE-----";
        if !self
            .certificate_pem
            .windows(CERTIFICATE.len())
            .any(|line| line == CERTIFICATE)
        {
            return Err("the certificate file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
        }
        let identity = Identity::from_pem(&self.certificate_pem, &self.private_key_pem);
        match Server::builder().tls_config(ServerTlsConfig::new().identity(identity)) {
            Ok(_) => Ok(()),
            Err(error) => Err(error_chain(&error)),
        }
    }
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsIdentity { .. }")
    }
}

/// Serves `hub` on `listener` with default options (no admin, open registration) until
/// `shutdown` resolves, then flushes the store.
pub async fn serve(
    listener: TcpListener,
    hub: Arc<Hub>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    serve_with(listener, hub, ServerOptions::default(), shutdown).await
}

/// Serves `hub` on `listener` with `options` until `shutdown` resolves, then flushes the store.
pub async fn serve_with(
    listener: TcpListener,
    hub: Arc<Hub>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let ServerOptions {
        admin_token,
        registration,
        tls,
        limits,
        cors_origins,
        web_files,
        metrics,
    } = options;
    let auth = Authenticator::new(Arc::clone(&hub), admin_token.as_deref());
    let size = limits.max_message_bytes;
    let routes = Routes::new(health_service().await)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(guarded(
            ActorServiceServer::new(ActorApi::new(Arc::clone(&hub), registration)).max_decoding_message_size(size),
            &auth,
        ))
        .add_service(guarded(
            NeedServiceServer::new(NeedApi::new(Arc::clone(&hub))).max_decoding_message_size(size),
            &auth,
        ))
        .add_service(guarded(
            OfferServiceServer::new(OfferApi::new(Arc::clone(&hub))).max_decoding_message_size(size),
            &auth,
        ))
        .add_service(guarded(
            PartnershipServiceServer::new(PartnershipApi::new(Arc::clone(&hub))).max_decoding_message_size(size),
            &auth,
        ))
        .add_service(guarded(
            MatchServiceServer::new(MatchApi::new(Arc::clone(&hub)).with_metrics(metrics.clone()))
                .max_decoding_message_size(size),
            &auth,
        ))
        .add_service(guarded(
            PracticeServiceServer::new(PracticeApi::new(Arc::clone(&hub))).max_decoding_message_size(size),
            &auth,
        ))
        .add_service(guarded(
            SearchServiceServer::new(SearchApi::new(Arc::clone(&hub))).max_decoding_message_size(size),
            &auth,
        ))
        .add_service(guarded(
            InsightServiceServer::new(InsightApi::new(Arc::clone(&hub))).max_decoding_message_size(size),
            &auth,
        ))
        .add_service(guarded(AdminServiceServer::new(AdminApi::new(Arc::clone(&hub))), &auth))
        .into_axum_router()
        .merge(crate::web::routes(web_files));
    let router = builder(tls.as_ref(), &limits, cors_origins, metrics.as_ref())?.add_routes(Routes::from(routes));
    let expiry = tokio::spawn(Arc::clone(&hub).run_expiry());
    // Watch streams never end on their own; close them when shutdown begins so the server can
    // finish the calls in flight and stop.
    let closing_hub = Arc::clone(&hub);
    let shutdown = async move {
        shutdown.await;
        closing_hub.close_watchers();
    };
    // Without TCP_NODELAY a reply that does not fill a segment waits for the client's delayed
    // acknowledgement: about 40 ms added to every FindMatches.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let served = router.serve_with_incoming_shutdown(incoming, shutdown).await;
    expiry.abort();
    served?;
    hub.close().await?;
    tracing::info!("store flushed; goodbye");
    Ok(())
}

/// A hub service behind the authenticating interceptor.
fn guarded<S>(service: S, auth: &Authenticator) -> InterceptedService<S, Authenticator> {
    InterceptedService::new(service, auth.clone())
}

/// The transport: TLS when configured, HTTP/1.1 beside HTTP/2 for gRPC-Web, the request
/// timeout, and then, outermost first: CORS for the configured origins, the gRPC-Web
/// translation (so the services see plain gRPC, and a shed call is answered in the caller's
/// protocol), the metrics when recorded (inside the translation, so gRPC-Web calls are counted
/// as the gRPC calls they become, and outside the limit, so shed calls are counted too), and
/// the global in-flight limit with load shedding.
fn builder(
    tls: Option<&TlsIdentity>,
    limits: &Limits,
    cors_origins: Vec<HeaderValue>,
    metrics: Option<&Metrics>,
) -> Result<Server<Stack<HubLayers, NoLayer>>, ServerError> {
    let mut builder = Server::builder().timeout(limits.request_timeout).accept_http1(true);
    match tls {
        Some(TlsIdentity {
            certificate_pem,
            private_key_pem,
        }) => {
            let identity = Identity::from_pem(certificate_pem, private_key_pem);
            builder = builder.tls_config(ServerTlsConfig::new().identity(identity))?;
        }
        None => tracing::warn!("serving without TLS: traffic, tokens included, is plain text"),
    }
    let cors = (!cors_origins.is_empty()).then(|| cors(cors_origins));
    let layers = tower::ServiceBuilder::new()
        .option_layer(cors)
        .layer(GrpcWebOrPageLayer)
        .option_layer(metrics.map(Metrics::layer))
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(limits.max_in_flight))
        .into_inner();
    Ok(builder.layer(layers))
}

/// Cross-origin gRPC-Web from the listed origins: the headers a gRPC-Web client sends (the
/// token among them) and the ones it must read back (the status and its details).
fn cors(origins: Vec<HeaderValue>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-grpc-web"),
            HeaderName::from_static("x-user-agent"),
            HeaderName::from_static("grpc-timeout"),
            HeaderName::from_static("connect-protocol-version"),
        ])
        .expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
        ])
        .max_age(Duration::from_secs(24 * 3600))
}

/// Every layer around the hub's routes, innermost first (as `Stack` nests them).
type HubLayers = Stack<
    tower::limit::GlobalConcurrencyLimitLayer,
    Stack<
        tower::load_shed::LoadShedLayer,
        Stack<
            tower::util::Either<RpcMetricsLayer, NoLayer>,
            Stack<GrpcWebOrPageLayer, Stack<tower::util::Either<CorsLayer, NoLayer>, NoLayer>>,
        >,
    >,
>;

/// Health, SERVING overall and for each hub service.
async fn health_service() -> tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>
{
    let (health, service) = tonic_health::server::health_reporter();
    health.set_serving::<ActorServiceServer<ActorApi>>().await;
    health.set_serving::<NeedServiceServer<NeedApi>>().await;
    health.set_serving::<OfferServiceServer<OfferApi>>().await;
    health.set_serving::<PartnershipServiceServer<PartnershipApi>>().await;
    health.set_serving::<MatchServiceServer<MatchApi>>().await;
    health.set_serving::<InsightServiceServer<InsightApi>>().await;
    health.set_serving::<PracticeServiceServer<PracticeApi>>().await;
    health.set_serving::<SearchServiceServer<SearchApi>>().await;
    health.set_serving::<AdminServiceServer<AdminApi>>().await;
    service
}

fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => tracing::info!("SIGINT received; shutting down"),
        () = terminate => tracing::info!("SIGTERM received; shutting down"),
    }
}
