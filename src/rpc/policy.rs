//! Authorization: who may call what. The README's table is this module in prose. Reads of public
//! fields are open to everyone; every change must come from the actor it belongs to (or the
//! admin); partnerships between two other actors, allocation runs and other actors' contact
//! details are for admins.

use tonic::Status;

use super::auth::Caller;
use crate::domain::{Reason, Refusal};

/// Who may register actors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    /// Anyone may register (capacity-sharing: any body can join).
    #[default]
    Open,
    /// Only the admin registers actors, then hands each its token.
    AdminOnly,
}

fn denied(reason: Reason, words: String) -> Status {
    Refusal::new(reason, words).into()
}

fn needs_token(what: &str) -> Status {
    Refusal::new(
        Reason::TokenMissing,
        format!("{what} needs a token: send 'authorization: Bearer <token>'"),
    )
    .into()
}

/// The caller must be `actor_id` (named in request field `field`) or the admin.
pub fn act_for(caller: &Caller, actor_id: &str, field: &str) -> Result<(), Status> {
    match caller {
        Caller::Admin => Ok(()),
        Caller::Actor(id) if id == actor_id => Ok(()),
        Caller::Actor(id) => Err(denied(
            Reason::NotYourRecord,
            format!("{field}: the token is {id}'s; it cannot act for {actor_id}"),
        )),
        Caller::Anonymous => Err(needs_token(&format!("acting for {actor_id}"))),
    }
}

/// The caller must be one of `actor_ids` (the parties of `what`, which request field `field`
/// names) or the admin.
pub fn act_for_one_of(caller: &Caller, actor_ids: &[&str], field: &str, what: &str) -> Result<(), Status> {
    match caller {
        Caller::Admin => Ok(()),
        Caller::Actor(id) if actor_ids.contains(&id.as_str()) => Ok(()),
        Caller::Actor(id) => Err(denied(
            Reason::NotAParty,
            format!("{field}: {id} is not a party to {what}"),
        )),
        Caller::Anonymous => Err(needs_token(what)),
    }
}

/// The caller must be the admin.
pub fn admin_only(caller: &Caller, what: &str) -> Result<(), Status> {
    match caller {
        Caller::Admin => Ok(()),
        Caller::Actor(id) => Err(denied(Reason::AdminOnly, format!("{what} is for the admin, not {id}"))),
        Caller::Anonymous => Err(needs_token(what)),
    }
}

/// The caller must have sent a token (of an actor or the admin).
pub fn signed_in(caller: &Caller, what: &str) -> Result<(), Status> {
    match caller {
        Caller::Anonymous => Err(needs_token(what)),
        Caller::Actor(_) | Caller::Admin => Ok(()),
    }
}

/// Whether the caller may register an actor under `registration`.
pub fn register(caller: &Caller, registration: Registration) -> Result<(), Status> {
    match registration {
        Registration::Open => Ok(()),
        Registration::AdminOnly => admin_only(caller, "registering actors on this hub"),
    }
}

/// True when the caller may see `actor_id`'s contact: the actor itself and the admin.
pub fn sees_contact(caller: &Caller, actor_id: &str) -> bool {
    match caller {
        Caller::Admin => true,
        Caller::Actor(id) => id == actor_id,
        Caller::Anonymous => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_actor_or_the_admin_acts_for_an_actor() {
        let me = Caller::Actor("actor-1".into());
        assert!(act_for(&me, "actor-1", "requester_id").is_ok());
        assert!(act_for(&Caller::Admin, "actor-1", "requester_id").is_ok());
        let denied = act_for(&me, "actor-2", "requester_id").unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(denied.message().starts_with("requester_id:"), "{}", denied.message());
        assert_eq!(
            act_for(&Caller::Anonymous, "actor-1", "requester_id")
                .unwrap_err()
                .code(),
            tonic::Code::Unauthenticated
        );
    }

    #[test]
    fn a_stranger_to_a_match_is_told_which_field_names_it() {
        let parties = ["actor-1", "actor-2"];
        assert!(act_for_one_of(&Caller::Actor("actor-2".into()), &parties, "actor_id", "match match-5").is_ok());
        assert!(act_for_one_of(&Caller::Admin, &parties, "actor_id", "match match-5").is_ok());
        let denied =
            act_for_one_of(&Caller::Actor("actor-4".into()), &parties, "actor_id", "match match-5").unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert_eq!(denied.message(), "actor_id: actor-4 is not a party to match match-5");
    }

    #[test]
    fn contacts_are_private() {
        assert!(sees_contact(&Caller::Actor("actor-1".into()), "actor-1"));
        assert!(!sees_contact(&Caller::Actor("actor-2".into()), "actor-1"));
        assert!(!sees_contact(&Caller::Anonymous, "actor-1"));
        assert!(sees_contact(&Caller::Admin, "actor-1"));
    }
}
