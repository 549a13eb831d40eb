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

/// The party a call acts for, and whether the admin makes the call for it. The admin acts as no
/// actor: the events it causes name no one in [`HubEvent::by`], as the hub's own do, and their
/// summaries say the admin acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActingFor<'a> {
    /// The actor the call acts for (the party that answers, reports or authors).
    pub party: &'a str,
    /// True when the admin makes the call for `party`.
    pub by_admin: bool,
}

impl<'a> ActingFor<'a> {
    /// The admin, acting for `party`.
    pub fn admin(party: &'a str) -> ActingFor<'a> {
        ActingFor { party, by_admin: true }
    }

    /// Who acted, as an event records it: the party itself, or no one for the admin.
    pub fn by(&self) -> Option<&'a str> {
        (!self.by_admin).then_some(self.party)
    }

    /// Who acted, in words: `actor-3`, or `the admin for actor-3`.
    pub fn named(&self) -> String {
        if self.by_admin {
            format!("the admin for {}", self.party)
        } else {
            self.party.to_string()
        }
    }
}

/// The actor acting for itself.
impl<'a> From<&'a str> for ActingFor<'a> {
    fn from(party: &'a str) -> ActingFor<'a> {
        ActingFor { party, by_admin: false }
    }
}

/// The actor acting for itself.
impl<'a> From<&'a String> for ActingFor<'a> {
    fn from(party: &'a String) -> ActingFor<'a> {
        ActingFor::from(party.as_str())
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
    /// Who acted, when an actor did: `None` for the hub's own actions (expiry, staleness, runs)
    /// and for the admin, who acts as no actor ([`ActingFor`]).
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
