//! The black-box harness: a real capacity-hub server on 127.0.0.1:0 over a temporary data
//! directory, driven only through the generated tonic clients, plus small helpers that keep the
//! tests short. Every test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use capacity_hub::hub::{Hub, HubSettings};
use capacity_hub::server::ServerOptions;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tower::Layer;

pub use capacity_hub::proto::actor_service_client::ActorServiceClient;
pub use capacity_hub::proto::match_service_client::MatchServiceClient;
pub use capacity_hub::proto::need_service_client::NeedServiceClient;
pub use capacity_hub::proto::offer_service_client::OfferServiceClient;
pub use capacity_hub::proto::partnership_service_client::PartnershipServiceClient;
pub use capacity_hub::proto::practice_service_client::PracticeServiceClient;
pub use capacity_hub::proto::search_service_client::SearchServiceClient;
pub use capacity_hub::proto::*;

/// How a test client reaches the server: gRPC over HTTP/2, or gRPC-Web over HTTP/1.1 as a
/// browser does (tonic-web's client layer over a plain HTTP/1.1 client).
#[derive(Clone)]
pub enum Transport {
    Grpc(Channel),
    GrpcWeb {
        client: Box<tonic_web::GrpcWebClientService<WebClient>>,
        /// `http://host:port` of the server: HTTP/1.1 requests name it in full.
        origin: String,
    },
}

/// The HTTP/1.1 client under gRPC-Web.
pub type WebClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    tonic_web::GrpcWebCall<tonic::body::Body>,
>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Transport {
    /// gRPC-Web to the server at `addr`.
    pub fn grpc_web(addr: std::net::SocketAddr) -> Transport {
        let http1 = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        Transport::GrpcWeb {
            client: Box::new(tonic_web::GrpcWebClientLayer::new().layer(http1)),
            origin: format!("http://{addr}"),
        }
    }
}

impl tower::Service<tonic::codegen::http::Request<tonic::body::Body>> for Transport {
    type Response = tonic::codegen::http::Response<tonic::body::Body>;
    type Error = BoxError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), BoxError>> {
        match self {
            Transport::Grpc(channel) => channel.poll_ready(cx).map_err(Into::into),
            Transport::GrpcWeb { client, .. } => client.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, mut request: tonic::codegen::http::Request<tonic::body::Body>) -> Self::Future {
        match self {
            Transport::Grpc(channel) => {
                let call = channel.call(request);
                Box::pin(async move { call.await.map_err(Into::into) })
            }
            Transport::GrpcWeb { client, origin } => {
                let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
                *request.uri_mut() = format!("{origin}{path}").parse().expect("a full uri");
                let call = client.call(request);
                Box::pin(async move {
                    let response = call.await?;
                    Ok(response.map(tonic::body::Body::new))
                })
            }
        }
    }
}

/// The admin token of test servers: the harness acts as the admin, who may act for any actor,
/// so the tests exercise the hub's rules rather than who may call what.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// Sends `authorization: Bearer <token>` with every request.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Bearer {
    pub fn new(token: &str) -> Bearer {
        Bearer(format!("Bearer {token}").parse().expect("a token is ASCII"))
    }

    pub fn admin() -> Bearer {
        Bearer::new(ADMIN_TOKEN)
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel whose requests carry the admin token.
pub type AdminChannel = InterceptedService<Channel, Bearer>;

/// The server binary running as a child process over a data directory, with [`ADMIN_TOKEN`]:
/// for tests that kill it, or trace its system calls. Killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Option<std::process::Child>,
    /// `http://host:port` the server listens on.
    pub url: String,
}

impl ServerProcess {
    /// Runs `capacity-hub serve` over `data_dir` on a free port.
    pub fn start(data_dir: &Path) -> ServerProcess {
        ServerProcess::start_under(&[], data_dir)
    }

    /// Runs the server under `wrapper` (a program and its arguments, such as `strace -f`), and
    /// waits until it logs the address it listens on.
    pub fn start_under(wrapper: &[&std::ffi::OsStr], data_dir: &Path) -> ServerProcess {
        ServerProcess::launch(wrapper, data_dir, &[], None).0
    }

