//! Bulk import: records made elsewhere (a synthetic world, a migration) written in large
//! batches, each one transaction, with a single flush at the end instead of one per record.
//! Every record still passes its domain validation.

use std::convert::Infallible;

use super::{Hub, HubError};
use crate::domain::{Actor, Need, Offer, Partnership, PartnershipEnds};
use crate::store::WriteSet;

/// One record to import, with its id already taken from [`Hub::new_id`].
#[derive(Debug, Clone)]
pub enum ImportRecord {
    Actor(Actor),
    Need(Need),
    Offer(Offer),
    Partnership(Partnership),
}

impl Hub {
    /// A fresh record id with this kind prefix ("need"), for records built outside the hub.
    pub fn new_id(&self, prefix: &str) -> Result<String, HubError> {
        Ok(self.store.next_id(prefix)?)
    }

    /// Writes a batch of new records in one transaction, without waiting for a flush: call
    /// [`Hub::close`] (or [`Hub::flush`]) when the import is done. Partnerships join the graph at once.
    pub async fn import(&self, batch: Vec<ImportRecord>) -> Result<(), HubError> {
        let mut writes = WriteSet::default();
        for record in &batch {
            match record {
                ImportRecord::Actor(actor) => {
                    actor.profile.validate()?;
                    writes.put(None, actor)?;
                }
                ImportRecord::Need(need) => {
                    need.spec.validate()?;
                    writes.put(None, need)?;
                }
                ImportRecord::Offer(offer) => {
                    offer.spec.validate()?;
                    writes.put(None, offer)?;
                }
                ImportRecord::Partnership(partnership) => {
                    partnership.spec.validate()?;
                    writes.put(None, partnership)?;
                }
            }
        }
        let _guard = self.writer.lock().await;
        self.apply(writes)?;
        let partnerships = batch.iter().filter_map(|record| match record {
            ImportRecord::Partnership(partnership) => Some(Ok::<_, Infallible>(PartnershipEnds::from(partnership))),
            _ => None,
        });
        let Ok(()) = self.graph_mut().add_partnerships(partnerships);
        Ok(())
    }
}
