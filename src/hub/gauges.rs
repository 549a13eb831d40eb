//! What the hub's metrics read at scrape time (see [`crate::metrics`]): open watch streams, the
//! store's size, and the domain gauges. The domain gauges count from the store's status indexes
//! and the catalogue rather than decoding every record as [`Hub::stats`] does, but unmet needs
//! still take every open need read and tested against the catalogue: call
//! [`Hub::domain_gauges`] off the async workers.

use super::{Hub, HubError};
use crate::domain::{MatchStatus, Need, NeedStatus, Offer, OfferStatus};
use crate::store::{StatusKey, TreeName};

/// Open needs read and tested per hold of the catalogue's lock, so that writers waiting for it
/// wait for one part, not the whole count.
const NEEDS_PER_LOCK: usize = 256;

/// The domain gauges: how many records of each kind are in the states that matter now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DomainGauges {
    /// Needs waiting for a provider (status OPEN).
    pub open_needs: u64,
    /// Open needs that no available offer passes the hard filters for (the unmet demand of
    /// GetStats, counted in needs rather than in objective and region cells).
    pub unmet_needs: u64,
    /// Offers open to matching: ACTIVE with capacity left (as GetStats counts them).
    pub active_offers: u64,
    /// Matches both parties accepted, not yet completed.
    pub confirmed_matches: u64,
}

impl Hub {
    /// Watch streams open now.
    pub fn open_watchers(&self) -> usize {
        self.max_watchers.saturating_sub(self.watchers.available_permits())
    }

    /// The bytes the store takes on disk. It reads the files' sizes: keep it off the async
    /// workers.
    pub fn store_size_on_disk(&self) -> Result<u64, HubError> {
        Ok(self.store.size_on_disk()?)
    }

    /// The domain gauges now. Open needs and confirmed matches are counted from the status
    /// indexes' keys; active offers read each ACTIVE offer for its remaining capacity; unmet
    /// needs read each open need and look for a candidate in the catalogue. That is a pass over
    /// the open needs and the active offers: run it on a blocking thread.
    pub fn domain_gauges(&self) -> Result<DomainGauges, HubError> {
        let index_count = |index: TreeName, status: &str| -> Result<u64, HubError> {
            let mut count = 0;
            for number in self.store.ids_in_index(index, status) {
                number?;
                count += 1;
            }
            Ok(count)
        };
        let open: Vec<u64> = self
            .store
            .ids_in_index(TreeName::NeedsByStatus, NeedStatus::Open.index_key())
            .collect::<Result<_, _>>()?;
        let mut unmet_needs = 0;
        for part in open.chunks(NEEDS_PER_LOCK) {
            let mut needs = Vec::with_capacity(part.len());
            for number in part {
                // A need changed since the index was read is counted as it is now, or not at all.
                if let Some(need) = self.store.get_by_number::<Need>(*number)?
                    && need.status == NeedStatus::Open
                {
                    needs.push(need);
                }
            }
            let catalogue = self.catalogue();
            unmet_needs += needs.iter().filter(|need| !catalogue.has_candidate_for(need)).count() as u64;
        }
        let mut active_offers = 0;
        for number in self
            .store
            .ids_in_index(TreeName::OffersByStatus, OfferStatus::Active.index_key())
        {
            if self
                .store
                .get_by_number::<Offer>(number?)?
                .is_some_and(|offer| offer.is_available())
            {
                active_offers += 1;
            }
        }
        Ok(DomainGauges {
            open_needs: open.len() as u64,
            unmet_needs,
            active_offers,
            confirmed_matches: index_count(TreeName::MatchesByStatus, MatchStatus::Confirmed.index_key())?,
        })
    }
}
