//! Searching the hub's public records.

use super::{Hub, HubError};
use crate::search::{IndexState, SearchPage, SearchRequest};

impl Hub {
    /// A page of hits among needs, offers, practices and actors; waits a moment for an index
    /// still being built, then answers UNAVAILABLE.
    pub async fn search(&self, request: &SearchRequest) -> Result<SearchPage, HubError> {
        self.search.ready().await?;
        Ok(self.search.search(request)?)
    }

    /// Where the search index stands: being built, up to date, or failed.
    pub fn search_state(&self) -> IndexState {
        self.search.state()
    }
}
