//! The hub in a browser, black-box: the page and its files served by the binary at `/` and
//! `/app/...` (content types, caching, the Content-Security-Policy, compression, no way out of
//! the bundle), CORS only for configured origins, and errors over gRPC-Web carrying the same
//! details a gRPC client reads. (Every RPC's codes over gRPC-Web, for each caller, are checked in
//! tests/authorization.rs.)

mod common;

use std::sync::Arc;

use bytes::Bytes;
use capacity_hub::hub::{Hub, HubSettings};
use capacity_hub::server::{Limits, ServerOptions, serve_with};
use capacity_hub::web::WebFiles;
use common::*;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tonic::Code;
use tonic::codegen::http::{self, HeaderMap, Method, StatusCode};
use tonic::service::interceptor::InterceptedService;
use tonic_types::StatusExt;

type Http1 = Client<HttpConnector, Empty<Bytes>>;

fn http1() -> Http1 {
    Client::builder(TokioExecutor::new()).build_http()
}

/// The status, headers and body of `method url` with `headers`.
async fn fetch(client: &Http1, method: Method, url: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Bytes) {
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Empty::new()).expect("a request"))
        .await
        .unwrap_or_else(|error| panic!("{url}: {error}"));
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("a body").to_bytes();
    (parts.status, parts.headers, body)
}