    /// Runs `capacity-hub serve` over `data_dir` on a free port with `args` added, waits until
    /// it logs the address it listens on and then a line holding `key=`, and returns the server
    /// and that key's value: `start_logging(dir, &["--metrics-addr", "127.0.0.1:0"], "metrics")`
    /// gives the metrics endpoint's URL.
    pub fn start_logging(data_dir: &Path, args: &[&str], key: &str) -> (ServerProcess, String) {
        let (server, value) = ServerProcess::launch(&[], data_dir, args, Some(key));
        (server, value.expect("the server logs the value asked for"))
    }

    fn launch(
        wrapper: &[&std::ffi::OsStr],
        data_dir: &Path,
        args: &[&str],
        key: Option<&str>,
    ) -> (ServerProcess, Option<String>) {
        use std::io::{BufRead, BufReader};
        let binary = std::ffi::OsStr::new(env!("CARGO_BIN_EXE_capacity-hub"));
        let mut program = wrapper.iter().copied().chain([binary]);
        let mut command = std::process::Command::new(program.next().expect("a program"));
        let mut child = command
            .args(program)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env("CAPACITY_HUB_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server logs its address before exiting")
                .expect("readable log");
            if let Some(rest) = line.split("addr=").nth(1) {
                break rest.split_whitespace().next().expect("an address").to_string();
            }
        };
        let value = key.map(|key| {
            let field = format!("{key}=");
            loop {
                let line = lines
                    .next()
                    .unwrap_or_else(|| panic!("the server logs {field} before exiting"))
                    .expect("readable log");
                if let Some(rest) = line.split(field.as_str()).nth(1) {
                    break rest.split_whitespace().next().expect("a value").to_string();
                }
            }
        });
        std::thread::spawn(move || lines.for_each(drop));
        let server = ServerProcess {
            child: Some(child),
            url: format!("http://{addr}"),
        };
        (server, value)
    }

    /// The process started: the server, or the wrapper it runs under.
    pub fn child(&mut self) -> &mut std::process::Child {
        self.child.as_mut().expect("the process has not been killed")
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the server");
            child.wait().expect("reap the server");
        }
    }

    /// A new connection whose requests carry the admin token.
    pub async fn channel(&self) -> AdminChannel {
        let channel = Channel::from_shared(self.url.clone())
            .expect("a valid uri")
            .connect()
            .await
            .expect("connect");
        InterceptedService::new(channel, Bearer::admin())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How long a restart may wait for the previous server to let go of the store.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server over a data directory the test owns.
pub struct TestHub {
    dir: PathBuf,
    pub addr: std::net::SocketAddr,
    channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    /// Watches the hub the server owns, so a restart can wait until it is really gone.
    hub: Weak<Hub>,
    /// What the hub was opened with; a restart opens it with the same.
    settings: HubSettings,
}

impl TestHub {
    /// Starts a server over `dir` (empty or holding an earlier run's store).
    pub async fn start(dir: &Path) -> TestHub {
        TestHub::boot(dir, false, HubSettings::default()).await
    }

    /// Starts a server over `dir` whose hub is opened with `settings`.
    pub async fn start_with(dir: &Path, settings: HubSettings) -> TestHub {
        TestHub::boot(dir, false, settings).await
    }

    /// Starts a server over `dir` with the 2018 demo world loaded.
    pub async fn start_demo(dir: &Path) -> TestHub {
        TestHub::boot(dir, true, HubSettings::default()).await
    }

    async fn boot(dir: &Path, demo: bool, settings: HubSettings) -> TestHub {
        let hub = Arc::new(open_hub(dir, &settings).await);
        if demo {
            capacity_hub::demo::load(&hub).await.expect("the demo world loads");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let weak = Arc::downgrade(&hub);
        let server = tokio::spawn(async move {
            let options = ServerOptions {
                admin_token: Some(ADMIN_TOKEN.to_string()),
                ..ServerOptions::default()
            };
            capacity_hub::server::serve_with(listener, hub, options, async {
                let _ = stop_rx.await;
            })
            .await
            .expect("the server runs and shuts down cleanly");
        });
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("a valid uri")
            .connect()
            .await
            .expect("connect to the test server");
        TestHub {
            dir: dir.to_path_buf(),
            addr,
            channel,
            stop: Some(stop_tx),
            server: Some(server),
            hub: weak,
            settings,
        }
    }

    /// Stops the server (it flushes and drops the store) and starts a new one on the same data
    /// directory. Clients obtained before the restart point at the old address: get new ones.
    pub async fn restart(&mut self) {
        self.shutdown().await;
        *self = TestHub::boot(&self.dir, false, self.settings.clone()).await;
    }

    /// Stops the server and waits until its hub, and with it sled's lock, is gone.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("the server task ends without panicking");
        }
        // Background tasks the server aborted may still hold a clone for a moment.
        let deadline = tokio::time::Instant::now() + RELEASE_TIMEOUT;
        while self.hub.strong_count() > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the hub was still alive {RELEASE_TIMEOUT:?} after shutdown"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The connection without credentials (health and reflection need none).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The connection, every request carrying the admin token.
    pub fn admin_channel(&self) -> AdminChannel {
        InterceptedService::new(self.channel(), Bearer::admin())
    }

    pub fn actors(&self) -> ActorServiceClient<AdminChannel> {
        ActorServiceClient::new(self.admin_channel())
    }

    pub fn needs(&self) -> NeedServiceClient<AdminChannel> {
        NeedServiceClient::new(self.admin_channel())
    }

    pub fn offers(&self) -> OfferServiceClient<AdminChannel> {
        OfferServiceClient::new(self.admin_channel())
    }

    pub fn partnerships(&self) -> PartnershipServiceClient<AdminChannel> {
        PartnershipServiceClient::new(self.admin_channel())
    }

    pub fn matches(&self) -> MatchServiceClient<AdminChannel> {
        MatchServiceClient::new(self.admin_channel())
    }

    pub fn search(&self) -> SearchServiceClient<AdminChannel> {
        SearchServiceClient::new(self.admin_channel())
    }

    pub fn practices(&self) -> PracticeServiceClient<AdminChannel> {
        PracticeServiceClient::new(self.admin_channel())
    }

    /// The connection, every request carrying `token` (an actor's, from RegisterActor).
    pub fn channel_as(&self, token: &str) -> AdminChannel {
        InterceptedService::new(self.channel(), Bearer::new(token))
    }

    // ---- shortcuts that expect success -------------------------------------------------------

    /// Registers a national government of `country` (or a body without country when empty).
    pub async fn register(&self, name: &str, kind: ActorKind, country: &str) -> Actor {
        self.register_with(RegisterActorRequest {
            name: name.into(),
            kind: kind as i32,
            country: country.into(),
            languages: vec!["es".into(), "en".into()],
            ..Default::default()
        })
        .await
        .actor
        .expect("RegisterActor returns the actor")
    }

    pub async fn register_with(&self, request: RegisterActorRequest) -> RegisterActorResponse {
        self.actors()
            .register_actor(request)
            .await
            .expect("RegisterActor succeeds")
            .into_inner()
    }

    pub async fn submit(&self, request: SubmitNeedRequest) -> Need {
        self.needs()
            .submit_need(request)
            .await
            .expect("SubmitNeed succeeds")
            .into_inner()
    }

    pub async fn offer(&self, request: RegisterOfferRequest) -> Offer {
        self.offers()
            .register_offer(request)
            .await
            .expect("RegisterOffer succeeds")
            .into_inner()
    }

    pub async fn partner(&self, a: &str, b: &str, kind: PartnershipKind, trust: f64) -> Partnership {
        self.partnerships()
            .add_partnership(AddPartnershipRequest {
                actor_a: a.into(),
                actor_b: b.into(),
                kind: kind as i32,
                trust,
                ..Default::default()
            })
            .await
            .expect("AddPartnership succeeds")
            .into_inner()
    }

    /// Registers an actor that writes in one language, with a description (searchable) and a
    /// contact (never searchable).
    pub async fn register_written(
        &self,
        name: &str,
        kind: ActorKind,
        country: &str,
        language: &str,
        description: &str,
    ) -> Actor {
        self.register_with(RegisterActorRequest {
            name: name.into(),
            kind: kind as i32,
            country: country.into(),
            languages: vec![language.into()],
            description: description.into(),
            contact: "+1 555 0100, desk@example.org".into(),
            ..Default::default()
        })
        .await
        .actor
        .expect("RegisterActor returns the actor")
    }

    pub async fn publish(&self, request: SubmitPracticeRequest) -> Practice {
        self.practices()
            .submit_practice(request)
            .await
            .expect("SubmitPractice succeeds")
            .into_inner()
    }

    pub async fn get_practice(&self, id: &str) -> Practice {
        self.practices()
            .get_practice(GetPracticeRequest { id: id.into() })
            .await
            .expect("GetPractice succeeds")
            .into_inner()
    }

    pub async fn complete(&self, match_id: &str, requester_id: &str, rating: u32, lessons: &str) -> Match {
        self.matches()
            .complete_match(CompleteMatchRequest {
                match_id: match_id.into(),
                actor_id: requester_id.into(),
                rating,
                mgi_dimensions: vec![MgiDimension::WellbeingOfMigrants as i32],
                lessons_learned: lessons.into(),
            })
            .await
            .expect("CompleteMatch succeeds")
            .into_inner()
    }

    pub async fn propose(&self, need_id: &str, offer_id: &str) -> Match {
        self.matches()
            .propose_match(ProposeMatchRequest {
                need_id: need_id.into(),
                offer_id: offer_id.into(),
                ..Default::default()
            })
            .await
            .expect("ProposeMatch succeeds")
            .into_inner()
    }

    pub async fn respond(&self, match_id: &str, actor_id: &str, accept: bool) -> Match {
        self.matches()
            .respond_to_match(respond_request(match_id, actor_id, accept))
            .await
            .expect("RespondToMatch succeeds")
            .into_inner()
    }

    /// Candidates for a need, up to the maximum limit.
    pub async fn find_matches(&self, need_id: &str) -> Vec<MatchCandidate> {
        self.matches()
            .find_matches(FindMatchesRequest {
                need_id: need_id.into(),
                limit: 100,
            })
            .await
            .expect("FindMatches succeeds")
            .into_inner()
            .candidates
    }

    // ---- complete lists, paged ---------------------------------------------------------------

    pub async fn all_actors(&self, filter: ListActorsRequest) -> Vec<Actor> {
        let client = self.actors();
        collect_pages(filter, |mut request, token| {
            request.page_token = token;
            let mut client = client.clone();
            async move {
                let page = client.list_actors(request).await?.into_inner();
                Ok((page.actors, page.next_page_token))
            }
        })
        .await
        .unwrap_or_else(|status| panic!("ListActors failed: {status:?}"))
    }

    pub async fn all_needs(&self, filter: ListNeedsRequest) -> Vec<Need> {
        let client = self.needs();
        collect_pages(filter, |mut request, token| {
            request.page_token = token;
            let mut client = client.clone();
            async move {
                let page = client.list_needs(request).await?.into_inner();
                Ok((page.needs, page.next_page_token))
            }
        })
        .await
        .unwrap_or_else(|status| panic!("ListNeeds failed: {status:?}"))
    }

    pub async fn all_offers(&self, filter: ListOffersRequest) -> Vec<Offer> {
        let client = self.offers();
        collect_pages(filter, |mut request, token| {
            request.page_token = token;
            let mut client = client.clone();
            async move {
                let page = client.list_offers(request).await?.into_inner();
                Ok((page.offers, page.next_page_token))
            }
        })
        .await
        .unwrap_or_else(|status| panic!("ListOffers failed: {status:?}"))
    }

    pub async fn all_partnerships(&self, filter: ListPartnershipsRequest) -> Vec<Partnership> {
        let client = self.partnerships();
        collect_pages(filter, |mut request, token| {
            request.page_token = token;
            let mut client = client.clone();
            async move {
                let page = client.list_partnerships(request).await?.into_inner();
                Ok((page.partnerships, page.next_page_token))
            }
        })
        .await
        .unwrap_or_else(|status| panic!("ListPartnerships failed: {status:?}"))
    }

    pub async fn all_matches(&self, filter: ListMatchesRequest) -> Vec<Match> {
        let client = self.matches();
        collect_pages(filter, |mut request, token| {
            request.page_token = token;
            let mut client = client.clone();
            async move {
                let page = client.list_matches(request).await?.into_inner();
                Ok((page.matches, page.next_page_token))
            }
        })
        .await
        .unwrap_or_else(|status| panic!("ListMatches failed: {status:?}"))
    }

    pub async fn all_practices(&self, filter: ListPracticesRequest) -> Vec<Practice> {
        let client = self.practices();
        collect_pages(filter, |mut request, token| {
            request.page_token = token;
            let mut client = client.clone();
            async move {
                let page = client.list_practices(request).await?.into_inner();
                Ok((page.practices, page.next_page_token))
            }
        })
        .await
        .unwrap_or_else(|status| panic!("ListPractices failed: {status:?}"))
    }

    /// Every hit of a search, page after page (the page size is the request's). Fails the test on
    /// an error: the index lags behind writes, but a search that is well formed never fails.
    pub async fn search_all(&self, request: SearchRequest) -> Vec<SearchHit> {
        let client = self.search();
        let query = request.query.clone();
        collect_pages(request, |mut request, token| {
            request.page_token = token;
            let mut client = client.clone();
            async move {
                let page = client.search(request).await?.into_inner();
                Ok((page.hits, page.next_page_token))
            }
        })
        .await
        .unwrap_or_else(|status| panic!("Search({query:?}) failed: {status:?}"))
    }

    /// Polls until `request` finds the record `kind`/`id`, and returns its hit.
    pub async fn wait_until_found(&self, request: SearchRequest, kind: RecordKind, id: &str) -> SearchHit {
        let what = format!("Search({:?}) finds {kind:?} {id}", request.query);
        eventually(&what, async || {
            let hits = self.search_all(request.clone()).await;
            find_hit(&hits, kind, id).cloned().ok_or_else(|| describe_hits(&hits))
        })
        .await
    }

    /// Polls until `request` no longer finds the record `kind`/`id`.
    pub async fn wait_until_gone(&self, request: SearchRequest, kind: RecordKind, id: &str) {
        let what = format!("Search({:?}) no longer finds {kind:?} {id}", request.query);
        eventually(&what, async || {
            let hits = self.search_all(request.clone()).await;
            match find_hit(&hits, kind, id) {
                None => Ok(()),
                Some(_) => Err(describe_hits(&hits)),
            }
        })
        .await
    }

    /// FindRelated for a need; fails the test on an error.
    pub async fn related(&self, need_id: &str, limit: u32) -> Vec<RelatedItem> {
        self.matches()
            .find_related(FindRelatedRequest {
                need_id: need_id.into(),
                limit,
            })
            .await
            .unwrap_or_else(|status| panic!("FindRelated({need_id}) failed: {status:?}"))
            .into_inner()
            .items
    }

    /// Polls FindRelated(need_id, 50) until `ready` holds of its items, and returns them.
    pub async fn wait_until_related(
        &self,
        what: &str,
        need_id: &str,
        ready: impl Fn(&[RelatedItem]) -> bool,
    ) -> Vec<RelatedItem> {
        let what = format!("FindRelated({need_id}): {what}");
        eventually(&what, async || {
            let items = self.related(need_id, 50).await;
            if ready(&items) {
                Ok(items)
            } else {
                Err(format!("{items:#?}"))
            }
        })
        .await
    }

    /// How many actors, needs, offers, partnerships and matches the store holds.
    pub async fn counts(&self) -> Counts {
        Counts {
            actors: self.all_actors(ListActorsRequest::default()).await.len(),
            needs: self.all_needs(ListNeedsRequest::default()).await.len(),
            offers: self.all_offers(ListOffersRequest::default()).await.len(),
            partnerships: self.all_partnerships(ListPartnershipsRequest::default()).await.len(),
            matches: self.all_matches(ListMatchesRequest::default()).await.len(),
            practices: self.all_practices(ListPracticesRequest::default()).await.len(),
        }
    }
}

/// Opens the hub, retrying for a bounded time while a previous one still holds sled's lock.
async fn open_hub(dir: &Path, settings: &HubSettings) -> Hub {
    let deadline = tokio::time::Instant::now() + RELEASE_TIMEOUT;
    loop {
        match Hub::open(dir, settings.clone()) {
            Ok(hub) => return hub,
            Err(error) if tokio::time::Instant::now() < deadline => {
                eprintln!("Hub::open({}) failed, retrying: {error}", dir.display());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("Hub::open({}) failed: {error}", dir.display()),
        }
    }
}

/// Record counts of the store, as the List calls report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub actors: usize,
    pub needs: usize,
    pub offers: usize,
    pub partnerships: usize,
    pub matches: usize,
    /// Published practices.
    pub practices: usize,
}

/// Pages through a List call until next_page_token is empty. Fails the test on a loop (a token
/// seen twice) and on a non-empty page that says there is more but is empty.
pub async fn collect_pages<R, T, F, Fut>(request: R, mut page: F) -> Result<Vec<T>, Status>
where
    R: Clone,
    F: FnMut(R, String) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, String), Status>>,
{
    let mut items = Vec::new();
    let mut token = String::new();
    let mut seen_tokens = HashSet::new();
    loop {
        let (batch, next) = page(request.clone(), token).await?;
        items.extend(batch);
        if next.is_empty() {
            return Ok(items);
        }
        assert!(seen_tokens.insert(next.clone()), "page token {next:?} came back twice");
        assert!(seen_tokens.len() <= 10_000, "paging does not end");
        token = next;
    }
}

