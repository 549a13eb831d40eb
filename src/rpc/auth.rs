//! Authentication: one interceptor on every hub service turns the `authorization: Bearer <token>`
//! header into a [`Caller`] that handlers find in the request's extensions. A request without
//! the header is anonymous (reads of public fields stay open); a header with an unknown or
//! malformed token is refused at once with UNAUTHENTICATED, so a typo never silently downgrades
//! a client to anonymous.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::domain::{ActingFor, Reason, Refusal};
use crate::hub::Hub;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No token: may read public fields and register (when registration is open).
    Anonymous,
    /// The actor whose API token was presented.
    Actor(String),
    /// The holder of the admin token: may act for anyone.
    Admin,
}

impl Caller {
    /// The caller of a request, as the interceptor identified it.
    pub fn of<T>(request: &Request<T>) -> Caller {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous)
    }

    /// The call acting for `party`, which the policy has let this caller act for: the admin
    /// acts as no actor, so the events it causes name no one.
    pub fn acting_for<'a>(&self, party: &'a str) -> ActingFor<'a> {
        match self {
            Caller::Admin => ActingFor::admin(party),
            Caller::Actor(_) | Caller::Anonymous => ActingFor::from(party),
        }
    }
}

/// The interceptor: identifies callers by token.
#[derive(Clone)]
pub struct Authenticator {
    hub: Arc<Hub>,
    /// SHA-256 of the admin token, if one is configured.
    admin_sha256: Option<[u8; 32]>,
}

impl Authenticator {
    /// Identifies callers against the actors' token hashes in `hub` and the admin token.
    pub fn new(hub: Arc<Hub>, admin_token: Option<&str>) -> Authenticator {
        Authenticator {
            hub,
            admin_sha256: admin_token.map(|token| Sha256::digest(token.as_bytes()).into()),
        }
    }

    fn identify(&self, header: Option<&str>) -> Result<Caller, Status> {
        let Some(header) = header else {
            return Ok(Caller::Anonymous);
        };
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| invalid_token("authorization: expected 'Bearer <token>'"))?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if self.admin_sha256.is_some_and(|admin| bool::from(admin.ct_eq(&digest))) {
            return Ok(Caller::Admin);
        }
        match self.hub.actor_for_token_digest(&digest) {
            Ok(Some(actor_id)) => Ok(Caller::Actor(actor_id)),
            Ok(None) => Err(invalid_token("authorization: the token is not valid")),
            Err(error) => Err(error.into()),
        }
    }
}

impl Interceptor for Authenticator {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let header = request.metadata().get("authorization").map(|value| value.to_str());
        let header = header
            .transpose()
            .map_err(|_| invalid_token("authorization: not valid ASCII"))?;
        let caller = self.identify(header)?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

/// UNAUTHENTICATED for a token the hub cannot accept.
fn invalid_token(words: &str) -> Status {
    Refusal::new(Reason::TokenInvalid, words).into()
}
