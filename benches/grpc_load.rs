//! gRPC load benchmark: the real `capacity-hub` server binary as a child process on loopback,
//! driven only through the generated tonic clients. It measures:
//!
//! - start-up: from spawning the server to `grpc.health.v1.Health/Check` answering SERVING (open
//!   the store, rebuild the partnership graph, listen);
//! - the no-op RPC, `Health/Check`, with 1, 16 and 64 calls in flight;
//! - `MatchService.FindMatches` (limit 10) with 1 and 16 calls in flight, cycling through a
//!   deterministic, evenly spaced sample of the open needs that `NeedService.ListNeeds` returns;
//! - the no-op RPC from one client while 4 others (each on its own connection) run
//!   `MatchService.FindBundles` and `PartnershipService.SuggestPartners`: heavy calls must not
//!   stall light ones;
//! - durable `NeedService.SubmitNeed` from 1 client (the latency a requester sees) and from 64
//!   concurrent clients, each on its own connection, and beside it the ceiling that sled with
//!   the hub's sync allows for writes of the same shape (64 writers in this process on a fresh
//!   sled database; see `grpc_load/ceiling.rs`), and the ratio of the two;
//! - the server's resident memory (VmRSS) and peak (VmHWM) right after start-up and at the end;
//! - the server's request counters from its Prometheus endpoint (`--metrics-addr`), before and
//!   after the workloads, and how far each moved;
//! - `AdminService.Backup` streamed to the client and discarded: its time, and how much the
//!   server's VmRSS grew while it ran (sampled every 20 ms), after the server has been left idle
//!   for a few seconds (its growth then is printed too: the search indexer's last commit and
//!   merges, which are not the backup's).
//!
//! Every workload runs for `--seconds` (default 10) after a warm-up of `--warmup-seconds` (default
//! 1); a client task issues its next call as soon as the previous one is answered, and every call
//! is timed on the client. Figures are for the whole loop on one machine: the clients and the
//! server share its cores. Any failed call is counted by status code, and fails the run once the
//! figures are printed.
//!
//! ```sh
//! target/release/capacity-hub generate --tier s --data-dir /tmp/grpcbench/S
//! cargo bench --bench grpc_load -- --data-dir /tmp/grpcbench/S [--seconds 10] [--needs 1000]
//! ```
//!
//! The SubmitNeed workload adds needs to the store: point `--data-dir` at a copy you can discard.
//! The needs it adds carry a title starting with "grpc_load bench", and later runs leave them out
//! of the FindMatches sample. Without `--data-dir` the benchmark generates a tier S world in a
//! temporary directory. Without the `--bench` flag that `cargo bench` passes (as under
//! `cargo test --benches`) it is a smoke test: 1 s per workload, no warm-up.

/// The server's allocator (see `src/main.rs`), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use capacity_hub::proto::actor_service_client::ActorServiceClient;
use capacity_hub::proto::admin_service_client::AdminServiceClient;
use capacity_hub::proto::match_service_client::MatchServiceClient;
use capacity_hub::proto::need_service_client::NeedServiceClient;
use capacity_hub::proto::partnership_service_client::PartnershipServiceClient;
use capacity_hub::proto::{
    BackupRequest, FindBundlesRequest, FindMatchesRequest, Level, ListActorsRequest, ListNeedsRequest, NeedStatus,
    SubmitNeedRequest, SuggestPartnersRequest, Urgency,
};
use clap::Parser;
use tempfile::TempDir;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[path = "grpc_load/ceiling.rs"]
mod ceiling;

/// Any failure of the benchmark, with a message saying what went wrong.
type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Calls in flight of the "many clients" read workloads.
const MANY: usize = 16;
/// Concurrent SubmitNeed clients, and no-op calls in flight to compare them with.
const WRITERS: usize = 64;
/// Clients running FindBundles and SuggestPartners while one more sends health checks.
const HEAVY: usize = 4;
/// Candidates asked of FindMatches.
const MATCH_LIMIT: u32 = 10;
/// List page size (the maximum the hub allows).
const PAGE_SIZE: i32 = 500;
/// Titles of the needs this benchmark submits start with this.
const BENCH_TITLE: &str = "grpc_load bench";
/// GCM objectives are numbered 1 to 23.
const OBJECTIVES: usize = 23;
/// Modalities are numbered 1 to 9 in the proto.
const MODALITIES: usize = 9;
/// How often start-up is polled.
const READY_POLL: Duration = Duration::from_millis(10);

