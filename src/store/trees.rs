//! The trees of the store and the schema check made when it opens.

use super::StoreError;

/// Every tree of the store: records, secondary indexes, idempotency keys, token hashes, metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TreeName {
    Actors,
    Needs,
    Offers,
    Partnerships,
    Matches,
    /// Idempotency keys of create calls -> the record id they made.
    Requests,
    /// SHA-256 of an actor's API token -> actor id.
    Tokens,
    /// Store format and schema version.
    Meta,
    /// The event log: sequence number -> event.
    Events,
    ActorsByKind,
    ActorsByCountry,
    NeedsByRequester,
    NeedsByStatus,
    NeedsByTheme,
    NeedsByCountry,
    NeedsByArea,
    OffersByProvider,
    OffersByStatus,
    OffersByTheme,
    OffersByModality,
    PartnershipsByActor,
    MatchesByNeed,
    MatchesByOffer,
    MatchesByActor,
    MatchesByStatus,
    /// Offer record number -> its title and description as read ([`crate::text::TextReading`]):
    /// derived, kept so that opening does not read every offer again, rebuilt when missing.
    OfferReadings,
    Practices,
    /// Practice -> each actor it is of: its author and its partners.
    PracticesByActor,
    PracticesByStatus,
    PracticesByTheme,
    PracticesByCountry,
    PracticesByArea,
    /// The search feed: change number -> the record a write changed (its number, then its
    /// tree's name), written in the write's own transaction so the search index can catch up
    /// with every acknowledged write ([`crate::store::Store::search_changes_after`]). Derived:
    /// an index that lost it is built again from the records.
    SearchChanges,
    /// The parties' marks on need-offer pairs ([`crate::domain::PairPreference`]).
    Preferences,
    /// Preference -> its need: what FindMatches reads, in one prefix scan, to leave out the
    /// offers declined for a need.
    PreferencesByNeed,
    /// Preference -> its offer.
    PreferencesByOffer,
    /// Need record number -> its title and description as read: derived, as `OfferReadings`.
    /// Trees are appended: a backup names a tree by its place in [`TreeName::ALL`].
    NeedReadings,
    /// Record number of a need or offer -> the `updated_at` its STALE event was recorded for:
    /// the sweep says a listing is stale once per staleness (an update moves `updated_at`, and
    /// the notice no longer holds).
    StaleNotices,
}

impl TreeName {
    /// Every tree, in a fixed order.
    pub const ALL: [TreeName; 38] = [
        TreeName::Actors,
        TreeName::Needs,
        TreeName::Offers,
        TreeName::Partnerships,
        TreeName::Matches,
        TreeName::Requests,
        TreeName::Tokens,
        TreeName::Meta,
        TreeName::Events,
        TreeName::ActorsByKind,
        TreeName::ActorsByCountry,
        TreeName::NeedsByRequester,
        TreeName::NeedsByStatus,
        TreeName::NeedsByTheme,
        TreeName::NeedsByCountry,
        TreeName::NeedsByArea,
        TreeName::OffersByProvider,
        TreeName::OffersByStatus,
        TreeName::OffersByTheme,
        TreeName::OffersByModality,
        TreeName::PartnershipsByActor,
        TreeName::MatchesByNeed,
        TreeName::MatchesByOffer,
        TreeName::MatchesByActor,
        TreeName::MatchesByStatus,
        TreeName::OfferReadings,
        TreeName::Practices,
        TreeName::PracticesByActor,
        TreeName::PracticesByStatus,
        TreeName::PracticesByTheme,
        TreeName::PracticesByCountry,
        TreeName::PracticesByArea,
        TreeName::SearchChanges,
        TreeName::Preferences,
        TreeName::PreferencesByNeed,
        TreeName::PreferencesByOffer,
        TreeName::NeedReadings,
        TreeName::StaleNotices,
    ];

