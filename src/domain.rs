//! The hub's vocabulary and rules, with no I/O: the taxonomy of the Global Compact for Migration,
//! the records (actors, needs, offers, partnerships, matches, practices, preferences) and the validation every field goes
//! through. Nothing here imports another module of this crate.

pub mod actor;
pub mod engagement;
pub mod event;
pub mod geography;
pub mod lifecycle;
pub mod need;
pub mod offer;
pub mod partnership;
pub mod practice;
pub mod preference;
pub mod refusal;
pub mod staleness;
pub mod taxonomy;
pub mod validation;

pub use actor::{Actor, ActorProfile};
pub use engagement::{Explanation, Match, MatchResponse, MatchStatus, Outcome, Party, ScoreComponent};
pub use event::{ActingFor, EventKind, HubEvent};
pub use need::{Need, NeedSpec, NeedStatus};
pub use offer::{Coverage, Offer, OfferSpec, OfferStatus};
pub use partnership::{Partnership, PartnershipEnds, PartnershipSpec, StoredPartnership};
pub use practice::{Practice, PracticeSource, PracticeSpec, PracticeStatus};
pub use preference::{PairPreference, Preference, PreferenceSide};
pub use refusal::{Reason, Refusal};
pub use staleness::Staleness;
pub use taxonomy::{
    ActorKind, DateWindow, Level, MgiDimension, Modality, Objective, PartnershipKind, ResourceType, Urgency,
};
pub use validation::{Violation, Violations};

/// Milliseconds since the Unix epoch: how records carry their timestamps.
pub type UnixMillis = i64;
