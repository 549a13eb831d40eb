//! CPU-heavy calls run on tokio's blocking pool. The server has as many async workers as cores
//! (two on a small machine), and every call, a health check included, needs one of them to make
//! progress: a ranking or a graph walk of tens of milliseconds held on a worker would stall
//! everyone else's calls behind it. On the blocking pool the operating system shares the cores
//! between these calls and the workers instead. Calls of up to seconds ([`Weight::Heavy`]) also
//! wait their turn: at most one fewer than the machine's cores run at once, the others queue
//! without using a core, so one core stays free for everything else (on two cores a health
//! check stays well under a millisecond at p99 while four clients run FindBundles and
//! SuggestPartners at tier L; `benches/grpc_load.rs` measures it). Calls of a few milliseconds
//! ([`Weight::Light`], a ranking of one need's candidates) do not queue behind them.

use std::sync::{Arc, LazyLock};

use tokio::sync::Semaphore;
use tonic::Status;

use super::status::internal;
use crate::hub::{Hub, HubError};

/// How long a call's work may take, and so whether it waits its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Milliseconds: runs at once.
    Light,
    /// Up to seconds (bundles, graph walks, whole-store statistics): waits its turn.
    Heavy,
}

/// Heavy calls running at once: one fewer than the cores, and at least one.
static HEAVY_CALLS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    Arc::new(Semaphore::new(cores.saturating_sub(1).max(1)))
});

/// Runs `work` on the blocking pool with the hub when its turn comes, and returns its answer;
/// `call` names the RPC in the error a panic would become.
pub async fn off_the_workers<T, F>(call: &'static str, weight: Weight, hub: &Arc<Hub>, work: F) -> Result<T, Status>
where
    T: Send + 'static,
    F: FnOnce(&Hub) -> Result<T, HubError> + Send + 'static,
{
    let hub = Arc::clone(hub);
    // The semaphore is never closed. The work owns its turn, so a caller that gives up does not
    // free a core that is still busy.
    let turn = match weight {
        Weight::Light => None,
        Weight::Heavy => Some(
            Arc::clone(&HEAVY_CALLS)
                .acquire_owned()
                .await
                .map_err(|_| internal(format!("{call}: the queue of heavy calls is closed")))?,
        ),
    };
    let work = move || {
        let answer = work(&hub);
        drop(turn);
        answer
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(answer) => answer.map_err(Status::from),
        Err(error) => Err(internal(format!("{call} stopped: {error}"))),
    }
}
