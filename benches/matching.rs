//! In-process benchmarks of the matching core over a synthetic world: opening a store,
//! `FindMatches` latency, and batch allocation side by side with OR-Tools. Prints its figures;
//! nothing here asserts a time. Make a world first, then run a scenario:
//!
//! ```text
//! cargo run --release -- generate --tier l --data-dir /tmp/bench/L
//! cargo bench --bench matching -- open --data-dir /tmp/bench/L
//! cargo bench --bench matching -- find-matches --data-dir /tmp/bench/L
//! cargo bench --bench matching -- find-needs --data-dir /tmp/bench/L
//! cargo bench --bench matching -- allocation --data-dir /tmp/bench/M
//! cp -r /tmp/bench/M /tmp/bench/M-commit
//! cargo bench --bench matching -- commit-allocation --data-dir /tmp/bench/M-commit
//! cargo bench --bench matching -- commit-allocation --data-dir /tmp/bench/L --dry-run --max-needs-per-run 200000
//! cargo bench --bench matching -- allocation --data-dir /tmp/bench/L --repeat 1 --max-needs-per-run 200000
//! cargo bench --bench matching -- relevance
//! cargo bench --bench matching -- search --data-dir /tmp/bench/L [--rebuild]
//! ```
//!
//! `relevance` needs no world: it loads the labelled set of `data/relevance` into a fresh hub and
//! prints precision@1, MRR and NDCG@5 with and without `text_relevance`.
//!
//! The scenarios only read the world, except `commit-allocation`, which proposes matches. BENCHMARKS.md holds the
//! figures measured on the project's machines.

/// The server's allocator (see `src/main.rs`), so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use capacity_hub::hub::{AllocationMode, AllocationRequest, Hub, HubSettings, NeedFilter, OfferFilter, PageRequest};
use capacity_hub::matching::ScoreWeights;
use capacity_hub::matching::allocate::{self, AllocationInstance};
use capacity_hub::quality::{self, Judgement, Metrics};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "In-process benchmarks of the matching core")]
struct Args {
    #[command(subcommand)]
    scenario: Scenario,
    /// Cargo passes `--bench` to every benchmark binary; it means nothing here.
    #[arg(long, hide = true, global = true)]
    bench: bool,
}

