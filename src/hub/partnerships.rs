//! Adding, listing and removing partnerships; each change reaches the graph under the writer lock.

use super::{Hub, HubError, Page, PageRequest};
use crate::domain::{Actor, Partnership, PartnershipSpec};
use crate::domain::{Reason, Refusal};
use crate::store::{Scan, Store, TreeName, WriteSet};

impl Hub {
    /// Records a partnership between two existing actors. One actor's own claim stays
    /// unconfirmed (trust capped in matching) until the other actor adds the same partnership, or
    /// the admin does: that confirms it at the lower of the two trusts. The same two actors may be
    /// linked by several kinds of partnership, but not twice by the same kind.
    pub async fn add_partnership(&self, spec: PartnershipSpec, request_id: &str) -> Result<Partnership, HubError> {
        spec.validate()?;
        self.load::<Actor>("actor_a", &spec.actor_a)?;
        self.load::<Actor>("actor_b", &spec.actor_b)?;
        // Idempotency keys are the pair's own: another pair reusing a key gets its own record.
        let scope = format!("AddPartnership/{}/{}", spec.actor_a, spec.actor_b);
        let change = |store: &Store| {
            if let Some(partnership) = self.replay::<Partnership>(&scope, request_id)? {
                return Ok((WriteSet::default(), (partnership, None)));
            }
            let (old, partnership) = match self.partnership_like(store, &spec)? {
                Some(existing) => (Some(existing.clone()), confirmed(existing, &spec)?),
                None => (
                    None,
                    Partnership {
                        id: store.next_id("partnership")?,
                        spec,
                        created_at: self.now(),
                    },
                ),
            };
            let mut writes = WriteSet::default();
            writes.put(old.as_ref(), &partnership)?;
            if !request_id.is_empty() {
                writes.remember_request(&scope, request_id, &partnership.id);
            }
            Ok((writes, (partnership, Some(old))))
        };
        let (partnership, _) = self
            .write(change, |(partnership, written)| {
                if let Some(old) = written {
                    let mut graph = self.graph_mut();
                    if let Some(old) = old {
                        graph.remove_partnership(&old.id);
                    }
                    graph.add_partnership(partnership);
                }
            })
            .await?;
        Ok(partnership)
    }

    pub(super) fn partnership_like(
        &self,
        store: &Store,
        spec: &PartnershipSpec,
    ) -> Result<Option<Partnership>, HubError> {
        for number in store.ids_in_index(TreeName::PartnershipsByActor, &spec.actor_a) {
            let Some(existing) = store.get_by_number::<Partnership>(number?)? else {
                continue;
            };
            if existing.spec.kind == spec.kind && existing.spec.links_same_pair(spec) {
                return Ok(Some(existing));
            }
        }
        Ok(None)
    }

    /// The partnership with this id.
    pub fn get_partnership(&self, id: &str) -> Result<Partnership, HubError> {
        self.load("id", id)
    }

    /// A page of partnerships, of one actor or of everyone.
    pub fn list_partnerships(&self, actor_id: Option<&str>, page: &PageRequest) -> Result<Page<Partnership>, HubError> {
        let scan = match actor_id {
            Some(actor_id) => Scan::Index(TreeName::PartnershipsByActor, actor_id),
            None => Scan::All,
        };
        self.list(scan, page, |_: &Partnership| true)
    }

    /// Removes a partnership and returns it as it was.
    pub async fn remove_partnership(&self, id: &str) -> Result<Partnership, HubError> {
        let change = |_: &Store| {
            let partnership: Partnership = self.load("id", id)?;
            let mut writes = WriteSet::default();
            writes.delete(&partnership)?;
            Ok((writes, partnership))
        };
        self.write(change, |partnership| {
            self.graph_mut().remove_partnership(&partnership.id)
        })
        .await
    }

    pub(super) fn graph_mut(&self) -> std::sync::RwLockWriteGuard<'_, crate::graph::PartnershipGraph> {
        self.graph.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn graph(&self) -> std::sync::RwLockReadGuard<'_, crate::graph::PartnershipGraph> {
        self.graph.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The existing partnership confirmed by `claim`, or ALREADY_EXISTS when the claim confirms
/// nothing (it is confirmed already, or the same actor claims it again).
fn confirmed(existing: Partnership, claim: &PartnershipSpec) -> Result<Partnership, HubError> {
    let confirms = match (&existing.spec.claimed_by, &claim.claimed_by) {
        (Some(first), Some(second)) => first != second,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !confirms {
        let PartnershipSpec {
            actor_a, actor_b, kind, ..
        } = claim;
        return Err(HubError::Refused(Refusal::new(
            Reason::PartnershipExists,
            format!(
                "{actor_a} and {actor_b} already have a {kind} partnership ({})",
                existing.id
            ),
        )));
    }
    let trust = match claim.claimed_by {
        Some(_) => existing.spec.trust.min(claim.trust),
        None => claim.trust,
    };
    Ok(Partnership {
        spec: PartnershipSpec {
            trust,
            claimed_by: None,
            ..existing.spec
        },
        ..existing
    })
}
