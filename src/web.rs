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
    /// without building the binary again. Made with [`WebFiles::directory`].
    Directory(PathBuf),
}

/// Whether `path` is one the web app is served at: `/` and `/app/<file>`.
pub fn is_page_path(path: &str) -> bool {
    path == "/" || app_file(path).is_some()
}

/// The file `/app/<file>` names, relative to `web/dist`.
fn app_file(path: &str) -> Option<&str> {
    path.strip_prefix("/app/").filter(|file| !file.is_empty())
}

/// A file of the app, ready to send.
struct WebFile {
    bytes: Vec<u8>,
    /// The content's SHA-256 in hex, its entity tag.
    digest: String,
}

impl WebFiles {
    /// The files of the folder `root`, which must hold an `index.html`. The folder is resolved
    /// once, here, so that every file served can be checked to lie inside it.
    pub fn directory(root: &Path) -> std::io::Result<WebFiles> {
        let root = std::fs::canonicalize(root)?;
        if !root.join("index.html").is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "no index.html in {} (build it with `npm run build` in web/)",
                    root.display()
                ),
            ));
        }
        Ok(WebFiles::Directory(root))
    }

    /// The file at `path` (relative to `web/dist`), if there is one. Only plain names that do not
    /// start with a dot are looked up (no `..`, root, drive or hidden file), and a file on disk
    /// must resolve, links followed, to inside the folder: no request reaches anything else.
    async fn file(&self, path: &str) -> Option<WebFile> {
        let relative = Path::new(path);
        let plain =
            |part: Component<'_>| matches!(part, Component::Normal(name) if !name.to_string_lossy().starts_with('.'));
        if path.is_empty() || !relative.components().all(plain) {
            return None;
        }
        match self {
            WebFiles::Embedded => Bundle::get(path).map(|file| WebFile {
                digest: hex::encode(file.metadata.sha256_hash()),
                bytes: file.data.into_owned(),
            }),
            WebFiles::Directory(root) => {
                let real = tokio::fs::canonicalize(root.join(relative)).await.ok()?;
                let inside = real.starts_with(root) && tokio::fs::metadata(&real).await.ok()?.is_file();
                if !inside {
                    return None;
                }
                let bytes = tokio::fs::read(&real).await.ok()?;
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
                    let path = app_file(uri.path()).unwrap_or_default().to_string();
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
    // A weak tag: the same content goes out gzipped or not, and a strong tag would claim the
    // two bodies equal byte for byte. If-None-Match compares weakly (RFC 9110, 13.1.2).
    let tag = format!("W/\"{}\"", file.digest);
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .map(str::trim)
                .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag.trim_start_matches("W/"))
        });
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