#[derive(Subcommand)]
enum Scenario {
    /// Open a store: sled recovery, the partnership graph and the offer catalogue rebuilt.
    Open {
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// FindNeeds (10 needs) for a deterministic sample of active offers.
    FindNeeds {
        #[arg(long)]
        data_dir: PathBuf,
        /// Offers queried, spread evenly over the active offers.
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
    },
    /// FindMatches (10 candidates) for a deterministic sample of open needs.
    FindMatches {
        #[arg(long)]
        data_dir: PathBuf,
        /// Needs queried, spread evenly over the open needs.
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
    },
    /// Search: the index brought up to date (rebuilt from scratch with --rebuild), then
    /// two-word queries taken from the world's own titles, unfiltered and filtered, and
    /// FindRelated for a sample of open needs.
    Search {
        #[arg(long)]
        data_dir: PathBuf,
        /// Queries of each kind.
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        /// Delete the index first and time its rebuild.
        #[arg(long)]
        rebuild: bool,
    },
    /// RunAllocation dry runs, optimal and stable, and OR-Tools on the same flow network.
    Allocation {
        #[arg(long)]
        data_dir: PathBuf,
        /// Candidate offers kept per need.
        #[arg(long, default_value_t = 50)]
        candidates_per_need: usize,
        /// Where the flow network is written for OR-Tools [default:
        /// capacity-hub-allocation-network.txt in the system's temporary directory, wherever
        /// CARGO_TARGET_DIR puts the build].
        #[arg(long)]
        network: Option<PathBuf>,
        /// Solves of each solver; the fastest counts.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Open needs a run may take (the server's --max-needs-per-run): 200000 for the whole
        /// of tier L in one run.
        #[arg(long, default_value_t = HubSettings::default().max_needs_per_run)]
        max_needs_per_run: usize,
    },
    /// One committed STABLE RunAllocation (OPTIMAL with --optimal): it writes a proposed match
    /// for every pair, so run it on a copy of the world (or pass --dry-run).
    CommitAllocation {
        #[arg(long)]
        data_dir: PathBuf,
        /// Run OPTIMAL rather than STABLE: alone in its process, so its peak memory is its own.
        #[arg(long)]
        optimal: bool,
        /// Only needs delivered in this M49 area ("africa").
        #[arg(long)]
        region: Option<String>,
        /// Only time the run; propose nothing.
        #[arg(long)]
        dry_run: bool,
        /// Open needs a run may take (the server's --max-needs-per-run): 200000 for the whole
        /// of tier L in one run.
        #[arg(long, default_value_t = HubSettings::default().max_needs_per_run)]
        max_needs_per_run: usize,
    },
    /// Ranking quality on the labelled relevance set: the text share chosen on the tuning half,
    /// then precision@1, MRR and NDCG@5 on the held-out half, without and with text relevance.
    Relevance {
        /// The set's directory.
        #[arg(long, default_value = "data/relevance")]
        set: PathBuf,
        /// Also print the tuning half's needs whose right offer is not first (never the
        /// held-out half's: they are not looked at).
        #[arg(long)]
        misses: bool,
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    match args.scenario {
        Scenario::Open { data_dir } => open(&data_dir).map(drop),
        Scenario::FindMatches { data_dir, queries } => find_matches(&data_dir, queries),
        Scenario::FindNeeds { data_dir, queries } => find_needs(&data_dir, queries),
        Scenario::Allocation {
            data_dir,
            candidates_per_need,
            network,
            repeat,
            max_needs_per_run,
        } => {
            let network = network.unwrap_or_else(|| std::env::temp_dir().join("capacity-hub-allocation-network.txt"));
            let settings = run_settings(max_needs_per_run);
            allocation(&data_dir, settings, candidates_per_need, &network, repeat.max(1)).await
        }
        Scenario::CommitAllocation {
            data_dir,
            optimal,
            region,
            dry_run,
            max_needs_per_run,
        } => {
            let mode = if optimal {
                AllocationMode::Optimal
            } else {
                AllocationMode::Stable
            };
            commit_allocation(&data_dir, run_settings(max_needs_per_run), mode, region, dry_run).await
        }
        Scenario::Relevance { set, misses } => relevance(&set, misses).await,
        Scenario::Search {
            data_dir,
            queries,
            rebuild,
        } => search(&data_dir, queries, rebuild).await,
    }
}

/// Loads the set into a fresh hub, tunes the text share on one half and reports the other.
async fn relevance(set: &Path, misses: bool) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let hub = Hub::open(dir.path(), HubSettings::default())?;
    let files = quality::set_files(set)?;
    let judgements = quality::judge(&hub, &files).await?;
    let (held_out, tuning): (Vec<&Judgement>, Vec<&Judgement>) = judgements.iter().partition(|j| j.held_out);
    let cross = |half: &[&Judgement]| half.iter().filter(|j| j.cross_language).count();
    println!(
        "relevance set: {} files, {} graded needs: {} to tune on ({} cross-language), {} held out ({} cross-language)",
        files.len(),
        judgements.len(),
        tuning.len(),
        cross(&tuning),
        held_out.len(),
        cross(&held_out)
    );
    let built_in = ScoreWeights::default();
    let (share, tuned) = quality::tune_text_share(&tuning, &built_in);
    let differs = (built_in.text_share() - share).abs() > 1e-9;
    println!(
        "text share chosen on the tuning half: {share:.2} (tuning NDCG@5 {:.3}, MRR {:.3}); built-in default: {:.2}{}",
        tuned.ndcg_at_5,
        tuned.mrr,
        built_in.text_share(),
        if differs {
            "  <- differs: the default should be the tuned share"
        } else {
            ""
        }
    );
    let blind = built_in.with_text_share(0.0);
    if misses {
        println!("\ntuning needs whose right offer is not first:");
        for miss in tuning.iter().filter_map(|j| j.miss(&built_in)) {
            println!("{miss}");
        }
    }
    println!();
    println!("| half | needs | n | p@1 blind | MRR blind | NDCG@5 blind | p@1 text | MRR text | NDCG@5 text |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, half) in [("held out", &held_out), ("tuning", &tuning)] {
        for (scope, keep) in [("same-language", false), ("cross-language", true)] {
            let group: Vec<&Judgement> = half.iter().copied().filter(|j| j.cross_language == keep).collect();
            row(
                name,
                scope,
                &quality::measure(group.iter().copied(), &blind),
                &quality::measure(group, &built_in),
            );
        }
        row(
            name,
            "all",
            &quality::measure(half.iter().copied(), &blind),
            &quality::measure(half.iter().copied(), &built_in),
        );
    }
    Ok(())
}

fn row(half: &str, scope: &str, blind: &Metrics, text: &Metrics) {
    println!(
        "| {half} | {scope} | {} | {:.2} | {:.3} | {:.3} | {:.2} | {:.3} | {:.3} |",
        blind.needs, blind.precision_at_1, blind.mrr, blind.ndcg_at_5, text.precision_at_1, text.mrr, text.ndcg_at_5
    );
}

/// The hub's settings for an allocation run of at most `max_needs_per_run` needs.
fn run_settings(max_needs_per_run: usize) -> HubSettings {
    HubSettings {
        max_needs_per_run,
        ..HubSettings::default()
    }
}

/// [`open_with`] the default settings.
fn open(data_dir: &Path) -> Result<Hub, Box<dyn std::error::Error>> {
    open_with(data_dir, HubSettings::default())
}

/// Opens the hub and prints how long it took and the memory it holds.
fn open_with(data_dir: &Path, settings: HubSettings) -> Result<Hub, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let hub = Hub::open(data_dir, settings)?;
    println!(
        "open + rebuild graph and catalogue: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    println!("{}", memory());
    Ok(hub)
}

fn find_matches(data_dir: &Path, queries: usize) -> Result<(), Box<dyn std::error::Error>> {
    let hub = open(data_dir)?;
    let needs = open_need_sample(&hub, queries)?;
    for need in needs.iter().take(100) {
        hub.find_matches(need, 10)?;
    }
    let mut times = Vec::with_capacity(needs.len());
    let mut returned = 0;
    for need in &needs {
        let started = Instant::now();
        returned += hub.find_matches(need, 10)?.len();
        times.push(started.elapsed());
    }
    println!(
        "FindMatches, in process, limit 10: {} queries over {} distinct open needs, {:.1} candidates returned on average",
        times.len(),
        needs.len(),
        returned as f64 / times.len().max(1) as f64
    );
    println!("{}", Latencies::of(times));
    // What the gRPC reply adds: the need's expected time to match (history look-up and the
    // count of offers that could serve it).
    let mut times = Vec::with_capacity(needs.len());
    for need in &needs {
        let started = Instant::now();
        hub.find_matches(need, 10)?;
        hub.time_to_match_of("need_id", need)?;
        times.push(started.elapsed());
    }
    println!("FindMatches with its expected time to match, as the gRPC reply has it:");
    println!("{}", Latencies::of(times));
    let mut times = Vec::with_capacity(needs.len());
    for need in &needs {
        let started = Instant::now();
        hub.time_to_match_of("need_id", need)?;
        times.push(started.elapsed());
    }
    println!("The expected time to match alone (GetNeed's addition):");
    println!("{}", Latencies::of(times));
    println!("{}", memory());
    Ok(())
}

fn find_needs(data_dir: &Path, queries: usize) -> Result<(), Box<dyn std::error::Error>> {
    let hub = open(data_dir)?;
    let filter = OfferFilter {
        status: Some(capacity_hub::domain::OfferStatus::Active),
        ..OfferFilter::default()
    };
    let mut offers = Vec::new();
    let mut after = None;
    loop {
        let page = hub.list_offers(&filter, &PageRequest { after, limit: 500 })?;
        offers.extend(page.records.into_iter().map(|offer| offer.id));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let step = (offers.len() / queries.max(1)).max(1);
    let offers: Vec<String> = offers.into_iter().step_by(step).take(queries).collect();
    for offer in offers.iter().take(100) {
        hub.find_needs(offer, 10, 0)?;
    }
    let mut times = Vec::with_capacity(offers.len());
    let mut returned = 0;
    for offer in &offers {
        let started = Instant::now();
        returned += hub.find_needs(offer, 10, 0)?.needs.len();
        times.push(started.elapsed());
    }
    println!(
        "FindNeeds, in process, limit 10: {} queries over {} distinct active offers, {:.1} needs returned on average",
        times.len(),
        offers.len(),
        returned as f64 / times.len().max(1) as f64
    );
    println!("{}", Latencies::of(times));
    println!("{}", memory());
    Ok(())
}

async fn search(data_dir: &Path, queries: usize, rebuild: bool) -> Result<(), Box<dyn std::error::Error>> {
    use capacity_hub::search::{IndexState, RecordKind, SearchRequest};
    if rebuild {
        let index = data_dir.join(capacity_hub::hub::SEARCH_DIR);
        if index.exists() {
            std::fs::remove_dir_all(&index)?;
        }
    }
    let started = Instant::now();
    let hub = open(data_dir)?;
    loop {
        match hub.search_state() {
            IndexState::Ready => break,
            IndexState::Failed(reason) => return Err(reason.into()),
            IndexState::Building { .. } => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    println!(
        "search index up to date {:.2} s after the open began ({})",
        started.elapsed().as_secs_f64(),
        if rebuild { "rebuilt from scratch" } else { "as found" }
    );
    println!("{}", memory());
    // Two words that follow each other in a need's title: what people type.
    let needs = open_need_sample(&hub, queries)?;
    let mut phrases = Vec::with_capacity(needs.len());
    for id in &needs {
        let need = hub.get_need(id)?;
        let words: Vec<&str> = need
            .spec
            .title
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| word.chars().count() > 3)
            .collect();
        if let [first, second, ..] = words.as_slice() {
            phrases.push((format!("{first} {second}"), need.spec.themes[0]));
        }
    }
    /// A search for a query, given the objective of the need it came from.
    type Variant = fn(&str, capacity_hub::domain::Objective) -> SearchRequest;
    let variants: [(&str, Variant); 3] = [
        ("every kind", |query, _| SearchRequest {
            query: query.to_string(),
            ..SearchRequest::default()
        }),
        ("offers only", |query, _| SearchRequest {
            query: query.to_string(),
            kinds: vec![RecordKind::Offer],
            ..SearchRequest::default()
        }),
        ("needs of one objective", |query, theme| SearchRequest {
            query: query.to_string(),
            kinds: vec![RecordKind::Need],
            theme: Some(theme),
            ..SearchRequest::default()
        }),
    ];
    for (name, request) in variants {
        let mut times = Vec::with_capacity(phrases.len());
        let mut hits = 0;
        for (query, theme) in &phrases {
            let started = Instant::now();
            hits += hub.search(&request(query, *theme)).await?.hits.len();
            times.push(started.elapsed());
        }
        println!(
            "Search, two-word queries, {name}, page of 20: {} queries, {:.1} hits on average",
            times.len(),
            hits as f64 / times.len().max(1) as f64
        );
        println!("{}", Latencies::of(times));
    }
    // Limit 50 is the lookup behind SubmitNeed's `related_count`.
    for limit in [10, capacity_hub::hub::MAX_RELATED] {
        let mut times = Vec::with_capacity(needs.len());
        let mut related = 0;
        for id in needs.iter().take(500) {
            let started = Instant::now();
            related += hub.find_related(id, limit).await?.len();
            times.push(started.elapsed());
        }
        println!(
            "FindRelated, limit {limit}: {} needs, {:.1} items on average",
            times.len(),
            related as f64 / times.len().max(1) as f64
        );
        println!("{}", Latencies::of(times));
    }
    println!("{}", memory());
    Ok(())
}

/// Every `step`-th open need, so the sample spreads over the whole world.
fn open_need_sample(hub: &Hub, wanted: usize) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let filter = NeedFilter {
        status: Some(capacity_hub::domain::NeedStatus::Open),
        ..NeedFilter::default()
    };
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = hub.list_needs(&filter, &PageRequest { after, limit: 500 })?;
        ids.extend(page.records.into_iter().map(|need| need.id));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let step = (ids.len() / wanted.max(1)).max(1);
    Ok(ids.into_iter().step_by(step).take(wanted).collect())
}

async fn allocation(
    data_dir: &Path,
    settings: HubSettings,
    candidates_per_need: usize,
    network: &Path,
    repeat: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let hub = Arc::new(open_with(data_dir, settings)?);
    let request = |mode| AllocationRequest {
        mode,
        dry_run: true,
        needs: NeedFilter::default(),
        provider_id: None,
        candidates_per_need,
    };
    let started = Instant::now();
    let instance = hub.allocation_problem(&request(AllocationMode::Optimal))?;
    println!(
        "instance: {} open needs, {} offers, {} candidate pairs (at most {candidates_per_need} per need), read and ranked in {:.2} s",
        instance.needs.len(),
        instance.offers.len(),
        instance.pairs.len(),
        started.elapsed().as_secs_f64()
    );
    for mode in [AllocationMode::Optimal, AllocationMode::Stable] {
        let started = Instant::now();
        let outcome = hub.run_allocation(request(mode)).await?;
        println!(
            "RunAllocation {mode:?} dry run, end to end: {:.2} s, {} pairs, total value {:.3}, blocking pairs {}",
            started.elapsed().as_secs_f64(),
            outcome.pairs.len(),
            outcome.total_value,
            outcome.blocking_pairs
        );
    }
    solvers(&instance, repeat);
    versus_ortools(&instance, network, repeat)
}

async fn commit_allocation(
    data_dir: &Path,
    settings: HubSettings,
    mode: AllocationMode,
    area: Option<String>,
    dry_run: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let hub = Arc::new(open_with(data_dir, settings)?);
    let request = AllocationRequest {
        mode,
        dry_run,
        needs: NeedFilter {
            area,
            ..NeedFilter::default()
        },
        provider_id: None,
        candidates_per_need: 0,
    };
    let started = Instant::now();
    let outcome = hub.run_allocation(request).await?;
    println!(
        "RunAllocation {mode:?} {}, end to end: {:.2} s, {} needs, {} pairs, {} matches proposed and durable, {} needs unmatched",
        if dry_run { "dry run" } else { "committed" },
        started.elapsed().as_secs_f64(),
        outcome.needs_considered,
        outcome.pairs.len(),
        outcome.match_ids.len(),
        outcome.unmatched.len()
    );
    Ok(())
}

/// The solvers alone on the instance, without reading the store or explaining.
fn solvers(instance: &AllocationInstance, repeat: usize) {
    let (stable_time, stable) = fastest(repeat, || allocate::stable(instance));
    let blocking_started = Instant::now();
    let blocking = allocate::blocking_pairs(instance, &stable).len();
    let feasible = allocate::check_feasible(instance, &stable);
    println!(
        "stable solve: {:.3} s, {} pairs; blocking-pair check: {} blocking pairs in {:.3} s; feasible: {feasible:?}",
        stable_time.as_secs_f64(),
        stable.assigned.len(),
        blocking,
        blocking_started.elapsed().as_secs_f64()
    );
    let (optimal_time, (optimal, bound)) = fastest(repeat, || allocate::optimal_with_bound(instance));
    println!(
        "optimal solve (flow + funding repair): {:.3} s, {} pairs, total value {:.6}, upper bound {:.6} (gap {:.3}%); feasible: {:?}",
        optimal_time.as_secs_f64(),
        optimal.assigned.len(),
        optimal.total_value,
        bound,
        100.0 * (bound - optimal.total_value) / bound.max(f64::MIN_POSITIVE),
        allocate::check_feasible(instance, &optimal)
    );
}

/// Our min-cost flow and OR-Tools' `SimpleMinCostFlow` on the same exported network.
fn versus_ortools(
    instance: &AllocationInstance,
    network: &Path,
    repeat: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::fs::File::create(network)
        .map_err(|error| format!("cannot write the flow network to {}: {error}", network.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let size = allocate::write_flow_network(instance, &mut out)?;
    drop(out);
    println!(
        "flow network: {} nodes, {} arcs, written to {}",
        size.nodes,
        size.arcs,
        network.display()
    );
    let (ours_time, ours) = fastest(repeat, || allocate::min_cost_flow(instance));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/ortools_flow.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(network)
        .args(["--repeat", &repeat.to_string()])
        .output()?;
    if !output.status.success() {
        return Err(format!("OR-Tools run failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let ortools_cost = report["cost"].as_i64().ok_or("OR-Tools printed no cost")?;
    let ortools_solve = report["solve_seconds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_f64)
        .fold(f64::INFINITY, f64::min);
    println!(
        "min-cost flow, ours: {:.3} s (from the instance), cost {}",
        ours_time.as_secs_f64(),
        ours.cost
    );
    println!(
        "min-cost flow, OR-Tools {} SimpleMinCostFlow: {:.3} s (solve only), cost {ortools_cost}, status {}",
        report["ortools_version"].as_str().unwrap_or("?"),
        ortools_solve,
        report["status"].as_str().unwrap_or("?")
    );
    println!(
        "objective ratio ours / OR-Tools: {:.6}; time ratio ours / OR-Tools solve: {:.2}",
        ours.cost as f64 / ortools_cost as f64,
        ours_time.as_secs_f64() / ortools_solve
    );
    Ok(())
}

/// The fastest of `repeat` runs, and the last result.
fn fastest<T>(repeat: usize, mut run: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..repeat {
        let started = Instant::now();
        let value = run();
        best = best.min(started.elapsed());
        result = Some(value);
    }
    (best, result.expect("repeat is at least 1"))
}

/// Sorted per-query times.
struct Latencies(Vec<Duration>);

impl Latencies {
    fn of(mut times: Vec<Duration>) -> Latencies {
        times.sort_unstable();
        Latencies(times)
    }

    /// The time below which `share` of the queries finished (nearest rank).
    fn percentile(&self, share: f64) -> f64 {
        let rank = ((share * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len().max(1));
        self.0.get(rank - 1).map_or(0.0, |t| t.as_secs_f64() * 1000.0)
    }
}

impl std::fmt::Display for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total: Duration = self.0.iter().sum();
        write!(
            f,
            "latency ms: p50 {:.3}, p90 {:.3}, p99 {:.3}, max {:.3}; mean {:.3}",
            self.percentile(0.50),
            self.percentile(0.90),
            self.percentile(0.99),
            self.percentile(1.0),
            total.as_secs_f64() * 1000.0 / self.0.len().max(1) as f64
        )
    }
}

/// This process's resident memory now and at its peak, from /proc.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map_or("?".to_string(), |v| v.trim().to_string())
    };
    format!("memory: resident {}, peak {}", field("VmRSS:"), field("VmHWM:"))
}
