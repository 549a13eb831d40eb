//! Bringing a store written by an earlier release up to [`STORE_VERSION`] when it is opened.
//!
//! Each step rewrites what changed, from the records themselves, and the store is marked with the
//! new version only after every step is on disk: a crash during a migration leaves the old
//! version mark, and the next open runs the (idempotent) steps again.

use super::codec;
use super::records::{Record, index_key};
use super::trees::{STORE_VERSION, Trees};
use super::{StoreError, TreeName};
use crate::domain::{Match, Need, Offer, Practice};

/// Index entries written to sled in one batch.
const BATCH_ENTRIES: usize = 4096;

/// What a migration rewrote, for the log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The version the store had.
    pub from: u8,
    /// Index entries written anew.
    pub index_entries: usize,
}

/// Runs every step from version `from` to [`STORE_VERSION`].
pub fn migrate(db: &sled::Db, trees: &Trees, from: u8) -> Result<Migrated, StoreError> {
    let mut migrated = Migrated { from, index_entries: 0 };
    if from < 3 {
        // Version 3: status index entries carry explicit values (`StatusKey`), no longer the
        // variants' debug names.
        migrated.index_entries += rewrite_index::<Need>(trees, TreeName::NeedsByStatus)?;
        migrated.index_entries += rewrite_index::<Offer>(trees, TreeName::OffersByStatus)?;
        migrated.index_entries += rewrite_index::<Match>(trees, TreeName::MatchesByStatus)?;
        migrated.index_entries += rewrite_index::<Practice>(trees, TreeName::PracticesByStatus)?;
    }
    db.flush()?;
    debug_assert!(from < STORE_VERSION);
    Ok(migrated)
}

/// Empties `index` and files every record of kind `R` in it again, as this release files it.
fn rewrite_index<R: Record>(trees: &Trees, index: TreeName) -> Result<usize, StoreError> {
    let tree = trees.get(index);
    tree.clear()?;
    let mut written = 0;
    let mut batch = sled::Batch::default();
    for entry in trees.get(R::TREE).iter() {
        let (key, bytes) = entry?;
        let record: R = codec::decode(R::TREE.name(), &key, &bytes)?;
        let number = super::records::id_number::<R>(record.id())?;
        for (tree_name, value) in record.index_entries() {
            if tree_name == index {
                batch.insert(index_key(&value, number), &[]);
                written += 1;
                if written % BATCH_ENTRIES == 0 {
                    tree.apply_batch(std::mem::take(&mut batch))?;
                }
            }
        }
    }
    tree.apply_batch(batch)?;
    Ok(written)
}