/// Command line: `cargo bench --bench grpc_load -- --data-dir DIR [--seconds S] [--needs N]`.
#[derive(Parser, Debug)]
#[command(about = "Load on the capacity-hub server over gRPC on loopback")]
struct Args {
    /// Data directory the server opens (a world from `capacity-hub generate`); SubmitNeed writes
    /// to it. Default: a tier S world generated in a temporary directory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Measured seconds per workload [default: 10, or 1 without --bench].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: Option<u64>,
    /// Warm-up seconds before each workload's measurement [default: 1, or 0 without --bench].
    #[arg(long)]
    warmup_seconds: Option<u64>,
    /// Open needs in the FindMatches sample.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    needs: u64,
    /// Microseconds the server (and the sled ceiling) gather writes before each sync: the
    /// server's `--commit-delay-us`.
    #[arg(long, default_value_t = 0)]
    commit_delay_us: u64,
    /// How long the server may take to answer SERVING.
    #[arg(long, default_value_t = 600)]
    ready_timeout_secs: u64,
    /// Passed by `cargo bench`; without it (`cargo test --benches`) the run is a short smoke test.
    #[arg(long, hide = true)]
    bench: bool,
}

impl Args {
    /// The workloads' durations: the flags, else the defaults of a benchmark or a smoke test.
    fn timing(&self) -> Timing {
        let (measured, warmup) = if self.bench { (10, 1) } else { (1, 0) };
        Timing {
            warmup: Duration::from_secs(self.warmup_seconds.unwrap_or(warmup)),
            measured: Duration::from_secs(self.seconds.unwrap_or(measured)),
        }
    }
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    let args = Args::parse();
    let world = World::open_or_generate(args.data_dir.as_deref())?;
    let admin_token = admin_token();
    let started = Instant::now();
    let mut server = ServerProcess::spawn(&world.dir, &admin_token, args.commit_delay_us)?;
    let ready = server
        .wait_until_serving(Duration::from_secs(args.ready_timeout_secs))
        .await?;
    let startup = started.elapsed();
    let memory_ready = Memory::of(server.pid());
    eprintln!("server ready in {:.3} s", startup.as_secs_f64());

    let bench = Bench::prepare(&server, &ready, admin_token, args.needs as usize, args.timing()).await?;
    let counted_before = server.request_counters()?;
    let mut rows = bench.run_all().await?;
    let counted_after = server.request_counters()?;
    let memory_end = Memory::of(server.pid());
    let backup = measure_backup(&server, &bench.token).await?;
    let beside = world.dir.parent().unwrap_or(&world.dir);
    let commit_delay = Duration::from_micros(args.commit_delay_us);
    rows.ceiling_64 = Some(ceiling::measure_ceiling(beside, WRITERS, commit_delay, bench.timing).await?);

    let report = Report {
        data_dir: world.dir.display().to_string(),
        timing: bench.timing,
        startup,
        needs_sampled: bench.sample.ids.len(),
        open_needs: bench.sample.open,
        requesters: bench.requesters.len(),
        memory_ready,
        memory_end,
        backup,
        rows,
    };
    report.print();
    print_counters(&counted_before, &counted_after);
    report.failures()
}

/// A fresh admin token for this run (the server requires at least 16 characters).
fn admin_token() -> String {
    format!("grpc-load-{:032x}", rand::random::<u128>())
}

/// The data directory the server runs on.
struct World {
    dir: PathBuf,
    /// Holds a generated world, deleted when the benchmark ends.
    _generated: Option<TempDir>,
}

impl World {
    /// `dir` when given (it must exist); otherwise a tier S world in a temporary directory.
    fn open_or_generate(dir: Option<&Path>) -> BenchResult<World> {
        match dir {
            Some(dir) if dir.is_dir() => Ok(World {
                dir: dir.to_path_buf(),
                _generated: None,
            }),
            Some(dir) => Err(format!(
                "{} is not a directory (make a world with `capacity-hub generate`)",
                dir.display()
            )
            .into()),
            None => World::generate(),
        }
    }

    /// Runs `capacity-hub generate --tier s` into a new temporary directory.
    fn generate() -> BenchResult<World> {
        let temp = tempfile::tempdir()?;
        let dir = temp.path().join("S");
        eprintln!("no --data-dir: generating a tier S world in {}", dir.display());
        let output = Command::new(env!("CARGO_BIN_EXE_capacity-hub"))
            .args(["generate", "--tier", "s", "--data-dir"])
            .arg(&dir)
            .output()?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!("capacity-hub generate failed ({}): {stderr}", output.status).into());
        }
        Ok(World {
            dir,
            _generated: Some(temp),
        })
    }
}

// ---- the server process ------------------------------------------------------------------------

/// The server binary running as a child process; killed and reaped when dropped, also when the
/// benchmark fails or panics.
struct ServerProcess {
    child: Child,
    url: String,
    /// `host:port` of the server's Prometheus endpoint.
    metrics: String,
}

