//! The gRPC layer: thin tonic services that validate, authorise, convert and call the hub.
//! Conversion lives in [`convert`], the one error-to-status mapping in [`status`], identifying
//! callers in [`auth`] and who may do what in [`policy`].

pub mod actors;
pub mod admin;
pub mod auth;
pub mod blocking;
pub mod convert;
pub mod insights;
pub mod matches;
pub mod needs;
pub mod offers;
pub mod partnerships;
pub mod policy;
pub mod practices;
pub mod search;
pub mod status;

pub use actors::ActorApi;
pub use admin::AdminApi;
pub use insights::InsightApi;
pub use matches::MatchApi;
pub use needs::NeedApi;
pub use offers::OfferApi;
pub use partnerships::PartnershipApi;
pub use practices::PracticeApi;
pub use search::SearchApi;
