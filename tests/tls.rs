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

/// Protects: `serve` given a certificate and a key that cannot serve TLS together, or a file
/// that holds no certificate, says so naming both files, exits non-zero and creates no store.
#[test]
fn serve_refuses_a_certificate_and_key_that_do_not_go_together_before_opening_the_store() {
    let scratch = tempfile::tempdir().unwrap();
    let write = |name: &str, pem: String| {
        let path = scratch.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    let one = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let certificate = write("hub.pem", one.cert.pem());
    let wrong_key = write("other.key", other.signing_key.serialize_pem());
    let key = write("hub.key", one.signing_key.serialize_pem());
    for (cert, key, why) in [
        (&certificate, &wrong_key, "KeyMismatch"),
        (&key, &certificate, "holds no PEM certificate"),
    ] {
        let data_dir = scratch.path().join("store");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_capacity-hub"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        let said = format!(
            "--tls-cert {} and --tls-key {} cannot serve TLS: ",
            cert.display(),
            key.display()
        );
        assert!(stderr.contains(&said) && stderr.contains(why), "{stderr}");
        assert!(!data_dir.exists(), "no store is created for a server that cannot start");
    }
}
