//! The Prometheus endpoint, black-box: the real binary with `--metrics-addr 127.0.0.1:0`, a
//! known number of calls with known outcomes over gRPC and gRPC-Web, then `GET /metrics` over
//! plain HTTP, parsed as the text format: each counter equals the calls made, the latency
//! histograms moved, and the domain gauges agree with GetStats. Without the flag the server
//! listens on its gRPC port alone.

mod common;

use std::collections::{BTreeMap, HashSet};

use common::*;
use http_body_util::BodyExt;
use insight_service_client::InsightServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;

/// One sample of the text format: its name, labels and value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of a text-format page (comments and blank lines skipped).
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("a sample line: {line}"));
            let value = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                value => value.parse().unwrap_or_else(|_| panic!("a value in {line}")),
            };
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, labels(rest.strip_suffix('}').expect("labels end with }"))),
                None => (series, BTreeMap::new()),
            };
            Sample {
                name: name.to_string(),
                labels,
                value,
            }
        })
        .collect()
}

/// `a="x",b="y"` as a map, with the format's escapes (`\\`, `\"`, `\n`) read.
fn labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let name: String = chars.by_ref().take_while(|&c| c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "a quoted label value in {text}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => panic!("an escape cut short in {text}"),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        if chars.peek() == Some(&',') {
            chars.next();
        }
        labels.insert(name, value);
    }
    labels
}

/// A scraped page.
struct Page(Vec<Sample>);

impl Page {
    /// The value of the one sample named `name` whose labels include `wanted`; 0 when there is
    /// none (a family shows no series before its first observation).
    fn value(&self, name: &str, wanted: &[(&str, &str)]) -> f64 {
        let matching: Vec<&Sample> = self
            .0
            .iter()
            .filter(|s| {
                s.name == name
                    && wanted
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        assert!(matching.len() <= 1, "{name} {wanted:?} is ambiguous: {matching:?}");
        matching.first().map_or(0.0, |s| s.value)
    }

    /// Whether a sample named `name` is on the page.
    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|s| s.name == name)
    }

    /// The calls counted for `method` of `service` with `code`.
    fn calls(&self, service: &str, method: &str, code: &str) -> f64 {
        self.value(
            "capacity_hub_rpc_requests_total",
            &[
                ("service", &format!("capacityhub.v1.{service}")),
                ("method", method),
                ("code", code),
            ],
        )
    }

    /// The latency observations of `method` of `service`.
    fn timed(&self, service: &str, method: &str) -> f64 {
        self.value(
            "capacity_hub_rpc_duration_seconds_count",
            &[("service", &format!("capacityhub.v1.{service}")), ("method", method)],
        )
    }
}

/// `GET url` over plain HTTP/1.1: the status, the content type and the body.
async fn get(url: &str) -> (u16, String, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let response = client
        .get(url.parse().expect("a valid url"))
        .await
        .expect("the endpoint answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().expect("an ASCII content type").to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.expect("a whole body").to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).expect("UTF-8 text"),
    )
}

async fn scrape(url: &str) -> Page {
    let (status, content_type, body) = get(url).await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    Page(parse(&body))
}

/// The TCP ports process `pid` listens on, from /proc: the sockets among its descriptors that
/// the kernel's tables list as listening.
fn listening_ports(pid: u32) -> HashSet<u16> {
    let sockets: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the server's descriptors are readable")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(target.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    let mut ports = HashSet::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is fields[1] (hex address:port), st fields[3] (0A: LISTEN), inode fields[9].
            if fields.len() > 9 && fields[3] == "0A" && sockets.contains(fields[9]) {
                let port = fields[1].rsplit(':').next().expect("a port");
                ports.insert(u16::from_str_radix(port, 16).expect("a hex port"));
            }
        }
    }
    ports
}

fn port_of(url: &str) -> u16 {
    url.trim_end_matches("/metrics")
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("a port in {url}"))
}

