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
