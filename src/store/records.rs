//! How each record kind is keyed and indexed. Ids look like `need-42`: a kind prefix and a
//! number from sled's id generator; the number, big-endian, is the key, so keys sort in creation
//! order and pages are stable. An index entry's key is the indexed value, a zero byte, then the
//! record's key.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{
    Actor, Match, MatchStatus, Need, NeedStatus, Offer, OfferStatus, PairPreference, Partnership, Practice,
    PracticeStatus, geography,
};

use super::{StoreError, TreeName};

/// A record kind the store keeps, with its tree, id prefix and index entries.
pub trait Record: Serialize + DeserializeOwned {
    /// The tree holding this kind.
    const TREE: TreeName;
    /// The prefix of this kind's ids ("need").
    const ID_PREFIX: &'static str;
    /// The record's id.
    fn id(&self) -> &str;
    /// The (index tree, value) pairs this record is filed under.
    fn index_entries(&self) -> Vec<(TreeName, String)>;
}

/// Formats an id from its kind prefix and number.
pub fn format_id(prefix: &str, number: u64) -> String {
    format!("{prefix}-{number}")
}

/// The number inside an id of kind `R`, if the id is well-formed.
pub fn id_key<R: Record>(id: &str) -> Option<[u8; 8]> {
    let number = id.strip_prefix(R::ID_PREFIX)?.strip_prefix('-')?;
    if number.starts_with('+') || (number.len() > 1 && number.starts_with('0')) {
        return None;
    }
    number.parse::<u64>().ok().map(u64::to_be_bytes)
}

/// Like [`id_key`], as a number, failing when a record carries a malformed id.
pub fn id_number<R: Record>(id: &str) -> Result<u64, StoreError> {
    id_key::<R>(id)
        .map(u64::from_be_bytes)
        .ok_or_else(|| StoreError::Corrupt {
            tree: R::TREE.name(),
            key: id.to_string(),
            reason: format!("not a {} id", R::ID_PREFIX),
        })
}

/// The key prefix of every entry filed under `value`.
pub fn index_prefix(value: &str) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(value.len() + 1);
    prefix.extend_from_slice(value.as_bytes());
    prefix.push(0);
    prefix
}

/// The index key of record `number` filed under `value`.
pub fn index_key(value: &str, number: u64) -> Vec<u8> {
    let mut key = index_prefix(value);
    key.extend_from_slice(&number.to_be_bytes());
    key
}

/// The record number at the end of an index key.
pub fn id_from_index_key(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// The key of an idempotency entry.
pub fn request_key(scope: &str, request_id: &str) -> Vec<u8> {
    index_prefix(scope).into_iter().chain(request_id.bytes()).collect()
}

/// A status as the value of its index entries. The values are written out here, not derived
/// from the variants' names, so that renaming a variant cannot orphan the entries a store holds;
/// changing a value needs a new store version and a migration ([`super::trees::STORE_VERSION`]).
pub trait StatusKey: Copy {
    /// The index value of this status.
    fn index_key(self) -> &'static str;
}

impl StatusKey for NeedStatus {
    fn index_key(self) -> &'static str {
        match self {
            NeedStatus::Open => "open",
            NeedStatus::Matched => "matched",
            NeedStatus::InProgress => "in_progress",
            NeedStatus::Fulfilled => "fulfilled",
            NeedStatus::Withdrawn => "withdrawn",
            NeedStatus::Expired => "expired",
        }
    }
}

impl StatusKey for OfferStatus {
    fn index_key(self) -> &'static str {
        match self {
            OfferStatus::Active => "active",
            OfferStatus::Paused => "paused",
            OfferStatus::Exhausted => "exhausted",
            OfferStatus::Withdrawn => "withdrawn",
            OfferStatus::Expired => "expired",
        }
    }
}

impl StatusKey for MatchStatus {
    fn index_key(self) -> &'static str {
        match self {
            MatchStatus::Proposed => "proposed",
            MatchStatus::AcceptedByRequester => "accepted_by_requester",
            MatchStatus::AcceptedByProvider => "accepted_by_provider",
            MatchStatus::Confirmed => "confirmed",
            MatchStatus::Declined => "declined",
            MatchStatus::Completed => "completed",
            MatchStatus::Cancelled => "cancelled",
            MatchStatus::Expired => "expired",
        }
    }
}

impl StatusKey for PracticeStatus {
    fn index_key(self) -> &'static str {
        match self {
            PracticeStatus::Published => "published",
            PracticeStatus::Withdrawn => "withdrawn",
        }
    }
}

impl Record for Actor {
    const TREE: TreeName = TreeName::Actors;
    const ID_PREFIX: &'static str = "actor";

    fn id(&self) -> &str {
        &self.id
    }

    fn index_entries(&self) -> Vec<(TreeName, String)> {
        let mut entries = vec![(TreeName::ActorsByKind, self.profile.kind.code().to_string())];
        if let Some(country) = &self.profile.country {
            entries.push((TreeName::ActorsByCountry, country.clone()));
        }
        entries
    }
}