// ---- waiting for the search index -------------------------------------------------------------

/// How long a write may take to show in search and related items: the contract says about a
/// second; the tests allow ten, polling, so a slow machine does not fail them.
pub const INDEX_LAG: Duration = Duration::from_secs(10);

/// How often a test looks again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Calls `probe` every [`POLL_INTERVAL`] until it returns `Ok`, for at most [`INDEX_LAG`]; then
/// fails the test, saying `what` was awaited and what the last probe saw.
pub async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Result<T, String>) -> T {
    let deadline = tokio::time::Instant::now() + INDEX_LAG;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if tokio::time::Instant::now() >= deadline => {
                panic!("waited {INDEX_LAG:?} for: {what}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
}

/// The hit for record `kind`/`id`, if any.
pub fn find_hit<'a>(hits: &'a [SearchHit], kind: RecordKind, id: &str) -> Option<&'a SearchHit> {
    hits.iter().find(|hit| hit.id == id && hit.kind == kind as i32)
}

/// Hits as "kind id", for messages.
pub fn describe_hits(hits: &[SearchHit]) -> String {
    let listed: Vec<String> = hits
        .iter()
        .map(|hit| format!("{:?} {}", RecordKind::try_from(hit.kind).unwrap_or_default(), hit.id))
        .collect();
    format!("[{}]", listed.join(", "))
}

