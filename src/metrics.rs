//! Prometheus metrics, served by `serve --metrics-addr` at `GET /metrics` on a listener of their
//! own, in the Prometheus text format. Every metric is listed in the README ("Metrics").
//!
//! Where each is recorded:
//! - the calls (counts by code, latency, calls in flight, calls shed) by [`RpcMetricsLayer`],
//!   which the server puts between the gRPC-Web translation and the in-flight limit, so it sees
//!   gRPC and gRPC-Web calls alike as gRPC and every call the limit sheds;
//! - allocation runs by the MatchService handler ([`Metrics::record_allocation`]);
//! - the store's group-commit flushes by [`record_flush`] (or [`timed_flush`]): the flusher has
//!   no handle, so these two histograms are the process's, shared by every [`Metrics`];
//! - open watch streams, the store's size and the domain gauges at scrape time, from the hub
//!   ([`Metrics::refresh`]).
//!
//! A [`Metrics`] is a handle: clones share one registry. Without `--metrics-addr` none is made,
//! and calls pass no metrics layer at all.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use prost::Message as _;
use tokio::net::TcpListener;
use tonic::Code;
use tonic::body::Body;
use tower::{BoxError, Layer, Service};

use crate::hub::{AllocationMode, Hub};
use crate::rpc::status::code_name;
use crate::server::is_grpc;

/// The prefix of every metric's name.
pub const PREFIX: &str = "capacity_hub";

/// The path the metrics are served at.
pub const PATH: &str = "/metrics";

/// Longest a scrape serves domain gauges counted earlier while the event log has not moved;
/// any new event makes the next scrape count again.
pub const DOMAIN_GAUGES_MAX_AGE: Duration = Duration::from_secs(60);

/// Upper bounds of the call latency buckets, in seconds (the request timeout is 30 s by default).
const CALL_SECONDS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Upper bounds of the flush latency buckets, in seconds (an fdatasync takes from tens of
/// microseconds on a write cache to tens of milliseconds on a disk).
const FLUSH_SECONDS: [f64; 13] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];
/// Upper bounds of the allocation run buckets, in seconds (tier L takes tens of seconds).
const ALLOCATION_SECONDS: [f64; 13] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// The service and method labels of a call: `capacityhub.v1.NeedService` and `GetNeed`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    service: Arc<str>,
    method: Arc<str>,
}

/// A finished call's labels: its method and its gRPC code (`OK`, `NOT_FOUND`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    service: Arc<str>,
    method: Arc<str>,
    code: &'static str,
}

/// An allocation run's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AllocationLabels {
    /// `optimal` or `stable`.
    mode: &'static str,
    /// `true` for a dry run, `false` for one that proposed its matches.
    dry_run: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn call_histogram() -> Histogram {
    Histogram::new(CALL_SECONDS)
}

fn allocation_histogram() -> Histogram {
    Histogram::new(ALLOCATION_SECONDS)
}

/// The process's group-commit flushes: recorded by the store's flusher, which has no handle.
struct StoreFlushes {
    batch: Histogram,
    seconds: Histogram,
}

static STORE_FLUSHES: LazyLock<StoreFlushes> = LazyLock::new(|| StoreFlushes {
    batch: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
    seconds: Histogram::new(FLUSH_SECONDS),
});

/// Records one group-commit flush of the store: how many writes (flush tickets) it covered and
/// how long it took, in seconds. A flush that covered no write (the last one at shutdown) is
/// left out.
pub fn record_flush(batch: u64, seconds: f64) {
    if batch == 0 {
        return;
    }
    STORE_FLUSHES.batch.observe(batch as f64);
    STORE_FLUSHES.seconds.observe(seconds);
}

/// Runs `flush`, which covers `batch` writes, and records it with [`record_flush`], failed or
/// not; returns what `flush` returned.
pub fn timed_flush<T>(batch: u64, flush: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let flushed = flush();
    record_flush(batch, started.elapsed().as_secs_f64());
    flushed
}

/// Every metric a server exports.
struct Families {
    requests: Family<CallLabels, Counter>,
    durations: HistogramFamily<MethodLabels>,
    in_flight: Gauge,
    shed: Counter,
    watchers: Gauge,
    store_bytes: Gauge,
    open_needs: Gauge,
    unmet_needs: Gauge,
    active_offers: Gauge,
    confirmed_matches: Gauge,
    domain_scan_seconds: Gauge<f64, AtomicU64>,
    allocations: HistogramFamily<AllocationLabels>,
}

