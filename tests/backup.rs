//! Backup under write load: every write acknowledged before the backup began is in the restored
//! store, and a damaged backup restores nothing.

use std::sync::{Arc, Mutex};

use capacity_hub::domain::{ActorKind, ActorProfile, DateWindow, Level, Modality, NeedSpec, Objective, Urgency};
use capacity_hub::hub::{Hub, HubSettings, NeedFilter, PageRequest};
use capacity_hub::proto::BackupRequest;
use capacity_hub::proto::admin_service_client::AdminServiceClient;
use capacity_hub::server::{ServerOptions, serve_with};
use tonic::transport::Channel;

const ADMIN_TOKEN: &str = "backup-test-admin-token-0123456789";

fn need() -> NeedSpec {
    NeedSpec {
        title: "Training for local authorities receiving newcomers".into(),
        description: String::new(),
        themes: vec![Objective::new(15).unwrap()],
        modalities: vec![Modality::Training],
        level: Level::Local,
        countries: vec!["BRA".into()],
        languages: vec!["pt".into()],
        budget_usd: None,
        urgency: Urgency::Critical,
        window: DateWindow::default(),
    }
}

fn roraima() -> ActorProfile {
    ActorProfile {
        name: "State of Roraima".into(),
        kind: ActorKind::LocalAuthority,
        country: Some("BRA".into()),
        languages: vec!["pt".into()],
        description: String::new(),
        contact: String::new(),
    }
}

async fn take_backup(url: String) -> Vec<u8> {
    let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
    let mut admin = AdminServiceClient::with_interceptor(channel, |mut request: tonic::Request<()>| {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {ADMIN_TOKEN}").parse().unwrap());
        Ok(request)
    });
    let mut stream = admin.backup(BackupRequest {}).await.unwrap().into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        bytes.extend(chunk.data);
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_every_write_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Arc::new(Hub::open(dir.path(), HubSettings::default()).unwrap());
    let (requester, _) = hub.register_actor(roraima(), "").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let options = ServerOptions {
        admin_token: Some(ADMIN_TOKEN.into()),
        ..ServerOptions::default()
    };
    tokio::spawn(serve_with(listener, Arc::clone(&hub), options, std::future::pending()));

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for _ in 0..4 {
        let (hub, requester, acknowledged) = (Arc::clone(&hub), requester.id.clone(), Arc::clone(&acknowledged));
        writers.push(tokio::spawn(async move {
            for _ in 0..60 {
                let need = hub.submit_need(&requester, need(), "").await.unwrap();
                acknowledged.lock().unwrap().push(need.id);
            }
        }));
    }
    // The backup begins once some writes are acknowledged, while the rest go on.
    let first_acknowledged = async {
        while acknowledged.lock().unwrap().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), first_acknowledged)
        .await
        .expect("a write is acknowledged within a minute");
    let before_backup: Vec<String> = acknowledged.lock().unwrap().clone();
    let backup = take_backup(url).await;
    for writer in writers {
        writer.await.unwrap();
    }

    let scratch = tempfile::tempdir().unwrap();
    let restored_dir = scratch.path().join("restored");
    let summary = Hub::restore(&restored_dir, backup.as_slice()).unwrap();
    assert!(summary.entries > before_backup.len() as u64);
    let restored = Hub::open(&restored_dir, HubSettings::default()).unwrap();
    for id in &before_backup {
        restored
            .get_need(id)
            .unwrap_or_else(|_| panic!("{id} was acknowledged before the backup began"));
    }
    let page = restored
        .list_needs(
            &NeedFilter::default(),
            &PageRequest {
                after: None,
                limit: 500,
            },
        )
        .unwrap();
    let next = restored.submit_need(&requester.id, need(), "").await.unwrap();
    assert!(
        page.records.iter().all(|n| n.id != next.id),
        "a restored store never hands out an id it holds"
    );

    let mut damaged = backup.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0xFF;
    let damaged_dir = scratch.path().join("damaged");
    let refused = Hub::restore(&damaged_dir, damaged.as_slice()).unwrap_err();
    // Read entry by entry, a damaged file is refused at the checksum or at the first frame it
    // breaks, whichever comes first.
    assert!(
        refused.to_string().contains("not a usable capacity-hub backup"),
        "{refused}"
    );
    assert!(!damaged_dir.exists(), "a refused restore leaves nothing behind");
}

