//! The web app served by the binary: the files of `web/dist` (built from `web/src` with npm and
//! committed, so `cargo build` needs no node), embedded at build time and served at `/` (the
//! page) and `/app/...` (its scripts, styles and images). The page talks to the hub through the
//! same API as every other client, over gRPC-Web on the same port, so it needs no CORS and no
//! rule of its own.

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The built web app, embedded in the binary.
#[derive(rust_embed::Embed)]
#[folder = "web/dist/"]
struct Bundle;

/// The page's only sources are the hub itself: no inline script or style, no other origin, not
/// framed. The page holds an API token, so nothing it loads may come from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

/// Where the files come from.
#[derive(Debug, Clone, Default)]
pub enum WebFiles {
    /// The copy embedded at build time.
    #[default]
    Embedded,
    /// A folder on disk (`serve --web-dir`), read at every request: for working on the page
    /// without building the binary again.
    Directory(PathBuf),
}

/// A file of the app, ready to send.
struct WebFile {
    bytes: Vec<u8>,
    /// The content's SHA-256 in hex, its entity tag.
    digest: String,
}

impl WebFiles {
    /// The file at `path` (relative to `web/dist`), if there is one. A path that is not plain
    /// names (`..`, a root, a drive) finds nothing, so no request reaches outside the folder.
    async fn file(&self, path: &str) -> Option<WebFile> {
        let relative = Path::new(path);
        if path.is_empty() || !relative.components().all(|part| matches!(part, Component::Normal(_))) {
            return None;
        }
        match self {
            WebFiles::Embedded => Bundle::get(path).map(|file| WebFile {
                digest: hex::encode(file.metadata.sha256_hash()),
                bytes: file.data.into_owned(),
            }),
            WebFiles::Directory(root) => {
                let bytes = tokio::fs::read(root.join(relative)).await.ok()?;
                Some(WebFile {
                    digest: hex::encode(Sha256::digest(&bytes)),
                    bytes,
                })
            }
        }
    }
}

/// The routes of the page: `/` and `/app/{*path}`, GET and HEAD.
pub fn routes(files: WebFiles) -> axum::Router {
    use axum::routing::get;
    let page_files = files.clone();
    axum::Router::new()
        .route(
            "/",
            get(move |headers: HeaderMap| {
                let files = page_files.clone();
                async move { serve(&files, "index.html", &headers).await }
            }),
        )
        .route(
            "/app/{*path}",
            get(move |uri: Uri, headers: HeaderMap| {
                let files = files.clone();
                async move {
                    let path = uri.path().trim_start_matches("/app/").to_string();
                    serve(&files, &path, &headers).await
                }
            }),
        )
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
}

/// How long a browser may keep a file without asking again: the scripts and styles under
/// `assets/` carry their content's hash in their names, so a new build has new names and they
/// never change; anything else (the page itself) is asked again every time, cheaply, by its tag.
fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

async fn serve(files: &WebFiles, path: &str, request: &HeaderMap) -> Response {
    let Some(file) = files.file(path).await else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found\n",
        )
            .into_response();
    };
    let tag = format!("\"{}\"", file.digest);
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|candidate| candidate.trim() == tag));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(file.bytes))
    };
    let headers = response.headers_mut();
    let content_type = mime_guess::from_path(path).first_or_octet_stream();
    for (name, value) in [
        (
            header::CONTENT_TYPE,
            content_type.essence_str().to_string() + text_charset(&content_type),
        ),
        (header::ETAG, tag),
        (header::CACHE_CONTROL, cache_control(path).to_string()),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY.to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        (header::REFERRER_POLICY, "no-referrer".to_string()),
        (header::X_FRAME_OPTIONS, "DENY".to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// Text is served as UTF-8, said in its content type.
fn text_charset(content_type: &mime_guess::Mime) -> &'static str {
    let textual = content_type.type_() == mime_guess::mime::TEXT
        || matches!(content_type.subtype().as_str(), "javascript" | "json" | "manifest+json");
    if textual { "; charset=utf-8" } else { "" }
}
