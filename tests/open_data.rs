//! The knowledge platform on the demo world: statistics add up, and the open-data export holds
//! every public record and no private one.

mod common;

use common::*;
use insight_service_client::InsightServiceClient;
use open_record::Record;

#[tokio::test]
async fn stats_and_export_on_the_demo_world() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start_demo(dir.path()).await;
    let counts = hub.counts().await;
    let mut insights = InsightServiceClient::new(hub.channel());

    assert!(
        counts.practices > 0,
        "the demo world holds the 2018 workshops' practices"
    );
    let stats = insights.get_stats(GetStatsRequest {}).await.unwrap().into_inner();
    assert_eq!(stats.actors as usize, counts.actors);
    assert_eq!((stats.needs_submitted, stats.open_needs), (5, 5));
    assert_eq!(stats.partnerships as usize, counts.partnerships);
    assert_eq!(stats.match_rate, 0.0, "nothing is matched yet");

    let mut stream = insights
        .export_open_data(ExportOpenDataRequest {})
        .await
        .unwrap()
        .into_inner();
    let (mut actors, mut needs, mut offers, mut partnerships, mut practices) = (0, 0, 0, 0, 0);
    while let Some(record) = stream.message().await.unwrap() {
        match record.record.expect("every message holds a record") {
            Record::Actor(actor) => {
                assert!(actor.contact.is_empty(), "{} leaks its contact", actor.id);
                actors += 1;
            }
            Record::Need(_) => needs += 1,
            Record::Offer(_) => offers += 1,
            Record::Partnership(_) => partnerships += 1,
            Record::Practice(practice) => {
                assert_eq!(
                    practice.status,
                    PracticeStatus::Published as i32,
                    "{} is published",
                    practice.id
                );
                practices += 1;
            }
            Record::Match(_) => {}
        }
    }
    assert_eq!(
        (actors, needs, offers, partnerships, practices),
        (
            counts.actors,
            counts.needs,
            counts.offers,
            counts.partnerships,
            counts.practices
        )
    );
    let demo_contacts_exist = hub
        .actors()
        .get_actor(GetActorRequest { id: "actor-0".into() })
        .await
        .unwrap()
        .into_inner()
        .contact;
    assert!(
        !demo_contacts_exist.is_empty(),
        "the admin sees contacts, so the export really left them out"
    );
}

/// Runs `capacity-hub export` against `addr` with `args`, signed out (`CAPACITY_HUB_TOKEN=`, as
/// a person clears it), and returns its stdout; the command must succeed.
async fn cli_export(addr: std::net::SocketAddr, args: &[&str]) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_capacity-hub"));
    command
        .args(["export", "--server", &format!("http://{addr}")])
        .args(args)
        .env("CAPACITY_HUB_TOKEN", "");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("the CLI runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "export {args:?} failed: {stderr}");
    assert!(stderr.starts_with("wrote "), "{stderr}");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Protects: `capacity-hub export` writes every public record of the demo world, practices
/// included, as JSON Lines and as CSV; an empty token is no token, so the open read works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_exports_every_public_record_of_the_demo_world() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start_demo(dir.path()).await;
    let counts = hub.counts().await;
    let expected = [
        ("actor", counts.actors),
        ("need", counts.needs),
        ("offer", counts.offers),
        ("partnership", counts.partnerships),
        ("match", counts.matches),
        ("practice", counts.practices),
    ];
    assert!(counts.practices > 0, "the demo world holds practices");

    let lines = cli_export(hub.addr, &[]).await;
    for (kind, count) in expected {
        let key = format!("{{\"{kind}\":");
        let written = lines.lines().filter(|line| line.starts_with(&key)).count();
        assert_eq!(written, count, "{kind} records in the JSON Lines export");
    }

    let csv = cli_export(hub.addr, &["--format", "csv"]).await;
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("kind,id,title_or_name,themes,countries,status,detail")
    );
    let kinds: Vec<&str> = rows.map(|row| row.split(',').next().unwrap_or_default()).collect();
    for (kind, count) in expected {
        assert_eq!(
            kinds.iter().filter(|k| **k == kind).count(),
            count,
            "{kind} rows in the CSV export"
        );
    }
}