/// When the domain gauges were last counted, and at which event.
#[derive(Debug, Clone, Copy)]
struct Scan {
    head: u64,
    at: Instant,
}

struct Inner {
    registry: Registry,
    families: Families,
    methods: MethodTable,
    /// The last count of the domain gauges; held while counting, so concurrent scrapes share
    /// one count.
    scan: tokio::sync::Mutex<Option<Scan>>,
}

/// A server's metrics: a handle to one registry; clones share it.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics { .. }")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric registered, at zero.
    pub fn new() -> Metrics {
        let families = Families {
            requests: Family::default(),
            durations: Family::new_with_constructor(call_histogram),
            in_flight: Gauge::default(),
            shed: Counter::default(),
            watchers: Gauge::default(),
            store_bytes: Gauge::default(),
            open_needs: Gauge::default(),
            unmet_needs: Gauge::default(),
            active_offers: Gauge::default(),
            confirmed_matches: Gauge::default(),
            domain_scan_seconds: Gauge::default(),
            allocations: Family::new_with_constructor(allocation_histogram),
        };
        let mut registry = Registry::with_prefix(PREFIX);
        let f = &families;
        registry.register(
            "rpc_requests",
            "gRPC and gRPC-Web calls finished, by service, method and gRPC code (a call the client cancelled or the server timed out is CANCELLED; a call shed under load RESOURCE_EXHAUSTED)",
            f.requests.clone(),
        );
        registry.register_with_unit(
            "rpc_duration",
            "Call latency by service and method: until the last message and status for unary calls, until the handler answered (the stream opened) for streaming ones",
            Unit::Seconds,
            f.durations.clone(),
        );
        registry.register(
            "rpc_in_flight",
            "Calls whose handler has not answered yet: what --max-in-flight limits",
            f.in_flight.clone(),
        );
        registry.register(
            "rpc_shed",
            "Requests turned away at once because --max-in-flight calls were in flight (gRPC and gRPC-Web calls, and the web app's own requests)",
            f.shed.clone(),
        );
        registry.register(
            "watchers",
            "Watch streams open (at most --max-watchers)",
            f.watchers.clone(),
        );
        registry.register_with_unit(
            "store_flush_batch",
            "Writes one group-commit flush of the store covered (the whole process's store)",
            Unit::Other("writes".into()),
            STORE_FLUSHES.batch.clone(),
        );
        registry.register_with_unit(
            "store_flush_duration",
            "Time one group-commit flush of the store took, sled's flush and the syncs after it",
            Unit::Seconds,
            STORE_FLUSHES.seconds.clone(),
        );
        registry.register_with_unit(
            "store_size",
            "Bytes the store takes on disk, as sled counts them (its log and blobs), read at scrape time",
            Unit::Bytes,
            f.store_bytes.clone(),
        );
        registry.register(
            "open_needs",
            "Needs waiting for a provider (OPEN)",
            f.open_needs.clone(),
        );
        registry.register(
            "unmet_needs",
            "Open needs that no available offer passes the hard filters for",
            f.unmet_needs.clone(),
        );
        registry.register(
            "active_offers",
            "Offers open to matching: ACTIVE with capacity left",
            f.active_offers.clone(),
        );
        registry.register(
            "confirmed_matches",
            "Matches both parties accepted, not yet completed (CONFIRMED)",
            f.confirmed_matches.clone(),
        );
        registry.register_with_unit(
            "domain_scan_duration",
            "Time the last count of the domain gauges took (counted at scrape time after the event log moved)",
            Unit::Seconds,
            f.domain_scan_seconds.clone(),
        );
        registry.register_with_unit(
            "allocation_run_duration",
            "Time RunAllocation runs took from request to outcome, successful runs only, by mode and dry_run",
            Unit::Seconds,
            f.allocations.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry,
                families,
                methods: MethodTable::load(),
                scan: tokio::sync::Mutex::new(None),
            }),
        }
    }

    fn families(&self) -> &Families {
        &self.inner.families
    }

    /// The layer that records every call passing it (see [`RpcMetricsLayer`]).
    pub fn layer(&self) -> RpcMetricsLayer {
        RpcMetricsLayer { metrics: self.clone() }
    }

    /// Records a successful allocation run and how long it took.
    pub fn record_allocation(&self, mode: AllocationMode, dry_run: bool, took: Duration) {
        let labels = AllocationLabels {
            mode: match mode {
                AllocationMode::Optimal => "optimal",
                AllocationMode::Stable => "stable",
            },
            dry_run: if dry_run { "true" } else { "false" },
        };
        self.families()
            .allocations
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// Sets the gauges read at scrape time from `hub`: open watch streams, the store's size,
    /// and the domain gauges. The domain gauges are counted again only when the event log has
    /// moved since the last count or that count is older than [`DOMAIN_GAUGES_MAX_AGE`]; the
    /// count and the store's size are read on a blocking thread. A failure leaves the gauges as
    /// they were, and is logged.
    pub async fn refresh(&self, hub: &Arc<Hub>) {
        let f = self.families();
        f.watchers.set(saturating_i64(hub.open_watchers() as u64));
        let mut scan = self.inner.scan.lock().await;
        // Read before counting: an event appended during the count makes the next scrape count.
        let head = hub.event_head();
        let recount = !scan.is_some_and(|last| last.head == head && last.at.elapsed() < DOMAIN_GAUGES_MAX_AGE);
        let worker = Arc::clone(hub);
        let measured = tokio::task::spawn_blocking(move || {
            let size = worker.store_size_on_disk();
            let domain = recount.then(|| {
                let started = Instant::now();
                (worker.domain_gauges(), started.elapsed())
            });
            (size, domain)
        })
        .await;
        let (size, domain) = match measured {
            Ok(measured) => measured,
            Err(error) => {
                tracing::warn!(%error, "metrics: the scrape-time count failed");
                return;
            }
        };
        match size {
            Ok(bytes) => {
                f.store_bytes.set(saturating_i64(bytes));
            }
            Err(error) => tracing::warn!(%error, "metrics: the store's size is unreadable"),
        }
        match domain {
            Some((Ok(gauges), took)) => {
                f.open_needs.set(saturating_i64(gauges.open_needs));
                f.unmet_needs.set(saturating_i64(gauges.unmet_needs));
                f.active_offers.set(saturating_i64(gauges.active_offers));
                f.confirmed_matches.set(saturating_i64(gauges.confirmed_matches));
                f.domain_scan_seconds.set(took.as_secs_f64());
                *scan = Some(Scan {
                    head,
                    at: Instant::now(),
                });
            }
            Some((Err(error), _)) => tracing::warn!(%error, "metrics: the domain gauges could not be counted"),
            None => {}
        }
    }

    /// Every metric in the Prometheus text format (version 0.0.4).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.inner.registry)?;
        Ok(text)
    }
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// What the endpoint's handler holds.
#[derive(Clone)]
struct Endpoint {
    metrics: Metrics,
    hub: Arc<Hub>,
}