/// A party's mark on a pair is a record like any other: a backup carries it, and the restored
/// hub still leaves the declined pair out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_store_keeps_the_parties_marks() {
    use capacity_hub::domain::{Need, Offer, Preference};
    use capacity_hub::hub::{OfferFilter, PreferenceChange};
    use capacity_hub::synthetic::{Tier, generate};

    let dir = tempfile::tempdir().unwrap();
    let hub = Arc::new(Hub::open(dir.path(), HubSettings::default()).unwrap());
    generate(&hub, Tier::S, 3, |_| {}).await.unwrap();
    let page = PageRequest {
        after: None,
        limit: 500,
    };
    let need: Need = hub.list_needs(&NeedFilter::default(), &page).unwrap().records.remove(0);
    let offer: Offer = hub
        .list_offers(&OfferFilter::default(), &page)
        .unwrap()
        .records
        .into_iter()
        .find(|offer| offer.provider_id != need.requester_id)
        .unwrap();
    let change = PreferenceChange {
        need_id: need.id.clone(),
        offer_id: offer.id.clone(),
        actor_id: need.requester_id.clone(),
        preference: Preference::Declined,
        reason: "another partner already helps".into(),
    };
    hub.set_preference(&change).await.unwrap();
    let (_, backup) = hub.backup(Vec::new()).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let restored_dir = scratch.path().join("restored");
    Hub::restore(&restored_dir, backup.as_slice()).unwrap();
    let restored = Hub::open(&restored_dir, HubSettings::default()).unwrap();
    assert!(restored.declined_offers(&need.id).unwrap().contains(&offer.id));
    let marks = restored.pair_preferences(&need.id, &offer.id).unwrap();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].reason, "another partner already helps");
}

/// A restore killed halfway leaves no store at the target, and what it was building is refused
/// if opened; the next restore into the same target completes. The backup reaches the restore
/// through a pipe, so the test decides where "halfway" is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_killed_halfway_leaves_nothing_that_opens_as_a_store() {
    use std::io::Write;

    let scratch = tempfile::tempdir().unwrap();
    let hub = Arc::new(Hub::open(&scratch.path().join("source"), HubSettings::default()).unwrap());
    let (requester, _) = hub.register_actor(roraima(), "").await.unwrap();
    for _ in 0..200 {
        hub.submit_need(&requester.id, need(), "").await.unwrap();
    }
    let (summary, backup) = hub.backup(Vec::new()).await.unwrap();
    drop(hub);

    let pipe = scratch.path().join("backup.pipe");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status().unwrap();
    assert!(made.success(), "mkfifo");
    let target = scratch.path().join("restored");
    let mut restore = std::process::Command::new(env!("CARGO_BIN_EXE_capacity-hub"))
        .args(["restore", "--from"])
        .arg(&pipe)
        .arg("--data-dir")
        .arg(&target)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut writer = std::fs::OpenOptions::new().write(true).open(&pipe).unwrap();
    writer.write_all(&backup[..backup.len() / 2]).unwrap();
    writer.flush().unwrap();
    // sled writes what it holds to disk at least every 500 ms.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    restore.kill().unwrap();
    restore.wait().unwrap();
    drop(writer);

    assert!(
        !target.exists(),
        "a restore killed halfway leaves no store at its target"
    );
    let staging = scratch.path().join(".restored.restoring");
    assert!(staging.join("db").exists(), "the restore had begun writing");
    let opened = Hub::open(&staging, HubSettings::default())
        .map(drop)
        .map_err(|e| e.to_string());
    assert!(
        matches!(&opened, Err(message) if message.contains("not a capacity-hub store")),
        "what a killed restore was building does not open as a store: {opened:?}"
    );

    let restored = Hub::restore(&target, backup.as_slice()).unwrap();
    assert_eq!(restored.entries, summary.entries);
    assert!(!staging.exists(), "the next restore clears what the killed one left");
    let reopened = Hub::open(&target, HubSettings::default()).unwrap();
    let page = PageRequest {
        after: None,
        limit: 500,
    };
    assert_eq!(
        reopened
            .list_needs(&NeedFilter::default(), &page)
            .unwrap()
            .records
            .len(),
        200
    );
}
