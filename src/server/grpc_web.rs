//! gRPC-Web beside gRPC on one port, and the web app's own requests beside both.
//!
//! tonic-web's layer answers every HTTP/1.1 request that is not gRPC-Web with 400, which would
//! turn away the browser asking for the page itself; so only requests of the gRPC family (a
//! `content-type` of `application/grpc...`) go through it; the page's own requests (`/` and
//! `/app/<file>`) reach the routes as they came, and any other request that is not gRPC is 404
//! at once (the routes' fallback answers as gRPC does, with UNIMPLEMENTED, which means nothing
//! to a browser).

use axum::http::{Request, Response, StatusCode, header};
use std::future::Future;
use std::pin::Pin;
use tonic::body::Body;

use tonic_web::GrpcWebLayer;
use tower::{BoxError, Layer, Service};

/// Wraps the routes in [`GrpcWebOrPage`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcWebOrPageLayer;

impl<S> Layer<S> for GrpcWebOrPageLayer {
    type Service = GrpcWebOrPage<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcWebOrPage { inner }
    }
}

/// gRPC and gRPC-Web through tonic-web's translation; anything else straight to the routes.
#[derive(Debug, Clone)]
pub struct GrpcWebOrPage<S> {
    inner: S,
}

/// Whether the request is gRPC or gRPC-Web, by its content type.
fn is_grpc<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"))
}

/// Whether `path` is one the web app is served at.
fn is_page_path(path: &str) -> bool {
    path == "/" || path.strip_prefix("/app/").is_some_and(|file| !file.is_empty())
}

impl<S, B> Service<Request<B>> for GrpcWebOrPage<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError> + std::fmt::Display,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was polled ready takes the call; its clone stays for the next.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        if is_grpc(&request) {
            let call = GrpcWebLayer::new().layer(ready).call(request);
            Box::pin(async move { call.await.map_err(Into::into) })
        } else if !is_page_path(request.uri().path()) {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_FOUND;
            Box::pin(async move { Ok(response) })
        } else {
            let call = ready.call(request.map(Body::new));
            Box::pin(async move { call.await.map_err(Into::into) })
        }
    }
}
