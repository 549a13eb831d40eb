//! The one mapping from the hub's errors to gRPC statuses. Every status the hub gives carries,
//! beside its words, details a program can read (AIP-193): a `google.rpc.ErrorInfo` with a
//! stable [`Reason`] and the domain `capacity-hub`, and for INVALID_ARGUMENT a
//! `google.rpc.BadRequest` naming each field and the rule it broke.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::domain::{Reason, Refusal, Violations};
use crate::hub::HubError;
use crate::store::StoreError;

/// `ErrorInfo.domain` of every error the hub gives.
pub const ERROR_DOMAIN: &str = "capacity-hub";

impl From<HubError> for Status {
    fn from(error: HubError) -> Status {
        match error {
            HubError::Invalid(violations) => violations.into(),
            HubError::NotFound { field, kind, id } => {
                let message = HubError::NotFound {
                    field,
                    kind,
                    id: id.clone(),
                }
                .to_string();
                let metadata = HashMap::from([
                    ("field".to_string(), field.to_string()),
                    ("kind".to_string(), kind.to_string()),
                    ("id".to_string(), id),
                ]);
                with_reason(Code::NotFound, Reason::NotFound, message, metadata)
            }
            HubError::AlreadyExists(refusal) => refused(Code::AlreadyExists, refusal),
            HubError::FailedPrecondition(refusal) => refused(Code::FailedPrecondition, refusal),
            HubError::ResourceExhausted(refusal) => refused(Code::ResourceExhausted, refusal),
            HubError::Unavailable(refusal) => refused(Code::Unavailable, refusal),
            HubError::Store(store_error) => store_status(&store_error),
            HubError::Search(message) => {
                tracing::error!(%message, "search index failure");
                internal(message)
            }
        }
    }
}

impl From<Violations> for Status {
    fn from(violations: Violations) -> Status {
        let message = violations.to_string();
        let mut details = ErrorDetails::with_bad_request(
            violations
                .as_slice()
                .iter()
                .map(|violation| FieldViolation::new(violation.field.clone(), violation.rule.clone()))
                .collect::<Vec<_>>(),
        );
        details.set_error_info(Reason::FieldRulesBroken.name(), ERROR_DOMAIN, HashMap::new());
        Status::with_error_details(Code::InvalidArgument, message, details)
    }
}

/// A status with `code`, the refusal's words, and its reason for programs.
pub fn refused(code: Code, refusal: Refusal) -> Status {
    let Refusal { reason, words } = refusal;
    with_reason(code, reason, words, HashMap::new())
}

/// INTERNAL, for a fault inside the hub; the words are for the operator's logs as much as the
/// caller.
pub fn internal(message: impl Into<String>) -> Status {
    with_reason(Code::Internal, Reason::Internal, message.into(), HashMap::new())
}

fn with_reason(code: Code, reason: Reason, message: String, metadata: HashMap<String, String>) -> Status {
    let details = ErrorDetails::with_error_info(reason.name(), ERROR_DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

fn store_status(error: &StoreError) -> Status {
    tracing::error!(%error, "store failure");
    match error {
        StoreError::Flush(_) | StoreError::Sled(sled::Error::Io(_)) => refused(
            Code::Unavailable,
            Refusal::new(
                Reason::StoreUnavailable,
                format!("{error}; the write may not have been saved, retry with the same request_id"),
            ),
        ),
        StoreError::Sled(_) | StoreError::Corrupt { .. } | StoreError::Incompatible(_) => internal(error.to_string()),
    }
}
