//! Events: what happened in the hub, in commit order. They are persisted with the change that
//! caused them, so a watcher that reconnects with its last sequence number misses nothing.

use serde::{Deserialize, Serialize};

use super::UnixMillis;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    NeedSubmitted,
    NeedWithdrawn,
    NeedExpired,
    OfferWithdrawn,
    OfferExpired,
    MatchProposed,
    /// One party accepted; the other has not yet.
    MatchAccepted,
    MatchConfirmed,
    MatchDeclined,
    MatchCompleted,
    MatchCancelled,
    /// Nobody answered the proposal in time.
    MatchExpired,
    /// A practice was published (its id is in the summary: events name needs, offers and
    /// matches only, and the log's encoding is kept).
    PracticeSubmitted,
    PracticeWithdrawn,
    /// A party marked a need-offer pair preferred or declined, or cleared its mark (need and
    /// offer ids set, both parties concerned, the mark and reason in the summary).
    PreferenceSet,
    /// An open need or an active offer went without an update for the stale-after period: its
    /// owner is asked to confirm it is still current (once per staleness).
    Stale,
}

impl EventKind {
    /// True for events about a match.
    pub fn is_match_event(self) -> bool {
        matches!(
            self,
            EventKind::MatchProposed
                | EventKind::MatchAccepted
                | EventKind::MatchConfirmed
                | EventKind::MatchDeclined
                | EventKind::MatchCompleted
                | EventKind::MatchCancelled
                | EventKind::MatchExpired
        )
    }
}

/// One event, as stored in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubEvent {
    /// Position in the log: 1, 2, 3, ... without gaps, assigned at commit.
    pub sequence: u64,
    pub at: UnixMillis,
    pub kind: EventKind,
    pub need_id: Option<String>,
    pub offer_id: Option<String>,
    pub match_id: Option<String>,
    /// Every actor the event concerns (requester, provider).
    pub actor_ids: Vec<String>,
    /// Who acted, when an actor did (not for the hub's own expiry).
    pub by: Option<String>,
    /// The event in words.
    pub summary: String,
}

impl HubEvent {
    /// An event not yet in the log (its sequence is assigned at commit).
    pub fn new(kind: EventKind, at: UnixMillis, summary: String) -> HubEvent {
        HubEvent {
            sequence: 0,
            at,
            kind,
            need_id: None,
            offer_id: None,
            match_id: None,
            actor_ids: Vec::new(),
            by: None,
            summary,
        }
    }

    /// True when the event concerns `actor_id`.
    pub fn concerns(&self, actor_id: &str) -> bool {
        self.actor_ids.iter().any(|id| id == actor_id)
    }
}
