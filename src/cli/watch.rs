//! `capacity-hub watch`: follow the hub's event log as it grows, one line per event, without
//! polling. A watch resumes where it stopped with `--after <last #seq>` and misses nothing.

use std::io::{self, Write};

use clap::{Args, Subcommand};
use tonic::Streaming;

use super::CliError;
use super::client::{ClientArgs, Hub, RpcError, call};
use super::files::reader_gone;
use super::output::{self, CodeParser, code, list};
use crate::proto::{Event, EventKind, Modality, WatchMatchesRequest, WatchNeedsRequest};

/// Width of the widest event kind (`match_confirmed`), so summaries line up.
const KIND_WIDTH: usize = 15;

/// `capacity-hub watch ...`
#[derive(Debug, Args)]
#[command(
    after_help = "Each line is `#SEQ  TIME (UTC)  KIND  SUMMARY`; `(N behind)` says how many newer events \
the hub already holds. After a break, resume with `--after <last #SEQ printed>` to miss nothing. \
Ctrl-C stops."
)]
pub struct WatchArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: WatchCommand,
}

#[derive(Debug, Subcommand)]
enum WatchCommand {
    /// Every event of the matches an actor is party to: proposals, answers, confirmations,
    /// outcomes, cancellations and expiries.
    Matches {
        /// The requester or provider whose matches to follow.
        #[arg(long)]
        actor: String,
        #[command(flatten)]
        after: AfterArgs,
    },
    /// Newly submitted needs a provider could serve (filters combine; none given: all needs).
    Needs {
        /// Only needs naming this GCM objective (1-23); repeat for several.
        #[arg(long = "theme", value_name = "N", value_delimiter = ',')]
        themes: Vec<u32>,
        /// Only needs delivered in this M49 area ("central_america", "africa"); repeat for several.
        #[arg(long = "region", value_name = "AREA", value_delimiter = ',')]
        regions: Vec<String>,
        /// Only needs asking for this modality; repeat for several.
        #[arg(long = "modality", value_name = "MODALITY", value_delimiter = ',', value_parser = CodeParser::<Modality>::new())]
        modalities: Vec<Modality>,
        /// Only needs this offer can serve, each with the offer's score (as its FindNeeds gives it).
        #[arg(long, value_name = "OFFER")]
        offer: Option<String>,
        /// With --offer: only needs the offer scores at least this (0 to 1).
        #[arg(long, value_name = "SCORE", default_value_t = 0.0, requires = "offer")]
        min_score: f64,
        #[command(flatten)]
        after: AfterArgs,
    },
}

/// Where in the log to start.
#[derive(Debug, Args)]
struct AfterArgs {
    /// Deliver only events after this sequence number; 0 replays the whole log first. To resume
    /// after a break, pass the last #SEQ printed.
    #[arg(long, value_name = "SEQ", default_value_t = 0)]
    after: u64,
}

/// Runs a `watch` subcommand until Ctrl-C or the end of the stream.
pub async fn run(args: WatchArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let (events, what) = match args.command {
        WatchCommand::Matches { actor, after } => {
            let request = WatchMatchesRequest {
                actor_id: actor.clone(),
                after_sequence: after.after,
            };
            (
                call(hub.matches().watch_matches(request)).await?,
                format!("matches of {actor}"),
            )
        }
        WatchCommand::Needs {
            themes,
            regions,
            modalities,
            offer,
            min_score,
            after,
        } => {
            let what = match &offer {
                Some(offer) => format!("new needs {offer} can serve (score >= {min_score})"),
                None => "new needs".to_owned(),
            };
            let request = WatchNeedsRequest {
                themes,
                regions,
                modalities: modalities.into_iter().map(Into::into).collect(),
                after_sequence: after.after,
                offer_id: offer.unwrap_or_default(),
                min_score,
            };
            (call(hub.needs().watch_needs(request)).await?, what)
        }
    };
    eprintln!("watching {what}; Ctrl-C stops");
    follow(events, args.client.json).await
}

