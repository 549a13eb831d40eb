//! The gRPC layer: thin tonic services that convert, call the hub and map errors. Conversion
//! lives in [`convert`], the one error-to-status mapping in [`status`].

pub mod actors;
pub mod convert;
pub mod insights;
pub mod matches;
pub mod needs;
pub mod offers;
pub mod partnerships;
pub mod status;

pub use actors::ActorApi;
pub use insights::InsightApi;
pub use matches::MatchApi;
pub use needs::NeedApi;
pub use offers::OfferApi;
pub use partnerships::PartnershipApi;