impl ServerProcess {
    /// Starts `capacity-hub serve` over `data_dir` on a free loopback port, with `token` as the
    /// admin token.
    fn spawn(data_dir: &Path, token: &str, commit_delay_us: u64) -> BenchResult<ServerProcess> {
        let addr = format!("127.0.0.1:{}", free_port()?);
        let metrics = format!("127.0.0.1:{}", free_port()?);
        let child = Command::new(env!("CARGO_BIN_EXE_capacity-hub"))
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--addr", &addr])
            .args(["--commit-delay-us", &commit_delay_us.to_string()])
            .args(["--metrics-addr", &metrics])
            .env("CAPACITY_HUB_ADMIN_TOKEN", token)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| format!("cannot start the server binary: {error}"))?;
        Ok(ServerProcess {
            child,
            url: format!("http://{addr}"),
            metrics,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's request counters from its Prometheus endpoint, as `curl .../metrics` shows
    /// them: `capacity_hub_rpc_requests_total` by its labels.
    fn request_counters(&self) -> BenchResult<HashMap<String, f64>> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.metrics)?;
        write!(stream, "GET /metrics HTTP/1.0\r\nHost: {}\r\n\r\n", self.metrics)?;
        let mut text = String::new();
        stream.read_to_string(&mut text)?;
        let counters = text
            .lines()
            .filter_map(|line| line.strip_prefix("capacity_hub_rpc_requests_total"))
            .filter_map(|rest| rest.rsplit_once(' '))
            .filter_map(|(labels, value)| Some((labels.to_string(), value.parse().ok()?)))
            .collect();
        Ok(counters)
    }

    /// Polls the standard health check until it answers SERVING, and returns the connection that
    /// saw it. Fails when the server exits or `timeout` passes first.
    async fn wait_until_serving(&mut self, timeout: Duration) -> BenchResult<Channel> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("the server exited before it was ready: {status}").into());
            }
            if let Ok(channel) = connect(&self.url).await
                && is_serving(channel.clone()).await
            {
                return Ok(channel);
            }
            if Instant::now() >= deadline {
                return Err(format!("the server did not answer SERVING within {timeout:?}").into());
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGKILL: the hub acknowledges only durable writes, and the benchmark wants no more of it.
        if let Err(error) = self.child.kill() {
            eprintln!("could not kill the server (pid {}): {error}", self.child.id());
        }
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago: bound to port 0, then released for the server.
fn free_port() -> BenchResult<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// True when the overall health check answers SERVING.
async fn is_serving(channel: Channel) -> bool {
    let answer = HealthClient::new(channel).check(HealthCheckRequest::default()).await;
    answer.is_ok_and(|response| response.into_inner().status == ServingStatus::Serving as i32)
}

/// The server's resident memory, from `/proc/<pid>/status` (Linux only).
#[derive(Clone, Copy)]
struct Memory {
    /// VmRSS: resident now, in KiB.
    rss_kib: u64,
    /// VmHWM: the peak resident set so far, in KiB.
    peak_kib: u64,
}

impl Memory {
    /// Reads it; None where `/proc` is unavailable or says nothing about it.
    fn of(pid: u32) -> Option<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        Some(Memory {
            rss_kib: status_kib(&status, "VmRSS:")?,
            peak_kib: status_kib(&status, "VmHWM:")?,
        })
    }
}

/// The value of a `Name:   1234 kB` line of `/proc/<pid>/status`.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// How far the server's request counters moved during the workloads, as its metrics endpoint
/// said before and after them.
fn print_counters(before: &HashMap<String, f64>, after: &HashMap<String, f64>) {
    println!("\n| capacity_hub_rpc_requests_total, moved during the workloads (GET /metrics) | calls |");
    println!("|---|---:|");
    let mut moved: Vec<(&String, f64)> = after
        .iter()
        .map(|(labels, count)| (labels, count - before.get(labels).copied().unwrap_or(0.0)))
        .filter(|(_, moved)| *moved > 0.0)
        .collect();
    moved.sort_by(|a, b| a.0.cmp(b.0));
    for (labels, count) in moved {
        println!("| `{labels}` | {count} |");
    }
}

/// How long the server is left idle after the workloads before its backup is measured: the
/// search indexer commits what the last SubmitNeed workload filed within a second of the last
/// write, and merges segments after that, and neither is the backup's memory.
const SETTLE: Duration = Duration::from_secs(5);

/// What taking a backup cost the server.
struct BackupFigures {
    bytes: u64,
    entries: u64,
    elapsed: Duration,
    /// The largest VmRSS sampled while the server was left idle for [`SETTLE`] before the
    /// backup, less VmRSS when it was left. Each memory figure is `None` where `/proc` did not
    /// say.
    rss_growth_idle_kib: Option<u64>,
    rss_before_kib: Option<u64>,
    /// The largest VmRSS sampled during the backup, less VmRSS before it.
    rss_growth_kib: Option<u64>,
    /// How far the backup raised the server's peak resident set (VmHWM): 0 when the backup stayed
    /// below the peak so far.
    peak_raised_kib: Option<u64>,
}

/// VmRSS of process `pid` when `work` starts, and the largest sampled every 20 ms until it ends,
/// `work` and the sampling taking turns in one task.
async fn rss_while<T>(pid: u32, work: impl Future<Output = T>) -> (Option<u64>, Option<u64>, T) {
    let rss = move || Memory::of(pid).map(|memory| memory.rss_kib);
    let before = rss();
    let mut largest = before;
    let mut every = tokio::time::interval(Duration::from_millis(20));
    tokio::pin!(work);
    let output = loop {
        tokio::select! {
            output = &mut work => break output,
            _ = every.tick() => largest = largest.max(rss()),
        }
    };
    (before, largest.max(rss()), output)
}

