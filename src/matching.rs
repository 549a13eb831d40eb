//! Matching: which offers may serve a need at all (hard filters) and how well (the explained,
//! weighted score). Pure functions over domain records; the hub feeds them candidates from the
//! store and trust paths from the graph.

pub mod allocate;
pub mod bundles;
pub mod filter;
pub mod keys;
pub mod score;

pub use bundles::{Bundle, BundleCandidate, find_bundles};
pub use filter::{check_pair, passes};
#[cfg(test)]
pub use score::fit_score;
pub use score::{PairContext, PairScore, RecordFit, ScoreWeights, TrackRecord, TrustLink, score_pair};
