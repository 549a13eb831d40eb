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

/// Most field violations one error carries: a request can break hundreds of rules (a hundred
/// unknown country codes), and every one travels in the message, in the details, and again in
/// the details' copy of the message, while HTTP/2 clients refuse headers over 16 KiB. The message
/// names how many more there were.
pub const MAX_VIOLATIONS_SHOWN: usize = 20;

/// The gRPC code of each reason: one table, so a reason always comes with the same code.
pub fn code(reason: Reason) -> Code {
    match reason {
        Reason::FieldRulesBroken => Code::InvalidArgument,
        Reason::NotFound => Code::NotFound,
        Reason::TokenMissing | Reason::TokenInvalid => Code::Unauthenticated,
        Reason::NotYourRecord | Reason::NotAParty | Reason::AdminOnly => Code::PermissionDenied,
        Reason::MatchAlreadyLive | Reason::PartnershipExists => Code::AlreadyExists,
        Reason::NeedNotOpen
        | Reason::OfferExhausted
        | Reason::OfferNotActive
        | Reason::OwnOffer
        | Reason::NoSharedObjective
        | Reason::NoSharedModality
        | Reason::CountryNotServed
        | Reason::WindowsDoNotOverlap
        | Reason::PairDeclined
        | Reason::PlacesHeldByProposals
        | Reason::RegionCapReached
        | Reason::StatusTransitionRefused
        | Reason::AnswerNotExpected
        | Reason::OfferClosed
        | Reason::CapacityBelowConfirmed
        | Reason::ListingNotLive
        | Reason::PracticeWithdrawn
        | Reason::RunTooLarge
        | Reason::ExportTooLarge => Code::FailedPrecondition,
        Reason::RunAbandoned => Code::Cancelled,
        Reason::TooManyWatchers | Reason::HubOverloaded => Code::ResourceExhausted,
        Reason::ShuttingDown | Reason::SearchIndexNotReady | Reason::SearchIndexFailed | Reason::StoreUnavailable => {
            Code::Unavailable
        }
        Reason::PairChanged => Code::Aborted,
        Reason::Internal => Code::Internal,
    }
}

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
                with_reason(Reason::NotFound, message, metadata)
            }
            HubError::Refused(refusal) => refusal.into(),
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
        let all = violations.as_slice();
        let shown = &all[..all.len().min(MAX_VIOLATIONS_SHOWN)];
        let mut message = shown
            .iter()
            .map(|violation| format!("{}: {}", violation.field, violation.rule))
            .collect::<Vec<_>>()
            .join("; ");
        if all.len() > shown.len() {
            message.push_str(&format!("; and {} more", all.len() - shown.len()));
        }
        let mut details = ErrorDetails::with_bad_request(
            shown
                .iter()
                .map(|violation| FieldViolation::new(violation.field.clone(), violation.rule.clone()))
                .collect::<Vec<_>>(),
        );
        details.set_error_info(Reason::FieldRulesBroken.name(), ERROR_DOMAIN, HashMap::new());
        Status::with_error_details(Code::InvalidArgument, message, details)
    }
}

impl From<Refusal> for Status {
    fn from(refusal: Refusal) -> Status {
        let Refusal { reason, words } = refusal;
        with_reason(reason, words, HashMap::new())
    }
}

/// INTERNAL, for a fault inside the hub; the words are for the operator's logs as much as the
/// caller.
pub fn internal(message: impl Into<String>) -> Status {
    with_reason(Reason::Internal, message.into(), HashMap::new())
}

fn with_reason(reason: Reason, message: String, metadata: HashMap<String, String>) -> Status {
    let details = ErrorDetails::with_error_info(reason.name(), ERROR_DOMAIN, metadata);
    Status::with_error_details(code(reason), message, details)
}

fn store_status(error: &StoreError) -> Status {
    tracing::error!(%error, "store failure");
    match error {
        StoreError::Flush(_) | StoreError::Sled(sled::Error::Io(_)) => Refusal::new(
            Reason::StoreUnavailable,
            format!("{error}; the write may not have been saved, retry with the same request_id"),
        )
        .into(),
        StoreError::Backup(_) => {
            Refusal::new(Reason::StoreUnavailable, format!("{error}; take the backup again")).into()
        }
        StoreError::Sled(_) | StoreError::Corrupt { .. } | StoreError::Incompatible(_) => internal(error.to_string()),
    }
}

/// The canonical upper-case name of a gRPC status code, as the gRPC documentation spells it
/// (for messages people read and for metric labels).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's error table says each reason's code; the table here decides it.
    #[test]
    fn the_readme_gives_each_reason_its_code() {
        let readme = include_str!("../../README.md");
        for reason in Reason::ALL.iter().copied() {
            let row = readme
                .lines()
                .find(|line| line.starts_with(&format!("| `{}` |", reason.name())))
                .unwrap_or_else(|| panic!("README lists no {reason}"));
            let written = row.split('|').nth(2).map(str::trim).unwrap_or_default();
            let expected = format!("{:?}", code(reason)).to_ascii_uppercase();
            assert_eq!(
                written.replace('_', ""),
                expected,
                "{reason}: the README says {written}, the hub gives {:?}",
                code(reason)
            );
        }
    }

    #[test]
    fn many_violations_are_cut_to_a_size_every_client_reads() {
        let mut violations = Violations::default();
        for at in 0..100 {
            violations.push(
                format!("countries[{at}]"),
                format!("'X{at:02}' is not an ISO 3166-1 alpha-3 country code"),
            );
        }
        let status = Status::from(violations);
        assert!(status.message().ends_with("; and 80 more"), "{}", status.message());
        let bad = status.get_details_bad_request().expect("a BadRequest");
        assert_eq!(bad.field_violations.len(), MAX_VIOLATIONS_SHOWN);
        assert!(
            status.details().len() < 8 * 1024,
            "details of {} bytes",
            status.details().len()
        );
    }
}