/// How far a figure rose from `from` to `to`, if both are known.
fn rise(from: Option<u64>, to: Option<u64>) -> Option<u64> {
    Some(to?.saturating_sub(from?))
}

/// Streams a backup from the server, discarding it, while sampling the server's VmRSS, once the
/// server has been left idle for [`SETTLE`].
async fn measure_backup(server: &ServerProcess, token: &str) -> BenchResult<BackupFigures> {
    eprintln!(
        "Idle for {} s, then a backup, streamed and discarded...",
        SETTLE.as_secs()
    );
    let pid = server.pid();
    let (idle_from, idle_largest, ()) = rss_while(pid, tokio::time::sleep(SETTLE)).await;
    let peak = move || Memory::of(pid).map(|memory| memory.peak_kib);
    let peak_before = peak();
    let (rss_before_kib, largest, streamed) = rss_while(pid, async {
        let started = Instant::now();
        let channel = connect(&server.url).await?;
        let mut admin = AdminServiceClient::new(with_token(&channel, token)?);
        let mut stream = admin.backup(BackupRequest {}).await?.into_inner();
        let (mut bytes, mut entries) = (0, 0);
        while let Some(chunk) = stream.message().await? {
            bytes += chunk.data.len() as u64;
            entries = entries.max(chunk.entries);
        }
        BenchResult::Ok((bytes, entries, started.elapsed()))
    })
    .await;
    let (bytes, entries, elapsed) = streamed?;
    Ok(BackupFigures {
        bytes,
        entries,
        elapsed,
        rss_growth_idle_kib: rise(idle_from, idle_largest),
        rss_before_kib,
        rss_growth_kib: rise(rss_before_kib, largest),
        peak_raised_kib: rise(peak_before, peak()),
    })
}

// ---- connections and setup data ----------------------------------------------------------------

/// Sends `authorization: Bearer <admin token>` with every request.
#[derive(Clone)]
struct Bearer(MetadataValue<Ascii>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A connection whose requests carry the admin token.
type Authed = InterceptedService<Channel, Bearer>;

/// `channel` with the admin token on every request.
fn with_token(channel: &Channel, token: &str) -> BenchResult<Authed> {
    let value = format!("Bearer {token}").parse()?;
    Ok(InterceptedService::new(channel.clone(), Bearer(value)))
}

/// One HTTP/2 connection to the server.
async fn connect(url: &str) -> BenchResult<Channel> {
    let endpoint = Endpoint::from_shared(url.to_string())?.connect_timeout(Duration::from_secs(1));
    Ok(endpoint.connect().await?)
}

/// `count` separate connections, as `count` independent clients would have.
async fn connect_many(url: &str, count: usize) -> BenchResult<Vec<Channel>> {
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        channels.push(connect(url).await?);
    }
    Ok(channels)
}

/// The FindMatches sample.
struct NeedSample {
    /// Evenly spaced over the open needs in creation order, so the same store gives the same sample.
    ids: Arc<[String]>,
    /// The requester of each need in `ids`, in the same order.
    requesters: Arc<[String]>,
    /// Open needs the store holds (the benchmark's own left out).
    open: usize,
}

