//! gRPC-Web beside gRPC on one port, and the web app's own requests beside both.
//!
//! tonic-web's layer answers every HTTP/1.1 request that is not gRPC-Web with 400, which would
//! turn away the browser asking for the page itself; so only requests of the gRPC family (a
//! `content-type` of `application/grpc...`) go through it; the page's own requests (`/` and
//! `/app/<file>`) reach the routes as they came, and any other request that is not gRPC is 404
//! at once (the routes' fallback answers as gRPC does, with UNIMPLEMENTED, which means nothing
//! to a browser).
//!
//! The layer sits outside the in-flight limit, so that a call shed under load is answered here,
//! in the caller's own protocol: a gRPC-Web caller gets RESOURCE_EXHAUSTED as gRPC-Web (with
//! the CORS headers outside), not a plain gRPC answer its client cannot read, and a page request
//! gets 503.

use std::future::Future;
use std::pin::Pin;

use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use tonic::Status;
use tonic::body::Body;
use tonic_web::GrpcWebLayer;
use tower::{BoxError, Layer, Service, ServiceExt};

use crate::domain::{Reason, Refusal};
use crate::web::is_page_path;

/// Wraps the routes in [`GrpcWebOrPage`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcWebOrPageLayer;

impl<S> Layer<S> for GrpcWebOrPageLayer {
    type Service = GrpcWebOrPage<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcWebOrPage { inner }
    }
}

/// gRPC and gRPC-Web through tonic-web's translation; the page's requests straight to the
/// routes; anything else 404.
#[derive(Debug, Clone)]
pub struct GrpcWebOrPage<S> {
    inner: S,
}

/// Whether the request is gRPC or gRPC-Web, by its content type (gRPC-Web calls are gRPC by
/// the time they pass the metrics layer).
pub(crate) fn is_grpc<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"))
}

/// A plain-text answer with no body worth reading.
fn plain(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The call was shed by the in-flight limit (the only error the layers inside give).
fn shed(error: &BoxError) -> Status {
    tracing::debug!(%error, "call shed");
    Refusal::new(
        Reason::HubOverloaded,
        "the hub has too many calls in flight; retry later",
    )
    .into()
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

impl<S, B> Service<Request<B>> for GrpcWebOrPage<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError> + std::fmt::Display,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was polled ready takes the call; its clone stays for the next.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        if is_grpc(&request) {
            let answered = ready
                .map_result(|result| Ok::<_, S::Error>(result.unwrap_or_else(|error| shed(&error.into()).into_http())));
            let call = GrpcWebLayer::new().layer(answered).call(request);
            Box::pin(async move { call.await.map_err(Into::into) })
        } else if is_page_path(request.uri().path()) {
            let mut ready = ready;
            let call = ready.call(request.map(Body::new));
            Box::pin(async move { Ok(call.await.unwrap_or_else(|_| plain(StatusCode::SERVICE_UNAVAILABLE))) })
        } else {
            Box::pin(async move { Ok(plain(StatusCode::NOT_FOUND)) })
        }
    }
}