    /// The sled tree's name.
    pub fn name(self) -> &'static str {
        match self {
            TreeName::Actors => "actors",
            TreeName::Needs => "needs",
            TreeName::Offers => "offers",
            TreeName::Partnerships => "partnerships",
            TreeName::Matches => "matches",
            TreeName::Requests => "requests",
            TreeName::Tokens => "tokens",
            TreeName::Meta => "meta",
            TreeName::Events => "events",
            TreeName::ActorsByKind => "actors_by_kind",
            TreeName::ActorsByCountry => "actors_by_country",
            TreeName::NeedsByRequester => "needs_by_requester",
            TreeName::NeedsByStatus => "needs_by_status",
            TreeName::NeedsByTheme => "needs_by_theme",
            TreeName::NeedsByCountry => "needs_by_country",
            TreeName::NeedsByArea => "needs_by_area",
            TreeName::OffersByProvider => "offers_by_provider",
            TreeName::OffersByStatus => "offers_by_status",
            TreeName::OffersByTheme => "offers_by_theme",
            TreeName::OffersByModality => "offers_by_modality",
            TreeName::PartnershipsByActor => "partnerships_by_actor",
            TreeName::MatchesByNeed => "matches_by_need",
            TreeName::MatchesByOffer => "matches_by_offer",
            TreeName::MatchesByActor => "matches_by_actor",
            TreeName::MatchesByStatus => "matches_by_status",
            TreeName::OfferReadings => "offer_readings",
            TreeName::NeedReadings => "need_readings",
            TreeName::Practices => "practices",
            TreeName::PracticesByActor => "practices_by_actor",
            TreeName::PracticesByStatus => "practices_by_status",
            TreeName::PracticesByTheme => "practices_by_theme",
            TreeName::PracticesByCountry => "practices_by_country",
            TreeName::PracticesByArea => "practices_by_area",
            TreeName::SearchChanges => "search_changes",
            TreeName::Preferences => "preferences",
            TreeName::PreferencesByNeed => "preferences_by_need",
            TreeName::PreferencesByOffer => "preferences_by_offer",
            TreeName::StaleNotices => "stale_notices",
        }
    }

    /// Whether the tree holds only what the hub derives from the others and rebuilds when it is
    /// missing: backups leave it out.
    pub fn is_derived(self) -> bool {
        matches!(
            self,
            TreeName::OfferReadings | TreeName::NeedReadings | TreeName::SearchChanges
        )
    }

    /// Whether a write to the tree is told to the search index through
    /// [`TreeName::SearchChanges`]: the records search finds.
    pub fn is_searched(self) -> bool {
        matches!(
            self,
            TreeName::Actors | TreeName::Needs | TreeName::Offers | TreeName::Practices
        )
    }

    /// The tree called `name`, if it is one of the store's.
    pub fn named(name: &str) -> Option<TreeName> {
        TreeName::ALL.into_iter().find(|tree| tree.name() == name)
    }
}

/// The opened trees, indexed like [`TreeName::ALL`].
pub struct Trees(Vec<sled::Tree>);

impl Trees {
    /// Opens every tree of `db`.
    pub fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        let trees = TreeName::ALL
            .iter()
            .map(|name| db.open_tree(name.name()))
            .collect::<Result<_, _>>()?;
        Ok(Trees(trees))
    }

    /// The tree called `name`.
    pub fn get(&self, name: TreeName) -> &sled::Tree {
        &self.0[name as usize]
    }
}

/// Meta key of the mark that says the store is a capacity-hub store.
pub const FORMAT_KEY: &[u8] = b"format";
const FORMAT: &[u8] = b"capacity-hub";
const VERSION_KEY: &[u8] = b"schema_version";

/// The store's version, in its meta tree (its records carry [`super::SCHEMA_VERSION`], which did not
/// change).
/// - 2 since the store versions its partnerships for the graph kept beside it
///   ([`crate::store::Store::kept_graph`]): a release that reads version 1 only refuses such a
///   store, where it would change the partnerships without changing their version and so leave a
///   kept graph that looks current.
/// - 3 since status index entries carry explicit values ([`super::records::StatusKey`]) instead
///   of the variants' debug names.
///
/// An older store is brought up to this version when it is opened ([`super::migration`]).
pub const STORE_VERSION: u8 = 3;

/// What [`check_schema`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// A store of this release (or a new one, now marked as such).
    Current,
    /// A store of an earlier release, of this version: migrate it, then [`mark_current`].
    Older(u8),
}

