//! The one mapping from the hub's errors to gRPC status codes.

use tonic::Status;

use crate::domain::Violations;
use crate::hub::HubError;
use crate::store::StoreError;

impl From<HubError> for Status {
    fn from(error: HubError) -> Status {
        match error {
            HubError::Invalid(violations) => Status::invalid_argument(violations.to_string()),
            HubError::NotFound { .. } => Status::not_found(error.to_string()),
            HubError::AlreadyExists(message) => Status::already_exists(message),
            HubError::FailedPrecondition(message) => Status::failed_precondition(message),
            HubError::ResourceExhausted(message) => Status::resource_exhausted(message),
            HubError::Unavailable(message) => Status::unavailable(message),
            HubError::Store(store_error) => store_status(&store_error),
            HubError::Search(message) => {
                tracing::error!(%message, "search index failure");
                Status::internal(message)
            }
        }
    }
}

impl From<Violations> for Status {
    fn from(violations: Violations) -> Status {
        HubError::Invalid(violations).into()
    }
}

fn store_status(error: &StoreError) -> Status {
    tracing::error!(%error, "store failure");
    match error {
        StoreError::Flush(_) | StoreError::Sled(sled::Error::Io(_)) => Status::unavailable(format!(
            "{error}; the write may not have been saved, retry with the same request_id"
        )),
        StoreError::Sled(_) | StoreError::Corrupt { .. } | StoreError::Incompatible(_) => {
            Status::internal(error.to_string())
        }
    }
}