/// Pages through every open need and keeps `count` of them, evenly spaced.
async fn sample_open_needs(mut client: NeedServiceClient<Authed>, count: usize) -> BenchResult<NeedSample> {
    let mut open = Vec::new();
    let mut request = ListNeedsRequest {
        status: NeedStatus::Open as i32,
        page_size: PAGE_SIZE,
        ..Default::default()
    };
    loop {
        let page = client.list_needs(request.clone()).await?.into_inner();
        let theirs = page
            .needs
            .into_iter()
            .filter(|need| !need.title.starts_with(BENCH_TITLE));
        open.extend(theirs.map(|need| (need.id, need.requester_id)));
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if open.is_empty() {
        return Err("the store holds no open need to match (make a world with `capacity-hub generate`)".into());
    }
    let kept = count.min(open.len());
    let (ids, requesters): (Vec<String>, Vec<String>) = (0..kept).map(|i| open[i * open.len() / kept].clone()).unzip();
    Ok(NeedSample {
        ids: ids.into(),
        requesters: requesters.into(),
        open: open.len(),
    })
}

/// An actor in whose name needs are submitted.
struct Requester {
    id: String,
    country: String,
}

/// Every actor with a country, in creation order: the more requesters take turns, the fewer
/// needs each one accumulates during the run.
async fn requesters(mut client: ActorServiceClient<Authed>) -> BenchResult<Arc<[Requester]>> {
    let mut found = Vec::new();
    let mut request = ListActorsRequest {
        page_size: PAGE_SIZE,
        ..Default::default()
    };
    loop {
        let page = client.list_actors(request.clone()).await?.into_inner();
        let located = page.actors.into_iter().filter(|actor| !actor.country.is_empty());
        found.extend(located.map(|actor| Requester {
            id: actor.id,
            country: actor.country,
        }));
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if found.is_empty() {
        return Err("the store holds no actor with a country to submit needs for".into());
    }
    Ok(found.into())
}

// ---- the calls ---------------------------------------------------------------------------------

/// One client's request: each call issues one RPC and waits for its answer.
trait Call: Send + 'static {
    fn call(&mut self) -> impl Future<Output = Result<(), Status>> + Send + '_;
}

/// The no-op RPC: the overall health check.
struct HealthCheck(HealthClient<Channel>);

impl Call for HealthCheck {
    async fn call(&mut self) -> Result<(), Status> {
        let status = self.0.check(HealthCheckRequest::default()).await?.into_inner().status;
        if status == ServingStatus::Serving as i32 {
            Ok(())
        } else {
            Err(Status::unavailable(format!("health status {status}")))
        }
    }
}

/// FindMatches over the sample, cycling from a starting point of its own.
struct FindMatches {
    client: MatchServiceClient<Authed>,
    needs: Arc<[String]>,
    next: usize,
}

impl Call for FindMatches {
    async fn call(&mut self) -> Result<(), Status> {
        let need_id = self.needs[self.next % self.needs.len()].clone();
        self.next += 1;
        let request = FindMatchesRequest {
            need_id,
            limit: MATCH_LIMIT,
        };
        self.client.find_matches(request).await.map(drop)
    }
}

/// FindBundles over the sample, cycling from a starting point of its own.
struct FindBundles {
    client: MatchServiceClient<Authed>,
    needs: Arc<[String]>,
    next: usize,
}

impl Call for FindBundles {
    async fn call(&mut self) -> Result<(), Status> {
        let need_id = self.needs[self.next % self.needs.len()].clone();
        self.next += 1;
        let request = FindBundlesRequest {
            need_id,
            max_bundles: 3,
        };
        self.client.find_bundles(request).await.map(drop)
    }
}

/// SuggestPartners for the requesters of the sample's needs, each with its need.
struct SuggestPartners {
    client: PartnershipServiceClient<Authed>,
    sample: (Arc<[String]>, Arc<[String]>),
    next: usize,
}

impl Call for SuggestPartners {
    async fn call(&mut self) -> Result<(), Status> {
        let (needs, requesters) = &self.sample;
        let at = self.next % needs.len();
        self.next += 1;
        let request = SuggestPartnersRequest {
            actor_id: requesters[at].clone(),
            need_id: needs[at].clone(),
            limit: MATCH_LIMIT,
        };
        self.client.suggest_partners(request).await.map(drop)
    }
}

/// SubmitNeed of valid, distinct needs with unique request ids, in turn for several requesters.
struct SubmitNeed {
    client: NeedServiceClient<Authed>,
    requesters: Arc<[Requester]>,
    /// Tells this run's request ids from earlier runs' over the same store.
    run: u64,
    /// This client's number among the writers.
    writer: usize,
    sent: usize,
}

impl SubmitNeed {
    /// The next need: objectives, modality and requester vary with the writer and the count.
    fn next_request(&mut self) -> SubmitNeedRequest {
        let (writer, sent) = (self.writer, self.sent);
        self.sent += 1;
        let requester = &self.requesters[(writer * 31 + sent) % self.requesters.len()];
        let first = (writer * 7 + sent) % OBJECTIVES;
        // 11 is not a multiple of 23, so the two objectives differ.
        let themes = vec![first as u32 + 1, ((first + 11) % OBJECTIVES) as u32 + 1];
        SubmitNeedRequest {
            requester_id: requester.id.clone(),
            title: format!("{BENCH_TITLE} need {writer}-{sent}"),
            description: "Submitted by the grpc_load benchmark.".into(),
            themes,
            modalities: vec![((writer + sent) % MODALITIES) as i32 + 1],
            level: Level::National as i32,
            countries: vec![requester.country.clone()],
            languages: vec!["en".into()],
            urgency: Urgency::Normal as i32,
            request_id: format!("grpc-load-{:016x}-{writer}-{sent}", self.run),
            ..Default::default()
        }
    }
}

impl Call for SubmitNeed {
    async fn call(&mut self) -> Result<(), Status> {
        let request = self.next_request();
        self.client.submit_need(request).await.map(drop)
    }
}

// ---- running a workload ------------------------------------------------------------------------

/// How long each workload runs.
#[derive(Clone, Copy)]
struct Timing {
    warmup: Duration,
    measured: Duration,
}

/// When a workload's calls count, and when its clients stop.
#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    until: Instant,
}

/// What client tasks saw: latencies of the calls answered in the measured window, and every
/// failure by status code, warm-up included.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: HashMap<Code, u64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        for (code, count) in other.errors {
            *self.errors.entry(code).or_default() += count;
        }
    }
}

