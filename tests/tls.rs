//! TLS: a server with a certificate made in the test answers a client that trusts it, and a
//! plain-text client cannot talk to it.

use std::sync::Arc;

use capacity_hub::hub::{Hub, HubSettings};
use capacity_hub::proto::actor_service_client::ActorServiceClient;
use capacity_hub::proto::{ListActorsRequest, RegisterActorRequest};
use capacity_hub::server::{ServerOptions, TlsIdentity, serve_with};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

#[tokio::test]
async fn tls_server_answers_trusting_clients_and_refuses_plain_text() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let certificate_pem = certified.cert.pem();
    let tls = TlsIdentity {
        certificate_pem: certificate_pem.clone().into_bytes(),
        private_key_pem: certified.signing_key.serialize_pem().into_bytes(),
    };
    let dir = tempfile::tempdir().unwrap();
    let hub = Arc::new(Hub::open(dir.path(), HubSettings::default()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = ServerOptions {
        tls: Some(tls),
        ..ServerOptions::default()
    };
    let server = tokio::spawn(serve_with(listener, hub, options, async {
        let _ = stopped.await;
    }));

    let trusted = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&certificate_pem))
        .domain_name("localhost");
    let channel = Channel::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(trusted)
        .unwrap();
    let mut client = ActorServiceClient::new(channel.connect().await.unwrap());
    let registered = client
        .register_actor(RegisterActorRequest {
            name: "Government of Guatemala".into(),
            kind: capacity_hub::proto::ActorKind::NationalGovernment as i32,
            country: "GTM".into(),
            ..RegisterActorRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registered.actor.unwrap().country, "GTM");

    let plain = Channel::from_shared(format!("http://localhost:{port}")).unwrap();
    let refused = match plain.connect().await {
        Err(_) => true,
        Ok(channel) => ActorServiceClient::new(channel)
            .list_actors(ListActorsRequest::default())
            .await
            .is_err(),
    };
    assert!(refused, "a plain-text client must not get an answer from a TLS server");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
