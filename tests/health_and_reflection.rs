//! Standard services: gRPC health (overall and per hub service) and server reflection in both
//! protocol versions.

mod common;

use common::TestHub;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const HUB_SERVICES: [&str; 5] = [
    "capacityhub.v1.ActorService",
    "capacityhub.v1.NeedService",
    "capacityhub.v1.OfferService",
    "capacityhub.v1.PartnershipService",
    "capacityhub.v1.MatchService",
];

#[tokio::test]
async fn health_reports_serving_overall_and_for_every_hub_service() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut health = HealthClient::new(hub.channel());

    for service in std::iter::once("").chain(HUB_SERVICES) {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap_or_else(|status| panic!("health check of {service:?} failed: {status:?}"))
            .into_inner();
        assert_eq!(
            response.status(),
            ServingStatus::Serving,
            "health of {service:?} is {:?}",
            response.status()
        );
    }

    let unknown = health
        .check(HealthCheckRequest {
            service: "capacityhub.v1.NoSuchService".into(),
        })
        .await;
    assert_eq!(
        unknown.expect_err("an unknown service has no health").code(),
        tonic::Code::NotFound
    );
}

#[tokio::test]
async fn reflection_v1_lists_the_hub_services() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut client = ServerReflectionClient::new(hub.channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1 answers")
        .into_inner();
    let response = stream
        .message()
        .await
        .expect("a reflection response")
        .expect("one message");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("expected a list of services, got {:?}", response.message_response);
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in HUB_SERVICES {
        assert!(
            names.iter().any(|n| n == service),
            "v1 reflection lacks {service}: {names:?}"
        );
    }
}

#[tokio::test]
async fn reflection_v1alpha_lists_the_hub_services() {
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let mut client = ServerReflectionClient::new(hub.channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection v1alpha answers")
        .into_inner();
    let response = stream
        .message()
        .await
        .expect("a reflection response")
        .expect("one message");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("expected a list of services, got {:?}", response.message_response);
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in HUB_SERVICES {
        assert!(
            names.iter().any(|n| n == service),
            "v1alpha reflection lacks {service}: {names:?}"
        );
    }
}
