//! Stale listings: an open need or an active offer its owner has not touched for a long time
//! may no longer be true (the ministry found help elsewhere, the trainers moved on). Staleness is
//! read from the record's `updated_at` and the hub's clock, so nothing is stored for it; any
//! update, or the owner confirming the listing is still current, makes it current again.

use super::UnixMillis;
use super::need::{Need, NeedStatus};
use super::offer::{Offer, OfferStatus};

/// Days without an update after which a listing is stale, unless the hub is told otherwise
/// (`--stale-after-days`): half a year, about one planning cycle of a ministry.
pub const DEFAULT_STALE_AFTER_DAYS: u32 = 180;

/// What a stale offer's score is multiplied by in ranking: enough to let a current offer of
/// nearly the same fit go first, too little to hide a clearly better one, which may well still
/// be true.
pub const STALE_PENALTY: f64 = 0.9;

const DAY_MILLIS: i64 = 24 * 3600 * 1000;

/// Whether a listing is current, or stale and for how long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Staleness {
    /// Updated within the stale-after period, or not a live listing (only open needs and active
    /// offers go stale).
    #[default]
    Current,
    /// Not updated for `days` whole days, at least the stale-after period.
    Stale { days: u32 },
}

impl Staleness {
    /// The staleness of a live listing last updated at `updated_at`, at `now`, when listings go
    /// stale after `after_days` days without an update.
    pub fn of(updated_at: UnixMillis, now: UnixMillis, after_days: u32) -> Staleness {
        let days = now.saturating_sub(updated_at) / DAY_MILLIS;
        if days >= i64::from(after_days) {
            Staleness::Stale {
                days: u32::try_from(days).unwrap_or(u32::MAX),
            }
        } else {
            Staleness::Current
        }
    }

    /// True when the listing is stale.
    pub fn is_stale(self) -> bool {
        matches!(self, Staleness::Stale { .. })
    }

    /// What a score becomes for a listing this stale: [`STALE_PENALTY`] times it when stale.
    pub fn penalised(self, score: f64) -> f64 {
        match self {
            Staleness::Current => score,
            Staleness::Stale { .. } => score * STALE_PENALTY,
        }
    }

    /// The warning a ranked offer carries when stale: "listing not updated for 200 days: confirm
    /// with the provider".
    pub fn warning(self) -> Option<String> {
        match self {
            Staleness::Current => None,
            Staleness::Stale { days } => Some(format!(
                "listing not updated for {days} days: confirm with the provider"
            )),
        }
    }
}

impl Need {
    /// Whether this need is stale at `now`: only an open need waits on its requester's word.
    pub fn staleness(&self, now: UnixMillis, after_days: u32) -> Staleness {
        match self.status {
            NeedStatus::Open => Staleness::of(self.updated_at, now, after_days),
            _ => Staleness::Current,
        }
    }
}

impl Offer {
    /// Whether this offer is stale at `now`: only an active offer is put before requesters.
    pub fn staleness(&self, now: UnixMillis, after_days: u32) -> Staleness {
        match self.status {
            OfferStatus::Active => Staleness::of(self.updated_at, now, after_days),
            _ => Staleness::Current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_goes_stale_on_the_day_the_period_ends() {
        let now = 1_000 * DAY_MILLIS;
        assert_eq!(Staleness::of(now - 179 * DAY_MILLIS, now, 180), Staleness::Current);
        assert_eq!(
            Staleness::of(now - 180 * DAY_MILLIS, now, 180),
            Staleness::Stale { days: 180 }
        );
        let stale = Staleness::of(now - 200 * DAY_MILLIS - 5, now, 180);
        assert_eq!(
            stale.warning().as_deref(),
            Some("listing not updated for 200 days: confirm with the provider")
        );
        assert!((stale.penalised(0.5) - 0.45).abs() < 1e-12);
        assert_eq!(Staleness::Current.penalised(0.5), 0.5);
        assert_eq!(
            Staleness::of(now + DAY_MILLIS, now, 180),
            Staleness::Current,
            "a clock behind the record is not stale"
        );
    }
}