/// Prints events as they arrive until Ctrl-C, the end of the stream or a closed stdout. Every
/// way out says how to resume.
async fn follow(mut events: Streaming<Event>, json: bool) -> Result<(), CliError> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut last = None;
    loop {
        let next = tokio::select! {
            _ = &mut ctrl_c => {
                eprintln!("stopped{}", resume_hint(last));
                return Ok(());
            }
            next = events.message() => next,
        };
        let event = match next {
            Ok(Some(event)) => event,
            Ok(None) => {
                eprintln!("the hub ended the stream{}", resume_hint(last));
                return Ok(());
            }
            Err(status) => return Err(format!("{}{}", RpcError(status), resume_hint(last)).into()),
        };
        let line = if json {
            output::json_line(&event)?
        } else {
            event_line(&event)
        };
        if let Err(error) = print_flushed(&line) {
            return if reader_gone(&error) { Ok(()) } else { Err(error.into()) };
        }
        last = Some(event.sequence);
    }
}

/// Writes one line and flushes it, so a pipe (`| grep`) sees each event at once.
fn print_flushed(line: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

/// `; resume with --after N` once an event was seen.
fn resume_hint(last: Option<u64>) -> String {
    last.map_or_else(String::new, |sequence| format!("; resume with --after {sequence}"))
}

/// An event as `#SEQ  TIME  KIND  SUMMARY`, and `(N behind)` when the hub holds newer events.
fn event_line(event: &Event) -> String {
    let summary = if event.summary.is_empty() {
        fallback_summary(event)
    } else {
        event.summary.clone()
    };
    // An offer's watcher gets the offer's score and why.
    let summary = match &event.explanation {
        Some(why) => format!("{summary}  score {:.2}: {}", event.score, why.summary),
        None => summary,
    };
    let behind = event.head_sequence.saturating_sub(event.sequence);
    let lag = if behind > 0 {
        format!("  ({behind} behind)")
    } else {
        String::new()
    };
    format!(
        "#{:<4}  {}  {:<KIND_WIDTH$}  {summary}{lag}",
        event.sequence,
        output::timestamp_seconds(event.at.as_ref()),
        code::<EventKind>(event.kind),
    )
}

/// The records an event is about, for an event without a summary.
fn fallback_summary(event: &Event) -> String {
    let ids = [
        ("need", &event.need_id),
        ("offer", &event.offer_id),
        ("match", &event.match_id),
    ];
    let named = ids
        .iter()
        .filter(|(_, id)| !id.is_empty())
        .map(|(what, id)| format!("{what} {id}"));
    list(named)
}

#[cfg(test)]
mod tests {
    use prost_types::Timestamp;

    use super::*;

    fn event(sequence: u64, head_sequence: u64) -> Event {
        Event {
            sequence,
            head_sequence,
            at: Some(Timestamp {
                seconds: 1_772_323_205,
                nanos: 0,
            }),
            kind: EventKind::MatchProposed.into(),
            match_id: "match-7".to_owned(),
            summary: "match-7 proposed: need-151 with offer-117".to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn an_event_is_one_aligned_line() {
        assert_eq!(
            event_line(&event(12, 12)),
            "#12    2026-03-01 00:00:05  match_proposed   match-7 proposed: need-151 with offer-117"
        );
    }

    #[test]
    fn a_late_event_says_how_far_behind() {
        assert!(event_line(&event(12, 15)).ends_with("offer-117  (3 behind)"));
    }

    #[test]
    fn an_event_without_summary_names_its_records() {
        let bare = Event {
            summary: String::new(),
            need_id: "need-151".to_owned(),
            ..event(3, 3)
        };
        assert!(event_line(&bare).ends_with("match_proposed   need need-151, match match-7"));
    }

    #[test]
    fn the_hint_says_where_to_resume() {
        assert_eq!(resume_hint(None), "");
        assert_eq!(resume_hint(Some(42)), "; resume with --after 42");
    }
}