impl Record for Need {
    const TREE: TreeName = TreeName::Needs;
    const ID_PREFIX: &'static str = "need";

    fn id(&self) -> &str {
        &self.id
    }

    fn index_entries(&self) -> Vec<(TreeName, String)> {
        let spec = &self.spec;
        let mut entries = vec![
            (TreeName::NeedsByRequester, self.requester_id.clone()),
            (TreeName::NeedsByStatus, self.status.index_key().to_string()),
        ];
        entries.extend(
            spec.themes
                .iter()
                .map(|theme| (TreeName::NeedsByTheme, theme.to_string())),
        );
        entries.extend(
            spec.countries
                .iter()
                .map(|country| (TreeName::NeedsByCountry, country.clone())),
        );
        entries.extend(
            geography::areas_of(&spec.countries)
                .into_iter()
                .map(|area| (TreeName::NeedsByArea, area.to_string())),
        );
        entries
    }
}

impl Record for Practice {
    const TREE: TreeName = TreeName::Practices;
    const ID_PREFIX: &'static str = "practice";

    fn id(&self) -> &str {
        &self.id
    }

    fn index_entries(&self) -> Vec<(TreeName, String)> {
        let spec = &self.spec;
        let mut entries = vec![
            (TreeName::PracticesByActor, self.author_id.clone()),
            (TreeName::PracticesByStatus, self.status.index_key().to_string()),
        ];
        entries.extend(
            spec.partner_ids
                .iter()
                .filter(|partner| **partner != self.author_id)
                .map(|partner| (TreeName::PracticesByActor, partner.clone())),
        );
        entries.extend(
            spec.themes
                .iter()
                .map(|theme| (TreeName::PracticesByTheme, theme.to_string())),
        );
        entries.extend(
            spec.countries
                .iter()
                .map(|country| (TreeName::PracticesByCountry, country.clone())),
        );
        entries.extend(
            geography::areas_of(&spec.countries)
                .into_iter()
                .map(|area| (TreeName::PracticesByArea, area.to_string())),
        );
        entries
    }
}

impl Record for Offer {
    const TREE: TreeName = TreeName::Offers;
    const ID_PREFIX: &'static str = "offer";

    fn id(&self) -> &str {
        &self.id
    }

    fn index_entries(&self) -> Vec<(TreeName, String)> {
        let mut entries = vec![
            (TreeName::OffersByProvider, self.provider_id.clone()),
            (TreeName::OffersByStatus, self.status.index_key().to_string()),
        ];
        entries.extend(
            self.spec
                .themes
                .iter()
                .map(|theme| (TreeName::OffersByTheme, theme.to_string())),
        );
        entries.extend(
            self.spec
                .modalities
                .iter()
                .map(|m| (TreeName::OffersByModality, m.code().to_string())),
        );
        entries
    }
}

impl Record for Partnership {
    const TREE: TreeName = TreeName::Partnerships;
    const ID_PREFIX: &'static str = "partnership";

    fn id(&self) -> &str {
        &self.id
    }

    fn index_entries(&self) -> Vec<(TreeName, String)> {
        vec![
            (TreeName::PartnershipsByActor, self.spec.actor_a.clone()),
            (TreeName::PartnershipsByActor, self.spec.actor_b.clone()),
        ]
    }
}

impl Record for Match {
    const TREE: TreeName = TreeName::Matches;
    const ID_PREFIX: &'static str = "match";

    fn id(&self) -> &str {
        &self.id
    }

    fn index_entries(&self) -> Vec<(TreeName, String)> {
        vec![
            (TreeName::MatchesByNeed, self.need_id.clone()),
            (TreeName::MatchesByOffer, self.offer_id.clone()),
            (TreeName::MatchesByActor, self.requester_id.clone()),
            (TreeName::MatchesByActor, self.provider_id.clone()),
            (TreeName::MatchesByStatus, self.status.index_key().to_string()),
        ]
    }
}

impl Record for PairPreference {
    const TREE: TreeName = TreeName::Preferences;
    const ID_PREFIX: &'static str = "preference";

    fn id(&self) -> &str {
        &self.id
    }

    fn index_entries(&self) -> Vec<(TreeName, String)> {
        vec![
            (TreeName::PreferencesByNeed, self.need_id.clone()),
            (TreeName::PreferencesByOffer, self.offer_id.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_in_canonical_form() {
        assert_eq!(id_key::<Need>("need-42"), Some(42u64.to_be_bytes()));
        for bad in ["need-042", "need-+42", "offer-42", "need42", "need-", "need-x"] {
            assert_eq!(id_key::<Need>(bad), None, "{bad}");
        }
    }

    #[test]
    fn index_keys_end_with_the_record_number() {
        let key = index_key("GTM", 7);
        assert!(key.starts_with(&index_prefix("GTM")));
        assert_eq!(id_from_index_key(&key), Some(7));
    }
}