/// Serves `metrics` at `GET /metrics` on `listener` (plain HTTP/1.1) until the future is
/// dropped; each scrape first refreshes the gauges read from `hub` ([`Metrics::refresh`]).
/// Any other path is 404.
pub async fn serve(listener: TcpListener, metrics: Metrics, hub: Arc<Hub>) -> std::io::Result<()> {
    let router = axum::Router::new()
        .route(PATH, axum::routing::get(scrape))
        .with_state(Endpoint { metrics, hub });
    axum::serve(listener, router).await
}

async fn scrape(State(endpoint): State<Endpoint>) -> axum::response::Response {
    endpoint.metrics.refresh(&endpoint.hub).await;
    match endpoint.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(prometheus_client::encoding::prometheus_text::CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "metrics: encoding failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A method as the metrics name it, and whether it streams.
#[derive(Debug)]
struct MethodInfo {
    labels: MethodLabels,
    streaming: bool,
}

/// The methods the server serves, by request path (`/capacityhub.v1.NeedService/GetNeed`), read
/// from the descriptors the server registers for reflection: any other path is labelled
/// `unknown`, so that made-up paths cannot add series without end.
struct MethodTable {
    by_path: HashMap<String, Arc<MethodInfo>>,
    unknown: Arc<MethodInfo>,
}

impl MethodTable {
    fn load() -> MethodTable {
        let sets = [
            crate::proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ];
        let mut by_path = HashMap::new();
        for set in sets {
            let set = match prost_types::FileDescriptorSet::decode(set) {
                Ok(set) => set,
                Err(error) => {
                    tracing::warn!(%error, "metrics: a descriptor set is unreadable; its methods count as unknown");
                    continue;
                }
            };
            for file in &set.file {
                for service in &file.service {
                    let name = match file.package() {
                        "" => service.name().to_string(),
                        package => format!("{package}.{}", service.name()),
                    };
                    let service_label: Arc<str> = Arc::from(name.as_str());
                    for method in &service.method {
                        let info = MethodInfo {
                            labels: MethodLabels {
                                service: Arc::clone(&service_label),
                                method: Arc::from(method.name()),
                            },
                            streaming: method.server_streaming() || method.client_streaming(),
                        };
                        by_path.insert(format!("/{name}/{}", method.name()), Arc::new(info));
                    }
                }
            }
        }
        let unknown: Arc<str> = Arc::from("unknown");
        MethodTable {
            by_path,
            unknown: Arc::new(MethodInfo {
                labels: MethodLabels {
                    service: Arc::clone(&unknown),
                    method: unknown,
                },
                streaming: false,
            }),
        }
    }

    fn get(&self, path: &str) -> Arc<MethodInfo> {
        Arc::clone(self.by_path.get(path).unwrap_or(&self.unknown))
    }
}

/// The code in a `grpc-status` header or trailer, if there is one.
fn status_in(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .map(|value| Code::from_bytes(value.as_bytes()))
}

/// Wraps the routes in [`RpcMetricsService`].
#[derive(Debug, Clone)]
pub struct RpcMetricsLayer {
    metrics: Metrics,
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// Counts and times every gRPC call passing it, reading its code from the `grpc-status` header
/// (an error answered at once) or trailer (after the last message, for unary and streaming
/// calls alike); counts a request the layer inside turns away (the in-flight limit's shedding)
/// as shed and, for a call, RESOURCE_EXHAUSTED, which is what the caller is answered. Other
/// requests (the web app's) pass uncounted unless shed.
#[derive(Debug, Clone)]
pub struct RpcMetricsService<S> {
    inner: S,
    metrics: Metrics,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

impl<S> Service<Request<Body>> for RpcMetricsService<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let metrics = self.metrics.clone();
        if !is_grpc(&request) {
            let answer = self.inner.call(request);
            return Box::pin(async move {
                answer.await.map_err(|error| {
                    metrics.families().shed.inc();
                    error.into()
                })
            });
        }
        let call = CallRecord::start(&metrics, request.uri().path());
        let answer = self.inner.call(request);
        Box::pin(async move {
            let mut call = call;
            match answer.await {
                Ok(response) => Ok(call.answered(response)),
                Err(error) => {
                    metrics.families().shed.inc();
                    call.finish(Code::ResourceExhausted);
                    Err(error.into())
                }
            }
        })
    }
}

/// One call on its way: in flight until its handler answers, finished at its status. Dropped
/// unfinished (the client went away, the request timed out), it counts as CANCELLED.
struct CallRecord {
    metrics: Metrics,
    method: Arc<MethodInfo>,
    started: Instant,
    in_flight: bool,
    timed: bool,
    finished: bool,
}

impl CallRecord {
    fn start(metrics: &Metrics, path: &str) -> CallRecord {
        metrics.families().in_flight.inc();
        CallRecord {
            metrics: metrics.clone(),
            method: metrics.inner.methods.get(path),
            started: Instant::now(),
            in_flight: true,
            timed: false,
            finished: false,
        }
    }

    /// The handler answered with `response`: a status in its headers finishes the call now;
    /// otherwise the call finishes at the trailers of the body returned.
    fn answered(mut self, response: Response<Body>) -> Response<Body> {
        self.land();
        if let Some(code) = status_in(response.headers()) {
            self.finish(code);
            return response;
        }
        if http_body::Body::is_end_stream(response.body()) {
            // No status anywhere: a client reads that as a broken call.
            self.finish(Code::Unknown);
            return response;
        }
        if self.method.streaming {
            self.time();
        }
        response.map(|inner| Body::new(MeteredBody { inner, call: self }))
    }

    /// No longer in flight.
    fn land(&mut self) {
        if std::mem::take(&mut self.in_flight) {
            self.metrics.families().in_flight.dec();
        }
    }

    /// Observes the latency so far, once.
    fn time(&mut self) {
        if !std::mem::replace(&mut self.timed, true) {
            self.metrics
                .families()
                .durations
                .get_or_create(&self.method.labels)
                .observe(self.started.elapsed().as_secs_f64());
        }
    }

    /// Counts the call with `code`, once.
    fn finish(&mut self, code: Code) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        self.land();
        self.time();
        let labels = CallLabels {
            service: Arc::clone(&self.method.labels.service),
            method: Arc::clone(&self.method.labels.method),
            code: code_name(code),
        };
        self.metrics.families().requests.get_or_create(&labels).inc();
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        self.finish(Code::Cancelled);
    }
}

/// A response body that finishes its call at the status in its trailers.
struct MeteredBody {
    inner: Body,
    call: CallRecord,
}

impl http_body::Body for MeteredBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    this.call.finish(status_in(trailers).unwrap_or(Code::Unknown));
                }
            }
            Poll::Ready(Some(Err(status))) => this.call.finish(status.code()),
            // Ended without trailers: no status (after trailers this changes nothing).
            Poll::Ready(None) => this.call.finish(Code::Unknown),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hub_method_is_known_by_its_path() {
        let table = MethodTable::load();
        let get_need = table.get("/capacityhub.v1.NeedService/GetNeed");
        assert_eq!(&*get_need.labels.service, "capacityhub.v1.NeedService");
        assert_eq!(&*get_need.labels.method, "GetNeed");
        assert!(!get_need.streaming);
        assert!(table.get("/capacityhub.v1.MatchService/WatchMatches").streaming);
        assert!(!table.get("/grpc.health.v1.Health/Check").streaming);
        assert_eq!(&*table.get("/made.Up/Path").labels.method, "unknown");
    }

    /// A service that is never ready, as the in-flight limit is when it is full.
    #[derive(Clone)]
    struct Full;

    impl Service<Request<Body>> for Full {
        type Response = Response<Body>;
        type Error = BoxError;
        type Future = std::future::Ready<Result<Response<Body>, BoxError>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Pending
        }

        fn call(&mut self, _: Request<Body>) -> Self::Future {
            unreachable!("never ready, never called")
        }
    }

    fn request(content_type: &'static str, path: &str) -> Request<Body> {
        let mut request = Request::new(Body::empty());
        *request.uri_mut() = path.parse().expect("a path");
        request
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        request
    }

    #[tokio::test]
    async fn a_shed_call_is_counted_as_shed_and_resource_exhausted() {
        use tower::ServiceExt as _;
        let metrics = Metrics::new();
        let mut service = metrics.layer().layer(tower::load_shed::LoadShed::new(Full));
        let call = request("application/grpc", "/capacityhub.v1.NeedService/GetNeed");
        let shed = service.ready().await.expect("ready").call(call).await;
        assert!(shed.is_err(), "the call is shed");
        let page = service
            .ready()
            .await
            .expect("ready")
            .call(request("text/html", "/"))
            .await;
        assert!(page.is_err(), "the page's request is shed");
        let text = metrics.encode().expect("encodes");
        for line in [
            "capacity_hub_rpc_shed_total 2",
            "capacity_hub_rpc_in_flight 0",
            "capacity_hub_rpc_requests_total{service=\"capacityhub.v1.NeedService\",method=\"GetNeed\",code=\"RESOURCE_EXHAUSTED\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from:\n{text}");
        }
    }

    #[test]
    fn the_text_names_every_metric_with_its_prefix_and_unit() {
        let metrics = Metrics::new();
        record_flush(3, 0.002);
        metrics.record_allocation(AllocationMode::Stable, true, Duration::from_millis(5));
        let text = metrics.encode().expect("encodes");
        // The call families appear with their first call (tests/metrics.rs sees them).
        for name in [
            "capacity_hub_rpc_in_flight",
            "capacity_hub_rpc_shed_total",
            "capacity_hub_watchers",
            "capacity_hub_store_flush_batch_writes",
            "capacity_hub_store_flush_duration_seconds",
            "capacity_hub_store_size_bytes",
            "capacity_hub_open_needs",
            "capacity_hub_unmet_needs",
            "capacity_hub_active_offers",
            "capacity_hub_confirmed_matches",
            "capacity_hub_domain_scan_duration_seconds",
            "capacity_hub_allocation_run_duration_seconds",
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} missing from:\n{text}"
            );
        }
        assert!(
            text.contains("capacity_hub_allocation_run_duration_seconds_count{mode=\"stable\",dry_run=\"true\"} 1"),
            "{text}"
        );
    }
}