/// One client: calls back to back until the window closes, timing the calls started in it.
async fn drive<C: Call>(mut caller: C, window: Window) -> Tally {
    let mut tally = Tally::default();
    loop {
        let start = Instant::now();
        if start >= window.until {
            return tally;
        }
        let result = caller.call().await;
        let latency = start.elapsed();
        match result {
            Ok(()) if start >= window.measure_from => tally.latencies.push(latency),
            Ok(()) => {}
            Err(status) => *tally.errors.entry(status.code()).or_default() += 1,
        }
    }
}

/// Runs one client task per caller for the warm-up and the measured time, and sums them up.
async fn measure<C: Call>(name: &'static str, clients: Clients, callers: Vec<C>, timing: Timing) -> BenchResult<Row> {
    eprintln!("{name}, {} in flight ({clients})...", clients.tasks());
    let now = Instant::now();
    let window = Window {
        measure_from: now + timing.warmup,
        until: now + timing.warmup + timing.measured,
    };
    let tasks: Vec<_> = callers
        .into_iter()
        .map(|caller| tokio::spawn(drive(caller, window)))
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await?);
    }
    Ok(Row::new(name, clients, tally, timing.measured))
}

/// The figures of every workload, in the order they ran.
struct Rows {
    noop_1: Row,
    noop_16_shared: Row,
    noop_16: Row,
    find_1: Row,
    find_16: Row,
    noop_64: Row,
    /// Health checks from one client while [`HEAVY`] others run FindBundles and SuggestPartners.
    noop_beside_heavy: Row,
    bundles_heavy: Row,
    suggest_heavy: Row,
    /// SubmitNeed from one client: the latency one requester sees.
    submit_1: Row,
    submit_64: Row,
    /// The sled ceiling for SubmitNeed's shape, measured after the server's workloads.
    ceiling_64: Option<Row>,
}

impl Rows {
    /// Every row, in the order the workloads ran.
    fn all(&self) -> Vec<&Row> {
        let server = [
            &self.noop_1,
            &self.noop_16_shared,
            &self.noop_16,
            &self.find_1,
            &self.find_16,
            &self.noop_64,
            &self.noop_beside_heavy,
            &self.bundles_heavy,
            &self.suggest_heavy,
            &self.submit_1,
            &self.submit_64,
        ];
        server.into_iter().chain(&self.ceiling_64).collect()
    }
}

/// How a workload's client tasks reach the server.
#[derive(Clone, Copy)]
enum Clients {
    /// This many tasks, each on its own connection, as independent clients are.
    Separate(usize),
    /// This many tasks multiplexed on one connection, served by one server connection task.
    Shared(usize),
    /// This many tasks calling the store in the benchmark's own process, without the server.
    InProcess(usize),
}

impl Clients {
    /// Calls in flight: one per task.
    fn tasks(self) -> usize {
        match self {
            Clients::Separate(tasks) | Clients::Shared(tasks) | Clients::InProcess(tasks) => tasks,
        }
    }
}

impl fmt::Display for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Clients::Separate(1) | Clients::Shared(1) => f.write_str("1 connection"),
            Clients::Separate(tasks) => write!(f, "{tasks} connections, one per client"),
            Clients::Shared(tasks) => write!(f, "1 connection shared by {tasks} tasks"),
            Clients::InProcess(tasks) => write!(f, "{tasks} tasks in the benchmark's process, no server"),
        }
    }
}

/// What the workloads share: the connections, the admin token and the setup data.
struct Bench {
    /// [`WRITERS`] separate connections.
    channels: Vec<Channel>,
    token: String,
    sample: NeedSample,
    requesters: Arc<[Requester]>,
    timing: Timing,
    /// Tells this run's request ids from earlier runs' over the same store.
    run: u64,
}

impl Bench {
    /// Connects the clients, and gathers the FindMatches sample of `needs` open needs and the
    /// requesters over `ready`, the connection that saw the server ready.
    async fn prepare(
        server: &ServerProcess,
        ready: &Channel,
        token: String,
        needs: usize,
        timing: Timing,
    ) -> BenchResult<Bench> {
        let authed = with_token(ready, &token)?;
        Ok(Bench {
            channels: connect_many(&server.url, WRITERS).await?,
            sample: sample_open_needs(NeedServiceClient::new(authed.clone()), needs).await?,
            requesters: requesters(ActorServiceClient::new(authed)).await?,
            token,
            timing,
            run: rand::random(),
        })
    }

    /// Runs the workloads one after the other. "16 clients" are 16 connections; one shared
    /// connection is measured for the no-op RPC only, for comparison.
    async fn run_all(&self) -> BenchResult<Rows> {
        let (noop_beside_heavy, bundles_heavy, suggest_heavy) = self.beside_heavy().await?;
        Ok(Rows {
            noop_1: self.noop(Clients::Separate(1)).await?,
            noop_16_shared: self.noop(Clients::Shared(MANY)).await?,
            noop_16: self.noop(Clients::Separate(MANY)).await?,
            find_1: self.find_matches(Clients::Separate(1)).await?,
            find_16: self.find_matches(Clients::Separate(MANY)).await?,
            noop_64: self.noop(Clients::Separate(WRITERS)).await?,
            noop_beside_heavy,
            bundles_heavy,
            suggest_heavy,
            // The lone client's writer number follows the 64's, so their request ids differ.
            submit_1: self.submit_needs(Clients::Separate(1), WRITERS).await?,
            submit_64: self.submit_needs(Clients::Separate(WRITERS), 0).await?,
            ceiling_64: None,
        })
    }