#[tokio::test]
async fn every_call_is_counted_by_method_and_code_and_the_gauges_agree_with_the_hub() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut server, metrics_url) =
        ServerProcess::start_logging(dir.path(), &["--metrics-addr", "127.0.0.1:0"], "metrics");
    assert!(metrics_url.ends_with("/metrics"), "{metrics_url}");
    let pid = server.child().id();
    assert_eq!(
        listening_ports(pid),
        HashSet::from([port_of(&server.url), port_of(&metrics_url)]),
        "the server listens for gRPC and for metrics"
    );

    let channel = server.channel().await;
    let mut actors = ActorServiceClient::new(channel.clone());
    let mut needs = NeedServiceClient::new(channel.clone());
    let mut offers = OfferServiceClient::new(channel.clone());
    let mut matches = MatchServiceClient::new(channel.clone());
    let mut insights = InsightServiceClient::new(channel.clone());
    let register = |name: &str, country: &str| RegisterActorRequest {
        name: name.into(),
        kind: ActorKind::NationalGovernment as i32,
        country: country.into(),
        languages: vec!["es".into()],
        ..Default::default()
    };
    let requester = actors
        .register_actor(register("Ministerio", "MEX"))
        .await
        .expect("RegisterActor")
        .into_inner()
        .actor
        .expect("an actor");
    let provider = actors
        .register_actor(register("Agencia", "ESP"))
        .await
        .expect("RegisterActor")
        .into_inner()
        .actor
        .expect("an actor");
    let training = [Modality::Training];
    // One need the offer serves, one (another objective) it does not: one of two is unmet.
    let served = needs
        .submit_need(need_request(&requester.id, &[1], &training, &["MEX"]))
        .await
        .expect("SubmitNeed")
        .into_inner();
    needs
        .submit_need(need_request(&requester.id, &[7], &training, &["MEX"]))
        .await
        .expect("SubmitNeed");
    offers
        .register_offer(offer_request(&provider.id, &[1], &training, Coverage::Worldwide))
        .await
        .expect("RegisterOffer");

    // GetNeed: three found and two not, over gRPC and gRPC-Web both.
    let mut web_needs = NeedServiceClient::new(InterceptedService::new(
        Transport::grpc_web(port_addr(port_of(&server.url))),
        Bearer::admin(),
    ));
    let get_need = |id: &str| GetNeedRequest { id: id.into() };
    for _ in 0..2 {
        needs.get_need(get_need(&served.id)).await.expect("GetNeed");
    }
    web_needs
        .get_need(get_need(&served.id))
        .await
        .expect("GetNeed over gRPC-Web");
    let missing = needs.get_need(get_need("need-999999")).await.expect_err("no such need");
    assert_eq!(missing.code(), Code::NotFound);
    let missing = web_needs
        .get_need(get_need("need-999998"))
        .await
        .expect_err("no such need over gRPC-Web");
    assert_eq!(missing.code(), Code::NotFound);

    // A stream that ends with a status in its trailers, and an allocation dry run.
    let mut export = insights
        .export_open_data(ExportOpenDataRequest {})
        .await
        .expect("ExportOpenData")
        .into_inner();
    let mut exported = 0;
    while export.message().await.expect("an open-data record").is_some() {
        exported += 1;
    }
    assert!(exported >= 5, "{exported} records exported");
    matches
        .run_allocation(RunAllocationRequest {
            mode: AllocationMode::Optimal as i32,
            dry_run: true,
            ..Default::default()
        })
        .await
        .expect("RunAllocation");
    let stats = insights
        .get_stats(GetStatsRequest {})
        .await
        .expect("GetStats")
        .into_inner();

    // A watch stream stays open while it is scraped.
    let watch = matches
        .watch_matches(WatchMatchesRequest {
            actor_id: requester.id.clone(),
            after_sequence: 0,
        })
        .await
        .expect("WatchMatches")
        .into_inner();

    let page = scrape(&metrics_url).await;
    assert_eq!(page.calls("NeedService", "GetNeed", "OK"), 3.0);
    assert_eq!(page.calls("NeedService", "GetNeed", "NOT_FOUND"), 2.0);
    assert_eq!(page.timed("NeedService", "GetNeed"), 5.0);
    let get_need_count = &[
        ("service", "capacityhub.v1.NeedService"),
        ("method", "GetNeed"),
        ("le", "+Inf"),
    ];
    assert_eq!(
        page.value("capacity_hub_rpc_duration_seconds_bucket", get_need_count),
        5.0
    );
    assert!(page.value("capacity_hub_rpc_duration_seconds_sum", &get_need_count[..2]) > 0.0);
    assert_eq!(page.calls("ActorService", "RegisterActor", "OK"), 2.0);
    assert_eq!(page.calls("NeedService", "SubmitNeed", "OK"), 2.0);
    assert_eq!(page.calls("OfferService", "RegisterOffer", "OK"), 1.0);
    assert_eq!(page.calls("InsightService", "ExportOpenData", "OK"), 1.0);
    assert_eq!(page.timed("InsightService", "ExportOpenData"), 1.0);
    assert_eq!(page.calls("MatchService", "RunAllocation", "OK"), 1.0);
    assert_eq!(page.calls("InsightService", "GetStats", "OK"), 1.0);
    // The open watch stream has answered but not finished: timed, not yet counted.
    assert_eq!(page.timed("MatchService", "WatchMatches"), 1.0);
    assert_eq!(page.calls("MatchService", "WatchMatches", "OK"), 0.0);
    assert_eq!(page.value("capacity_hub_watchers", &[]), 1.0);
    assert_eq!(page.value("capacity_hub_rpc_in_flight", &[]), 0.0);
    assert_eq!(page.value("capacity_hub_rpc_shed_total", &[]), 0.0);
    assert_eq!(
        page.value(
            "capacity_hub_allocation_run_duration_seconds_count",
            &[("mode", "optimal"), ("dry_run", "true")]
        ),
        1.0
    );
    // The group-commit histograms are exported (the store's flusher records into them).
    for name in [
        "capacity_hub_store_flush_batch_writes_count",
        "capacity_hub_store_flush_duration_seconds_count",
    ] {
        assert!(page.has(name), "{name} is exported");
    }
    assert!(page.value("capacity_hub_store_size_bytes", &[]) > 0.0);
    // The domain gauges, as GetStats counts them.
    assert_eq!(page.value("capacity_hub_open_needs", &[]), stats.open_needs as f64);
    assert_eq!(page.value("capacity_hub_open_needs", &[]), 2.0);
    assert_eq!(
        page.value("capacity_hub_active_offers", &[]),
        stats.active_offers as f64
    );
    assert_eq!(page.value("capacity_hub_active_offers", &[]), 1.0);
    assert_eq!(page.value("capacity_hub_unmet_needs", &[]), 1.0);
    assert_eq!(
        page.value("capacity_hub_confirmed_matches", &[]),
        stats.confirmed_matches as f64
    );

    // The client hangs up on its watch stream: the call counts as CANCELLED and the watcher
    // goes away.
    drop(watch);
    let page = eventually("the watch stream is counted as cancelled", async || {
        let page = scrape(&metrics_url).await;
        let cancelled = page.calls("MatchService", "WatchMatches", "CANCELLED");
        let watchers = page.value("capacity_hub_watchers", &[]);
        if cancelled == 1.0 && watchers == 0.0 {
            Ok(page)
        } else {
            Err(format!("{cancelled} cancelled, {watchers} watchers"))
        }
    })
    .await;
    // Scrapes are not calls: the counts stand as they were.
    assert_eq!(page.calls("NeedService", "GetNeed", "OK"), 3.0);
    assert_eq!(page.calls("NeedService", "GetNeed", "NOT_FOUND"), 2.0);

    let (status, _, _) = get(&metrics_url.replace("/metrics", "/other")).await;
    assert_eq!(status, 404, "only /metrics is served");
}

#[tokio::test]
async fn without_metrics_addr_the_server_listens_for_grpc_alone() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut server = ServerProcess::start(dir.path());
    let grpc_port = port_of(&server.url);
    // A call first, so that the server is serving, not still starting.
    let mut needs = NeedServiceClient::new(server.channel().await);
    let missing = needs
        .get_need(GetNeedRequest { id: "need-1".into() })
        .await
        .expect_err("no such need");
    assert_eq!(missing.code(), Code::NotFound);
    let pid = server.child().id();
    assert_eq!(listening_ports(pid), HashSet::from([grpc_port]));
    // Nor are the metrics on the gRPC port.
    let (status, _, body) = get(&format!("{}/metrics", server.url)).await;
    assert_eq!(status, 404, "{body}");
}

fn port_addr(port: u16) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], port))
}
