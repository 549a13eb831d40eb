//! Limits: an oversized message and an over-long field are refused, and a flood beyond the
//! in-flight limit is shed with RESOURCE_EXHAUSTED while the server stays healthy.

use std::sync::Arc;

use capacity_hub::hub::{Hub, HubSettings};
use capacity_hub::proto::actor_service_client::ActorServiceClient;
use capacity_hub::proto::insight_service_client::InsightServiceClient;
use capacity_hub::proto::{ActorKind, GetStatsRequest, RegisterActorRequest};
use capacity_hub::server::{Limits, ServerOptions, serve_with};
use tonic::Code;
use tonic::transport::Channel;

async fn start(limits: Limits) -> (String, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let hub = Arc::new(Hub::open(dir.path(), HubSettings::default()).unwrap());
    capacity_hub::demo::load(&hub).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = ServerOptions {
        limits,
        ..ServerOptions::default()
    };
    tokio::spawn(serve_with(listener, hub, options, async {
        let _ = stopped.await;
    }));
    (url, stop, dir)
}

fn actor(name: String, description: String) -> RegisterActorRequest {
    RegisterActorRequest {
        name,
        kind: ActorKind::CivilSociety as i32,
        description,
        ..RegisterActorRequest::default()
    }
}

#[tokio::test]
async fn oversized_messages_and_fields_are_refused() {
    let limits = Limits {
        max_message_bytes: 16 * 1024,
        ..Limits::default()
    };
    let (url, _stop, _dir) = start(limits).await;
    let mut actors = ActorServiceClient::new(Channel::from_shared(url).unwrap().connect().await.unwrap());

    let oversized = actors
        .register_actor(actor("Big".into(), "x".repeat(64 * 1024)))
        .await
        .unwrap_err();
    assert!(
        matches!(oversized.code(), Code::OutOfRange | Code::ResourceExhausted),
        "an oversized message is refused by size: {oversized:?}"
    );

    let long_field = actors
        .register_actor(actor("Long".into(), "x".repeat(5_000)))
        .await
        .unwrap_err();
    assert_eq!(long_field.code(), Code::InvalidArgument);
    assert!(
        long_field.message().starts_with("description:"),
        "{}",
        long_field.message()
    );

    let fine = actors
        .register_actor(actor("Fine".into(), "short".into()))
        .await
        .unwrap();
    assert_eq!(fine.into_inner().actor.unwrap().name, "Fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_beyond_the_limit_is_shed_and_the_server_recovers() {
    let limits = Limits {
        max_in_flight: 1,
        ..Limits::default()
    };
    let (url, _stop, _dir) = start(limits).await;
    let mut calls = Vec::new();
    for _ in 0..16 {
        let channel = Channel::from_shared(url.clone()).unwrap().connect().await.unwrap();
        calls.push(tokio::spawn(async move {
            let mut insights = InsightServiceClient::new(channel);
            let mut codes = Vec::new();
            for _ in 0..8 {
                codes.push(
                    insights
                        .get_stats(GetStatsRequest {})
                        .await
                        .map(|_| ())
                        .map_err(|status| status.code()),
                );
            }
            codes
        }));
    }
    let mut outcomes = Vec::new();
    for call in calls {
        outcomes.extend(call.await.unwrap());
    }
    let shed = outcomes.iter().filter(|o| **o == Err(Code::ResourceExhausted)).count();
    let served = outcomes.iter().filter(|o| o.is_ok()).count();
    assert!(shed > 0, "some of 128 concurrent calls beyond a limit of 1 are shed");
    assert!(served > 0, "calls within the limit are served");
    assert_eq!(shed + served, outcomes.len(), "nothing fails otherwise: {outcomes:?}");

    let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
    let stats = InsightServiceClient::new(channel)
        .get_stats(GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stats.open_needs, 5,
        "the server answers normally once the flood is over"
    );
}