    async fn noop(&self, clients: Clients) -> BenchResult<Row> {
        let channels = self.connections(clients).into_iter();
        let callers = channels
            .map(|channel| HealthCheck(HealthClient::new(channel)))
            .collect();
        measure("no-op Health/Check", clients, callers, self.timing).await
    }

    async fn find_matches(&self, clients: Clients) -> BenchResult<Row> {
        let mut callers = Vec::new();
        for (task, channel) in self.connections(clients).into_iter().enumerate() {
            callers.push(FindMatches {
                client: MatchServiceClient::new(with_token(&channel, &self.token)?),
                needs: Arc::clone(&self.sample.ids),
                next: task * self.sample.ids.len() / clients.tasks(),
            });
        }
        measure("FindMatches (limit 10)", clients, callers, self.timing).await
    }

    /// One client's health checks while [`HEAVY`] other clients (half FindBundles, half
    /// SuggestPartners, each on its own connection) keep the server busy, all in one window.
    async fn beside_heavy(&self) -> BenchResult<(Row, Row, Row)> {
        let half = HEAVY / 2;
        let mut bundles = Vec::new();
        let mut suggest = Vec::new();
        for (task, channel) in self.channels[1..=HEAVY].iter().enumerate() {
            let authed = with_token(channel, &self.token)?;
            let next = task * self.sample.ids.len() / HEAVY;
            if task < half {
                bundles.push(FindBundles {
                    client: MatchServiceClient::new(authed),
                    needs: Arc::clone(&self.sample.ids),
                    next,
                });
            } else {
                suggest.push(SuggestPartners {
                    client: PartnershipServiceClient::new(authed),
                    sample: (Arc::clone(&self.sample.ids), Arc::clone(&self.sample.requesters)),
                    next,
                });
            }
        }
        let health = vec![HealthCheck(HealthClient::new(self.channels[0].clone()))];
        let (health, bundles, suggest) = tokio::join!(
            measure(
                "no-op Health/Check beside the heavy clients",
                Clients::Separate(1),
                health,
                self.timing
            ),
            measure(
                "FindBundles (beside the no-op)",
                Clients::Separate(half),
                bundles,
                self.timing
            ),
            measure(
                "SuggestPartners (beside the no-op)",
                Clients::Separate(HEAVY - half),
                suggest,
                self.timing
            ),
        );
        Ok((health?, bundles?, suggest?))
    }

    /// SubmitNeed from each client, the clients numbered as writers from `first_writer` on.
    async fn submit_needs(&self, clients: Clients, first_writer: usize) -> BenchResult<Row> {
        let mut callers = Vec::new();
        for (writer, channel) in self.connections(clients).into_iter().enumerate() {
            callers.push(SubmitNeed {
                client: NeedServiceClient::new(with_token(&channel, &self.token)?),
                requesters: Arc::clone(&self.requesters),
                run: self.run,
                writer: first_writer + writer,
                sent: 0,
            });
        }
        measure("SubmitNeed (durable)", clients, callers, self.timing).await
    }

    /// The connection of each client task.
    fn connections(&self, clients: Clients) -> Vec<Channel> {
        match clients {
            Clients::Separate(tasks) => self.channels[..tasks].to_vec(),
            Clients::Shared(tasks) => vec![self.channels[0].clone(); tasks],
            Clients::InProcess(_) => Vec::new(),
        }
    }
}

// ---- figures and the report --------------------------------------------------------------------

/// The figures of one workload.
struct Row {
    name: &'static str,
    clients: Clients,
    /// Calls answered OK in the measured window.
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// Failed calls by status code, most frequent first (warm-up included).
    errors: Vec<(Code, u64)>,
}

impl Row {
    fn new(name: &'static str, clients: Clients, tally: Tally, measured: Duration) -> Row {
        let Tally { mut latencies, errors } = tally;
        latencies.sort_unstable();
        let mut errors: Vec<_> = errors.into_iter().collect();
        errors.sort_by_key(|&(code, count)| (std::cmp::Reverse(count), code as i32));
        Row {
            name,
            clients,
            requests: latencies.len(),
            per_second: latencies.len() as f64 / measured.as_secs_f64(),
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
            max: latencies.last().copied().unwrap_or_default(),
            errors,
        }
    }

    /// The failures in words, "none" when there were none.
    fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return "none".into();
        }
        let each = self.errors.iter().map(|(code, count)| format!("{count} {code:?}"));
        each.collect::<Vec<_>>().join(", ")
    }
}

/// The nearest-rank percentile of sorted latencies; zero when there are none.
fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with three decimals.
fn ms(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1e3)
}