/// The passages a snippet marks as matched (between « and »), trimmed.
pub fn marked(snippet: &str) -> Vec<String> {
    let mut passages = Vec::new();
    let mut rest = snippet;
    while let Some(open) = rest.find('«') {
        let after = &rest[open + '«'.len_utf8()..];
        let Some(close) = after.find('»') else { break };
        passages.push(after[..close].trim().to_string());
        rest = &after[close + '»'.len_utf8()..];
    }
    passages
}

/// A search for `query` over every kind, 100 hits a page.
pub fn search_request(query: &str) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        page_size: 100,
        ..Default::default()
    }
}

/// A search for `query` over the given kinds only, 100 hits a page.
pub fn search_kinds(query: &str, kinds: &[RecordKind]) -> SearchRequest {
    SearchRequest {
        kinds: kinds.iter().map(|&kind| kind as i32).collect(),
        ..search_request(query)
    }
}

/// Checks what every related item must satisfy, whatever its kind.
#[track_caller]
pub fn assert_related_item_well_formed(item: &RelatedItem) {
    let kind = RelatedKind::try_from(item.kind).unwrap_or_default();
    assert_ne!(kind, RelatedKind::Unspecified, "an item of no kind: {item:?}");
    assert!(!item.id.is_empty() && !item.title.is_empty(), "{item:?}");
    assert!(!item.actor_id.is_empty(), "every item names its actor: {item:?}");
    assert!(item.score.is_finite(), "{item:?}");
    assert!(
        !item.reasons.is_empty() && item.reasons.iter().all(|reason| !reason.trim().is_empty()),
        "every item says why it is related, in words: {item:?}"
    );
    assert!(item.rating <= 5, "{item:?}");
    if !item.match_id.is_empty() {
        assert!(
            (1..=5).contains(&item.rating),
            "a completed match carries its rating: {item:?}"
        );
    }
    match kind {
        RelatedKind::OpenNeed => assert_eq!(item.need_status, NeedStatus::Open as i32, "{item:?}"),
        RelatedKind::PastNeed => assert!(
            item.need_status != NeedStatus::Open as i32 && item.need_status != NeedStatus::Unspecified as i32,
            "a past need is no longer open and says how it ended: {item:?}"
        ),
        _ => {}
    }
}

