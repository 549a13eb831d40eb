//! `capacity-hub matches prefer`: a party marks a need-offer pair as preferred or declined, or
//! clears its mark. A declined pair is never ranked, proposed or allocated again.

use clap::Args;

use super::CliError;
use super::client::{Hub, call};
use super::output::{self, say};
use crate::proto::{PairPreference, Preference, SetPreferenceRequest};

/// `capacity-hub matches prefer <need> <offer> --as <actor> --decline|--prefer|--clear`
#[derive(Debug, Args)]
pub struct PreferArgs {
    /// The need's id.
    need_id: String,
    /// The offer's id.
    offer_id: String,
    /// The party marking the pair: the need's requester or the offer's provider.
    #[arg(long = "as", value_name = "ACTOR")]
    actor: String,
    #[command(flatten)]
    mark: Mark,
    /// Why, for the other party (at most 500 characters).
    #[arg(long)]
    reason: Option<String>,
}

/// Exactly one of `--prefer`, `--decline` and `--clear`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct Mark {
    /// Rank this pair above unmarked ones in a stable allocation.
    #[arg(long)]
    prefer: bool,
    /// Never rank, propose or allocate this pair again.
    #[arg(long)]
    decline: bool,
    /// Clear the mark.
    #[arg(long)]
    clear: bool,
}

impl From<PreferArgs> for SetPreferenceRequest {
    fn from(args: PreferArgs) -> Self {
        let preference = match (args.mark.prefer, args.mark.decline) {
            (true, _) => Preference::Preferred,
            (_, true) => Preference::Declined,
            _ => Preference::None,
        };
        SetPreferenceRequest {
            need_id: args.need_id,
            offer_id: args.offer_id,
            actor_id: args.actor,
            preference: preference.into(),
            reason: args.reason.unwrap_or_default(),
        }
    }
}

/// Sets the mark and says what the hub keeps.
pub async fn run(hub: &Hub, args: PreferArgs, json: bool) -> Result<(), CliError> {
    let kept = call(hub.matches().set_preference(SetPreferenceRequest::from(args))).await?;
    if json {
        return output::print_json(&kept);
    }
    say!("{}", sentence(&kept));
    Ok(())
}

/// The mark in one sentence: "actor-12 declined need-7 with offer-3 (since 2026-12-01 00:20):
/// no staff in March".
fn sentence(kept: &PairPreference) -> String {
    let verb = match kept.preference() {
        Preference::Preferred => "prefers",
        Preference::Declined => "declined",
        Preference::None | Preference::Unspecified => "has no mark on",
    };
    let mut words = format!(
        "{} {verb} need {} with offer {} (as of {})",
        kept.actor_id,
        kept.need_id,
        kept.offer_id,
        output::timestamp(kept.set_at.as_ref())
    );
    if !kept.reason.is_empty() {
        words.push_str(": ");
        words.push_str(&kept.reason);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_reads_as_a_sentence() {
        let kept = PairPreference {
            need_id: "need-7".into(),
            offer_id: "offer-3".into(),
            actor_id: "actor-12".into(),
            preference: Preference::Declined.into(),
            reason: "no staff in March".into(),
            set_at: None,
        };
        assert_eq!(
            sentence(&kept),
            "actor-12 declined need need-7 with offer offer-3 (as of -): no staff in March"
        );
    }
}
