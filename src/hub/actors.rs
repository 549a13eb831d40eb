//! Registering actors, reading and editing their profiles.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{Hub, HubError, Page, PageRequest};
use crate::domain::{Actor, ActorKind, ActorProfile, Violations};
use crate::store::{Scan, TreeName, WriteSet};

/// Filters of ListActors; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct ActorFilter {
    pub kind: Option<ActorKind>,
    pub country: Option<String>,
}

/// A new random API token (256 bits, hex) and its SHA-256, which is all the hub keeps.
fn new_token() -> (String, String) {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = hex::encode(secret);
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    (token, digest)
}

impl Hub {
    /// Registers an actor and issues its API token (`Some`). A retry with the same `request_id`
    /// returns the same actor and no token (`None`): the token exists only as a hash, and issuing
    /// a new one to whoever presents an old request id would hand the account to anyone who
    /// guessed the id.
    pub async fn register_actor(
        &self,
        profile: ActorProfile,
        request_id: &str,
    ) -> Result<(Actor, Option<String>), HubError> {
        profile.validate()?;
        let (token, token_sha256) = new_token();
        let change = |store: &crate::store::Store| {
            if let Some(actor) = self.replay::<Actor>("RegisterActor", request_id)? {
                return Ok((WriteSet::default(), (actor, None)));
            }
            let now = self.now();
            let actor = Actor {
                id: store.next_id("actor")?,
                profile,
                token_sha256: token_sha256.clone(),
                created_at: now,
                updated_at: now,
            };
            let mut writes = WriteSet::default();
            writes.put(None, &actor)?;
            writes.set_token(None, &token_sha256, &actor.id);
            if !request_id.is_empty() {
                writes.remember_request("RegisterActor", request_id, &actor.id);
            }
            Ok((writes, (actor, Some(token))))
        };
        self.write(change, |_| {}).await
    }

    /// The actor whose API token has this SHA-256 digest, if any. The digest is the key of the
    /// token tree, so no stored token is compared byte by byte with the presented one.
    pub fn actor_for_token_digest(&self, digest: &[u8; 32]) -> Result<Option<String>, HubError> {
        Ok(self.store.actor_for_token(&hex::encode(digest))?)
    }

    /// The actor with this id.
    pub fn get_actor(&self, id: &str) -> Result<Actor, HubError> {
        self.load("id", id)
    }

    /// A page of actors.
    pub fn list_actors(&self, filter: &ActorFilter, page: &PageRequest) -> Result<Page<Actor>, HubError> {
        if let Some(country) = &filter.country {
            let mut violations = Violations::default();
            violations.country("country", country);
            violations.into_result()?;
        }
        let kind = filter.kind.map(ActorKind::code);
        let scan = match (&filter.country, kind) {
            (Some(country), _) => Scan::Index(TreeName::ActorsByCountry, country),
            (None, Some(kind)) => Scan::Index(TreeName::ActorsByKind, kind),
            (None, None) => Scan::All,
        };
        self.list(scan, page, |actor: &Actor| {
            filter.kind.is_none_or(|kind| actor.profile.kind == kind)
        })
    }

    /// Edits an actor's profile with `edit`, which may refuse with field violations.
    pub async fn update_actor(
        &self,
        id: &str,
        edit: impl FnOnce(&mut ActorProfile) -> Result<(), Violations>,
    ) -> Result<Actor, HubError> {
        let change = |_: &crate::store::Store| {
            let old: Actor = self.load("actor.id", id)?;
            let mut actor = old.clone();
            edit(&mut actor.profile)?;
            actor
                .profile
                .validate()
                .map_err(|violations| violations.within("actor."))?;
            actor.updated_at = self.now();
            let mut writes = WriteSet::default();
            writes.put(Some(&old), &actor)?;
            Ok((writes, actor))
        };
        self.write(change, |_| {}).await
    }
}