/// The item `id` of kind `kind`, if any.
pub fn find_item<'a>(items: &'a [RelatedItem], kind: RelatedKind, id: &str) -> Option<&'a RelatedItem> {
    items.iter().find(|item| item.id == id && item.kind == kind as i32)
}

// ---- the hub's own API (tests driving `Hub` directly, under tokio's paused clock) -------------

/// A day, for `tokio::time::advance` and settings in days.
pub const DAY: Duration = Duration::from_secs(24 * 3600);

/// Registers, in process, a national government in `country` working in `language`.
pub async fn register_government(
    hub: &capacity_hub::hub::Hub,
    name: &str,
    country: &str,
    language: &str,
) -> capacity_hub::domain::Actor {
    let profile = capacity_hub::domain::ActorProfile {
        name: name.into(),
        kind: capacity_hub::domain::ActorKind::NationalGovernment,
        country: Some(country.into()),
        languages: vec![language.into()],
        description: String::new(),
        contact: String::new(),
    };
    let (actor, _) = hub
        .register_actor(profile, "")
        .await
        .unwrap_or_else(|error| panic!("registering {name}: {error}"));
    actor
}

// ---- request builders ------------------------------------------------------------------------

/// Where an offer can deliver.
#[derive(Debug, Clone)]
pub enum Coverage {
    Countries(Vec<&'static str>),
    Regions(Vec<&'static str>),
    Worldwide,
}

/// A valid need: objectives `themes`, delivered by `modalities` in `countries` (empty: the
/// requester's country), at national level, in Spanish.
pub fn need_request(
    requester_id: &str,
    themes: &[u32],
    modalities: &[Modality],
    countries: &[&str],
) -> SubmitNeedRequest {
    SubmitNeedRequest {
        requester_id: requester_id.into(),
        title: format!("Capacity for objectives {themes:?}"),
        description: "Officials need help to put the objectives into practice.".into(),
        themes: themes.to_vec(),
        modalities: modalities.iter().map(|&m| m as i32).collect(),
        level: Level::National as i32,
        countries: countries.iter().map(|c| c.to_string()).collect(),
        languages: vec!["es".into()],
        urgency: Urgency::Normal as i32,
        ..Default::default()
    }
}

/// A valid offer of `provider_id` with capacity 5, in Spanish, for every level.
pub fn offer_request(
    provider_id: &str,
    themes: &[u32],
    modalities: &[Modality],
    coverage: Coverage,
) -> RegisterOfferRequest {
    let (countries, regions, worldwide) = match coverage {
        Coverage::Countries(c) => (c.into_iter().map(String::from).collect(), Vec::new(), false),
        Coverage::Regions(r) => (Vec::new(), r.into_iter().map(String::from).collect(), false),
        Coverage::Worldwide => (Vec::new(), Vec::new(), true),
    };
    RegisterOfferRequest {
        provider_id: provider_id.into(),
        title: format!("Support on objectives {themes:?}"),
        description: "Experienced trainers and advisers.".into(),
        themes: themes.to_vec(),
        modalities: modalities.iter().map(|&m| m as i32).collect(),
        countries,
        regions,
        worldwide,
        languages: vec!["es".into()],
        capacity: 5,
        ..Default::default()
    }
}

/// A need written by its requester in `language`, for training at national level.
pub fn written_need(
    requester_id: &str,
    themes: &[u32],
    countries: &[&str],
    language: &str,
    title: &str,
    description: &str,
) -> SubmitNeedRequest {
    SubmitNeedRequest {
        title: title.into(),
        description: description.into(),
        languages: vec![language.into()],
        ..need_request(requester_id, themes, &[Modality::Training], countries)
    }
}

/// An offer of training written by its provider in `language`, delivered in `countries`.
pub fn written_offer(
    provider_id: &str,
    themes: &[u32],
    countries: &[&'static str],
    language: &str,
    title: &str,
    description: &str,
) -> RegisterOfferRequest {
    RegisterOfferRequest {
        title: title.into(),
        description: description.into(),
        languages: vec![language.into()],
        ..offer_request(
            provider_id,
            themes,
            &[Modality::Training],
            Coverage::Countries(countries.to_vec()),
        )
    }
}

/// A valid practice of `author_id` on `themes` in `countries` (empty: the author's country), in
/// English, without partners or links.
pub fn practice_request(author_id: &str, themes: &[u32], countries: &[&str]) -> SubmitPracticeRequest {
    SubmitPracticeRequest {
        author_id: author_id.into(),
        title: format!("What we did on objectives {themes:?}"),
        description: "Officials ran the programme with local partners for two years.".into(),
        themes: themes.to_vec(),
        countries: countries.iter().map(|c| c.to_string()).collect(),
        results: "Most participants finished the course.".into(),
        lessons_learned: "Start with the people who will use the tools.".into(),
        languages: vec!["en".into()],
        ..Default::default()
    }
}

/// A practice written by its author in `language`.
pub fn written_practice(
    author_id: &str,
    themes: &[u32],
    countries: &[&str],
    language: &str,
    title: &str,
    description: &str,
) -> SubmitPracticeRequest {
    SubmitPracticeRequest {
        title: title.into(),
        description: description.into(),
        results: String::new(),
        lessons_learned: String::new(),
        languages: vec![language.into()],
        ..practice_request(author_id, themes, countries)
    }
}

pub fn respond_request(match_id: &str, actor_id: &str, accept: bool) -> RespondToMatchRequest {
    RespondToMatchRequest {
        match_id: match_id.into(),
        actor_id: actor_id.into(),
        accept,
        reason: if accept { "fits our plans" } else { "not now" }.into(),
    }
}

// ---- assertions ------------------------------------------------------------------------------

/// Asserts that `result` failed with `code` and a message containing `needle`.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, needle: &str) -> Status {
    match result {
        Ok(value) => panic!("expected {code:?} mentioning {needle:?}, got Ok({value:?})"),
        Err(status) => {
            assert_eq!(
                status.code(),
                code,
                "expected {code:?} mentioning {needle:?}, got {:?}: {}",
                status.code(),
                status.message()
            );
            assert!(
                status.message().contains(needle),
                "{code:?} message {:?} does not mention {needle:?}",
                status.message()
            );
            if let Err(problem) = readable_details(&status, needle) {
                panic!("{code:?} {:?}: {problem}", status.message());
            }
            status
        }
    }
}

/// The reasons the README's error table lists, each with the code it gives
/// (`FAILED_PRECONDITION`).
pub fn listed_reasons() -> std::collections::HashMap<String, String> {
    include_str!("../../README.md")
        .lines()
        .filter_map(|line| {
            let (reason, rest) = line.strip_prefix("| `")?.split_once("` | ")?;
            let code = rest.split(" |").next()?;
            let named = |text: &str| !text.is_empty() && text.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            (named(reason) && named(code)).then(|| (reason.to_string(), code.to_string()))
        })
        .collect()
}

/// The README's name of a gRPC code (`FAILED_PRECONDITION`).
fn code_name(code: Code) -> String {
    let mut name = String::new();
    for (at, c) in format!("{code:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && at > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

/// Checks the details a program reads (AIP-193): an ErrorInfo of the hub's domain with a reason
/// the README lists with this status's code, and for INVALID_ARGUMENT a BadRequest with a violation whose `field: rule`
/// holds `needle` (a field, words of its rule, or both as the message says them).
pub fn readable_details(status: &Status, needle: &str) -> Result<(), String> {
    use tonic_types::StatusExt;
    let info = status
        .get_details_error_info()
        .ok_or("no google.rpc.ErrorInfo in the details")?;
    if info.domain != "capacity-hub" {
        return Err(format!("ErrorInfo.domain is {:?}", info.domain));
    }
    match listed_reasons().get(&info.reason) {
        None => return Err(format!("reason {:?} is not in the README's error table", info.reason)),
        Some(code) if *code != code_name(status.code()) => {
            return Err(format!(
                "reason {} comes with {:?}, the README says {code}",
                info.reason,
                status.code()
            ));
        }
        Some(_) => {}
    }
    if status.code() == Code::InvalidArgument {
        let bad = status
            .get_details_bad_request()
            .ok_or("INVALID_ARGUMENT without a google.rpc.BadRequest")?;
        let named = bad
            .field_violations
            .iter()
            .any(|v| format!("{}: {}", v.field, v.description).contains(needle));
        if !named {
            return Err(format!(
                "no field violation names {needle:?}: {:?}",
                bad.field_violations
            ));
        }
    }
    Ok(())
}

/// The component of an explanation called `name`.
#[track_caller]
pub fn component<'a>(candidate: &'a MatchCandidate, name: &str) -> &'a ScoreComponent {
    candidate
        .explanation
        .as_ref()
        .expect("every candidate is explained")
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name} in {:?}", candidate.explanation))
}

/// Offer ids of candidates, in rank order.
pub fn offer_ids(candidates: &[MatchCandidate]) -> Vec<String> {
    candidates
        .iter()
        .map(|c| c.offer.as_ref().expect("candidate offer").id.clone())
        .collect()
}

/// The reason of the status's ErrorInfo, or an empty string.
pub fn reason_of(status: &Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}