/// Marks a new store, or checks that an existing one is ours and not from a newer release.
pub fn check_schema(db: &sled::Db, trees: &Trees) -> Result<Schema, StoreError> {
    let meta = trees.get(TreeName::Meta);
    match meta.get(FORMAT_KEY)? {
        Some(format) if format.as_ref() == FORMAT => {}
        Some(_) => {
            return Err(StoreError::Incompatible(
                "the data directory holds a sled store of another program".into(),
            ));
        }
        None if holds_foreign_data(db) => {
            return Err(StoreError::Incompatible(
                "the data directory holds a sled store that is not a capacity-hub store".into(),
            ));
        }
        None => {
            meta.insert(FORMAT_KEY, FORMAT)?;
            meta.insert(VERSION_KEY, &[STORE_VERSION])?;
            db.flush()?;
        }
    }
    match meta.get(VERSION_KEY)?.as_deref() {
        Some([STORE_VERSION]) => Ok(Schema::Current),
        Some([version]) if *version < STORE_VERSION => Ok(Schema::Older(*version)),
        Some([version]) => Err(StoreError::Incompatible(format!(
            "the store has schema version {version}; this release reads up to {STORE_VERSION}: upgrade capacity-hub"
        ))),
        _ => Err(StoreError::Incompatible(
            "the store's schema version is missing or malformed".into(),
        )),
    }
}

/// Marks a migrated store with this release's version.
pub fn mark_current(db: &sled::Db, trees: &Trees) -> Result<(), StoreError> {
    trees.get(TreeName::Meta).insert(VERSION_KEY, &[STORE_VERSION])?;
    db.flush()?;
    Ok(())
}

/// Meta key of the search feed's next change number: written with every change to the feed, so
/// numbers keep growing after the index pruned the entries it holds.
pub const NEXT_CHANGE_KEY: &[u8] = b"next_search_change";

/// Meta key of the id counter's high-water mark.
pub const NEXT_NUMBER_KEY: &[u8] = b"next_record_number";

/// The number the next record id gets: past the high-water mark written with every change and
/// past every record present (a store written before the mark existed, or a crash between the
/// two), so no id is ever handed out twice.
pub fn next_record_number(trees: &Trees) -> Result<u64, StoreError> {
    let mut next = match trees.get(TreeName::Meta).get(NEXT_NUMBER_KEY)? {
        Some(bytes) => bytes.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0),
        None => 0,
    };
    for tree in [
        TreeName::Actors,
        TreeName::Needs,
        TreeName::Offers,
        TreeName::Partnerships,
        TreeName::Matches,
        TreeName::Practices,
        TreeName::Preferences,
    ] {
        if let Some((key, _)) = trees.get(tree).last()? {
            let last = key.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0);
            next = next.max(last + 1);
        }
    }
    Ok(next)
}

fn holds_foreign_data(db: &sled::Db) -> bool {
    let ours: Vec<&[u8]> = TreeName::ALL.iter().map(|name| name.name().as_bytes()).collect();
    let default_tree_used = !db.is_empty();
    let foreign_tree = db
        .tree_names()
        .iter()
        .any(|name| name.as_ref() != b"__sled__default" && !ours.contains(&name.as_ref()));
    let our_records = TreeName::ALL
        .iter()
        .any(|name| db.open_tree(name.name()).is_ok_and(|tree| !tree.is_empty()));
    default_tree_used || foreign_tree || our_records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_store_is_found_older_until_marked_and_one_of_a_newer_release_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let open = || {
            let db = crate::store::open_when_unlocked(&sled::Config::new().path(dir.path())).unwrap();
            let trees = Trees::open(&db).unwrap();
            let checked = check_schema(&db, &trees).map_err(|error| error.to_string());
            let version = trees.get(TreeName::Meta).get(VERSION_KEY).unwrap().map(|v| v.to_vec());
            (checked, version, trees)
        };
        let (checked, version, trees) = open();
        assert_eq!((checked, version), (Ok(Schema::Current), Some(vec![STORE_VERSION])));
        trees.get(TreeName::Meta).insert(VERSION_KEY, &[1]).unwrap();
        drop(trees);
        let (checked, version, trees) = open();
        assert_eq!((checked, version), (Ok(Schema::Older(1)), Some(vec![1])));
        trees
            .get(TreeName::Meta)
            .insert(VERSION_KEY, &[STORE_VERSION + 1])
            .unwrap();
        drop(trees);
        let (checked, version, _) = open();
        assert!(checked.unwrap_err().contains("upgrade capacity-hub"));
        assert_eq!(version, Some(vec![STORE_VERSION + 1]), "left as it was");
    }

    #[test]
    fn all_lists_every_tree_at_its_own_index() {
        for (position, name) in TreeName::ALL.iter().enumerate() {
            assert_eq!(*name as usize, position, "{name:?}");
        }
    }
}