/// `numerator / denominator` of requests per second, as a ratio with three decimals.
fn ratio(numerator: &Row, denominator: &Row) -> String {
    if denominator.per_second > 0.0 {
        format!("{:.3}", numerator.per_second / denominator.per_second)
    } else {
        "n/a".into()
    }
}

/// KiB as MiB with one decimal, or "n/a".
fn mib(memory: Option<Memory>, pick: fn(Memory) -> u64) -> String {
    kib_as_mib(memory.map(pick))
}

/// KiB as MiB to a tenth, or "n/a".
fn kib_as_mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |kib| format!("{:.1}", kib as f64 / 1024.0))
}

/// Everything the run measured.
struct Report {
    data_dir: String,
    timing: Timing,
    startup: Duration,
    needs_sampled: usize,
    open_needs: usize,
    requesters: usize,
    memory_ready: Option<Memory>,
    memory_end: Option<Memory>,
    backup: BackupFigures,
    rows: Rows,
}

impl Report {
    fn print(&self) {
        self.print_setup();
        self.print_workloads();
        self.print_ratios();
        self.print_memory();
        self.print_backup();
    }

    fn print_backup(&self) {
        let b = &self.backup;
        println!("\n| AdminService.Backup, streamed and discarded by the client | value |");
        println!("|---|---:|");
        println!("| bytes | {} |", b.bytes);
        println!("| entries | {} |", b.entries);
        println!("| time s | {:.3} |", b.elapsed.as_secs_f64());
        println!(
            "| server VmRSS growth while left idle for {} s after the workloads, MiB | {} |",
            SETTLE.as_secs(),
            kib_as_mib(b.rss_growth_idle_kib)
        );
        println!("| server VmRSS before MiB | {} |", kib_as_mib(b.rss_before_kib));
        println!(
            "| server VmRSS growth during the backup, largest sample every 20 ms, MiB | {} |",
            kib_as_mib(b.rss_growth_kib)
        );
        println!(
            "| server peak (VmHWM) raised by the backup, MiB | {} |",
            kib_as_mib(b.peak_raised_kib)
        );
    }

    fn print_setup(&self) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("\n## grpc_load: {}\n", self.data_dir);
        println!("- cores: {cores} (shared by the server and the clients)");
        println!(
            "- each workload: {} s warm-up, then {} s measured; latencies timed per call on the client",
            self.timing.warmup.as_secs(),
            self.timing.measured.as_secs()
        );
        println!(
            "- FindMatches sample: {} of {} open needs, evenly spaced, cycled through",
            self.needs_sampled, self.open_needs
        );
        println!("- SubmitNeed requesters: {} actors, in turn", self.requesters);
        println!("- 16 clients = 16 connections (1 shared connection shown for the no-op RPC only)");
        println!(
            "- start-up (spawn to health SERVING: open + rebuild + listen): {:.3} s",
            self.startup.as_secs_f64()
        );
    }

    fn print_workloads(&self) {
        println!("\n| workload | in flight | clients | requests | requests/s | p50 ms | p99 ms | max ms | errors |");
        println!("|---|---:|---|---:|---:|---:|---:|---:|---|");
        for row in self.rows.all() {
            println!(
                "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} |",
                row.name,
                row.clients.tasks(),
                row.clients,
                row.requests,
                row.per_second,
                ms(row.p50),
                ms(row.p99),
                ms(row.max),
                row.errors_text()
            );
        }
    }

    fn print_ratios(&self) {
        let r = &self.rows;
        println!("\n| ratio of requests/s | value |");
        println!("|---|---:|");
        println!("| FindMatches / no-op, 1 in flight | {} |", ratio(&r.find_1, &r.noop_1));
        println!(
            "| FindMatches / no-op, 16 in flight | {} |",
            ratio(&r.find_16, &r.noop_16)
        );
        println!(
            "| SubmitNeed / no-op, 64 in flight | {} |",
            ratio(&r.submit_64, &r.noop_64)
        );
        if let Some(ceiling) = &r.ceiling_64 {
            println!(
                "| SubmitNeed / sled ceiling of the same shape and sync, 64 writers | {} |",
                ratio(&r.submit_64, ceiling)
            );
        }
    }

    fn print_memory(&self) {
        println!("\n| server memory | VmRSS MiB | VmHWM (peak) MiB |");
        println!("|---|---:|---:|");
        for (when, memory) in [
            ("after start-up", self.memory_ready),
            ("after the workloads", self.memory_end),
        ] {
            println!(
                "| {when} | {} | {} |",
                mib(memory, |m| m.rss_kib),
                mib(memory, |m| m.peak_kib)
            );
        }
    }

    /// An error naming the workloads where calls failed: every call, SubmitNeed's above all,
    /// must be answered OK for the figures to mean anything.
    fn failures(&self) -> BenchResult<()> {
        let failed: Vec<String> = self
            .rows
            .all()
            .iter()
            .filter(|row| !row.errors.is_empty())
            .map(|row| format!("{}, {} in flight: {}", row.name, row.clients.tasks(), row.errors_text()))
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("calls failed: {}", failed.join("; ")).into())
        }
    }
}