fn header_of<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The `/app/...` paths the page links to.
fn linked_assets(page: &str) -> Vec<String> {
    page.split('"')
        .filter(|part| part.starts_with("/app/"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_page_and_its_files_are_served_with_types_caching_and_a_strict_policy() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let client = http1();
    let base = format!("http://{}", hub.addr);

    let (status, headers, body) = fetch(&client, Method::GET, &format!("{base}/"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header_of(&headers, "cache-control"), "no-cache");
    let policy = header_of(&headers, "content-security-policy");
    for rule in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(rule), "the policy {policy:?} lacks {rule:?}");
    }
    assert!(
        !policy.contains("unsafe"),
        "the policy allows something unsafe: {policy}"
    );
    assert_eq!(header_of(&headers, "x-content-type-options"), "nosniff");
    let page = String::from_utf8(body.to_vec()).expect("the page is UTF-8");
    assert!(
        !page.contains("<script>") && !page.contains(" style="),
        "inline script or style in the page"
    );
    let assets = linked_assets(&page);
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
        "the page links no script or no style: {assets:?}"
    );

    // The page again, revalidated by its tag: nothing is sent.
    let tag = header_of(&headers, "etag").to_string();
    assert!(tag.starts_with("W/\"") && tag.len() > 10, "entity tag {tag:?}");
    let (status, _, body) = fetch(&client, Method::GET, &format!("{base}/"), &[("if-none-match", &tag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());

    for asset in &assets {
        let (status, headers, body) = fetch(&client, Method::GET, &format!("{base}{asset}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        assert!(!body.is_empty(), "{asset} is empty");
        let expected = if asset.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(header_of(&headers, "content-type"), expected, "{asset}");
        assert_eq!(
            header_of(&headers, "cache-control"),
            "public, max-age=31536000, immutable",
            "{asset}: named by its content, so cached for good"
        );
        // Compressed for a browser that says it can read gzip, and smaller for it.
        let (_, zipped_headers, zipped) = fetch(
            &client,
            Method::GET,
            &format!("{base}{asset}"),
            &[("accept-encoding", "gzip")],
        )
        .await;
        assert_eq!(header_of(&zipped_headers, "content-encoding"), "gzip", "{asset}");
        assert!(
            zipped.len() < body.len(),
            "{asset}: gzip {} >= {}",
            zipped.len(),
            body.len()
        );
    }

    // Nothing outside the bundle, and nothing that is not in it.
    for path in [
        "/app/../Cargo.toml",
        "/app/%2e%2e/Cargo.toml",
        "/app/assets/none.js",
        "/app/",
        "/favicon.ico",
        "/index.html",
    ] {
        let (status, _, _) = fetch(&client, Method::GET, &format!("{base}{path}"), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // HEAD as GET without the body; a POST to the page is not a gRPC call and not allowed.
    let (status, headers, body) = fetch(&client, Method::HEAD, &format!("{base}/"), &[]).await;
    assert_eq!((status, body.len()), (StatusCode::OK, 0));
    assert_eq!(header_of(&headers, "content-type"), "text/html; charset=utf-8");
    let (status, _, _) = fetch(&client, Method::POST, &format!("{base}/"), &[]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

/// A preflight from `origin` to SubmitNeed: its status and the origin the server allows back.
async fn preflight(client: &Http1, base: &str, origin: &str) -> (StatusCode, String) {
    let (status, headers, _) = fetch(
        client,
        Method::OPTIONS,
        &format!("{base}/capacityhub.v1.NeedService/SubmitNeed"),
        &[
            ("origin", origin),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization,content-type,x-grpc-web",
            ),
        ],
    )
    .await;
    (status, header_of(&headers, "access-control-allow-origin").to_string())
}

#[tokio::test]
async fn only_configured_origins_may_call_across_origins() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let client = http1();
    // By default no other origin is allowed.
    let (_, allowed) = preflight(&client, &format!("http://{}", hub.addr), "https://partner.example").await;
    assert_eq!(allowed, "", "a hub with no --cors-origin allowed another origin");

    let cors_dir = tempfile::tempdir().unwrap();
    let options = ServerOptions {
        cors_origins: vec!["https://partner.example".parse().unwrap()],
        ..ServerOptions::default()
    };
    let base = start_with(cors_dir.path(), options).await;
    // The listener is bound already: the preflight waits in its queue until the server runs.
    let (status, allowed) = preflight(&client, &base, "https://partner.example").await;
    assert!(status.is_success(), "preflight {status}");
    assert_eq!(allowed, "https://partner.example");
    let (_, allowed) = preflight(&client, &base, "https://elsewhere.example").await;
    assert_eq!(allowed, "", "an origin not configured was allowed");
}

#[tokio::test]
async fn errors_over_grpc_web_carry_the_details_a_grpc_client_reads() {
    let dir = tempfile::tempdir().unwrap();
    let hub = TestHub::start(dir.path()).await;
    let requester = hub.register("Honduras", ActorKind::NationalGovernment, "HND").await;
    let browser = InterceptedService::new(Transport::grpc_web(hub.addr), Bearer::admin());
    let mut needs = NeedServiceClient::new(browser.clone());

    let mut request = need_request(&requester.id, &[13], &[Modality::Training], &["HND"]);
    request.countries.push("XXX".into());
    request.title.clear();
    let status = needs.submit_need(request.clone()).await.expect_err("two broken fields");
    assert_eq!(status.code(), Code::InvalidArgument);
    let bad = status.get_details_bad_request().expect("a BadRequest over gRPC-Web");
    let fields: Vec<&str> = bad.field_violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["title", "countries[1]"], "{:?}", bad.field_violations);
    let info = status.get_details_error_info().expect("an ErrorInfo over gRPC-Web");
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("FIELD_RULES_BROKEN", "capacity-hub")
    );

    // The same request over gRPC gives the same details.
    let over_grpc = hub.needs().submit_need(request).await.expect_err("two broken fields");
    assert_eq!(
        format!("{:?}", over_grpc.get_details_bad_request()),
        format!("{:?}", Some(bad))
    );

    // A refusal: a need the browser names that does not exist.
    let missing = needs
        .get_need(GetNeedRequest {
            id: "need-424242".into(),
        })
        .await
        .expect_err("no such need");
    let info = missing.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(info.reason, "NOT_FOUND");
    assert_eq!(info.metadata.get("id").map(String::as_str), Some("need-424242"));

    // Without a token, a change is refused with its reason.
    let mut anonymous = NeedServiceClient::new(Transport::grpc_web(hub.addr));
    let refused = anonymous
        .submit_need(need_request(&requester.id, &[13], &[Modality::Training], &["HND"]))
        .await
        .expect_err("a change without a token");
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(
        refused.get_details_error_info().map(|i| i.reason),
        Some("TOKEN_MISSING".into())
    );
}

/// A server over an empty store with `options`, and its base URL. The listener is bound before
/// the server runs, so requests wait in its queue until it does.
async fn start_with(dir: &std::path::Path, options: ServerOptions) -> String {
    let store = Arc::new(Hub::open(dir, HubSettings::default()).expect("a store"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        serve_with(listener, store, options, std::future::pending())
            .await
            .expect("the server runs");
    });
    base
}

#[tokio::test]
async fn a_web_folder_on_disk_serves_its_own_files_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(dist.join("assets/app.js"), "console.log(1)").unwrap();
    std::fs::write(dist.join(".env"), "TOKEN=secret").unwrap();
    std::fs::create_dir_all(dir.path().join("outside")).unwrap();
    std::fs::write(dir.path().join("outside/secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside"), dist.join("link")).unwrap();

    let store = tempfile::tempdir().unwrap();
    let options = ServerOptions {
        web_files: WebFiles::directory(&dist).expect("a folder with an index.html"),
        ..ServerOptions::default()
    };
    let base = start_with(store.path(), options).await;
    let client = http1();
    let (status, _, body) = fetch(&client, Method::GET, &format!("{base}/app/assets/app.js"), &[]).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"console.log(1)"[..]));
    for path in [
        "/app/../outside/secret.txt",
        "/app/%2e%2e/outside/secret.txt",
        "/app/link/secret.txt",
        "/app/.env",
        "/app/assets",
        "/app/assets/",
    ] {
        let (status, _, body) = fetch(&client, Method::GET, &format!("{base}{path}"), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"), "{path} leaked");
    }
    assert!(
        WebFiles::directory(&dir.path().join("outside")).is_err(),
        "a folder without index.html"
    );
}

#[tokio::test]
async fn a_call_shed_under_load_is_answered_in_the_callers_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let origin = "https://partner.example";
    let options = ServerOptions {
        limits: Limits {
            max_in_flight: 0,
            ..Limits::default()
        },
        cors_origins: vec![origin.parse().unwrap()],
        ..ServerOptions::default()
    };
    let base = start_with(dir.path(), options).await;
    let addr = base.trim_start_matches("http://").parse().unwrap();

    // A gRPC-Web client reads the refusal, with its reason.
    let mut needs = NeedServiceClient::new(Transport::grpc_web(addr));
    let shed = needs
        .get_need(GetNeedRequest { id: "need-1".into() })
        .await
        .expect_err("no call is served with no slot");
    assert_eq!(shed.code(), Code::ResourceExhausted, "{shed:?}");
    assert_eq!(
        shed.get_details_error_info().map(|i| i.reason),
        Some("HUB_OVERLOADED".into())
    );

    // A browser of the configured origin sees it too: the answer is gRPC-Web, with CORS.
    let client = Client::builder(TokioExecutor::new()).build_http::<http_body_util::Full<Bytes>>();
    let frame = Bytes::from_static(&[0, 0, 0, 0, 0]);
    let request = http::Request::post(format!("{base}/capacityhub.v1.NeedService/GetNeed"))
        .header("content-type", "application/grpc-web+proto")
        .header("origin", origin)
        .body(http_body_util::Full::new(frame))
        .unwrap();
    let response = client.request(request).await.expect("an answer");
    let headers = response.headers();
    assert_eq!(header_of(headers, "content-type"), "application/grpc-web+proto");
    assert_eq!(header_of(headers, "access-control-allow-origin"), origin);
    assert_eq!(header_of(headers, "access-control-allow-credentials"), "");
    assert!(header_of(headers, "access-control-expose-headers").contains("grpc-status-details-bin"));

    // The page is unavailable rather than something else.
    let (status, _, _) = fetch(&http1(), Method::GET, &format!("{base}/"), &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
