//! `capacity-hub stats`: what the hub has learned: demand and supply, how well they meet, where
//! demand goes unmet, and what outcomes say.

use clap::Args;

use super::CliError;
use super::client::{ClientArgs, Hub, call};
use super::output::{self, code, percent, say};
use crate::domain::taxonomy::Objective;
use crate::proto::{ActorRef, GetStatsRequest, MgiDimension, Stats};

/// `capacity-hub stats`
#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    client: ClientArgs,
}

/// Prints the hub's statistics: tables for people, the `Stats` message with `--json`.
pub async fn run(args: StatsArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let stats = call(hub.insights().get_stats(GetStatsRequest {})).await?;
    if args.client.json {
        return output::print_json(&stats);
    }
    output::print_fields(summary_fields(&stats));
    print_unmet_demand(&stats);
    print_active_partnerships(&stats);
    print_outcomes(&stats);
    Ok(())
}

/// The headline figures; a median or mean over nothing shows as `-`, not as a misleading 0.
fn summary_fields(stats: &Stats) -> Vec<(&'static str, String)> {
    let matched = stats.confirmed_matches + stats.completed_matches > 0;
    vec![
        ("actors", stats.actors.to_string()),
        ("open needs", stats.open_needs.to_string()),
        ("needs submitted", stats.needs_submitted.to_string()),
        ("active offers", stats.active_offers.to_string()),
        ("partnerships", stats.partnerships.to_string()),
        ("confirmed matches", stats.confirmed_matches.to_string()),
        ("completed matches", stats.completed_matches.to_string()),
        ("match rate", percent(stats.match_rate)),
        (
            "median time to match",
            given(matched, stats.median_hours_to_match, span),
        ),
        (
            "median open-need age",
            given(stats.open_needs > 0, stats.median_open_need_age_days * 24.0, span),
        ),
        (
            "mean rating",
            given(stats.completed_matches > 0, stats.mean_rating, |rating| {
                format!("{rating:.1} / 5")
            }),
        ),
    ]
}

/// `value` formatted when there was something to measure, else `-`.
fn given(measured: bool, value: f64, format: impl Fn(f64) -> String) -> String {
    if measured { format(value) } else { "-".to_owned() }
}

/// A span of hours in the unit that reads best: minutes, hours or days.
fn span(hours: f64) -> String {
    if hours < 1.0 / 60.0 {
        "under a minute".to_owned()
    } else if hours < 1.0 {
        format!("{:.0} minutes", hours * 60.0)
    } else if hours < 48.0 {
        format!("{hours:.1} hours")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// A section's title, set off from what precedes it.
fn heading(title: &str) {
    say!();
    say!("{title}");
}

fn print_unmet_demand(stats: &Stats) {
    heading("Unmet demand (open needs no active offer can serve, by objective and region)");
    if stats.unmet_demand.is_empty() {
        say!("  none: every open need has at least one candidate offer");
        return;
    }
    let rows = stats.unmet_demand.iter().map(|unmet| {
        [
            objective(unmet.theme),
            output::or_dash(&unmet.region),
            unmet.needs_without_offer.to_string(),
        ]
    });
    let header = ["OBJECTIVE", "REGION", "NEEDS WITHOUT OFFER"];
    output::print_table(&output::fitted_table(header, rows.collect(), 0), 0);
}

/// A GCM objective as its number and short title: `13 detention only as a last resort; ...`.
fn objective(number: u32) -> String {
    match Objective::new(number) {
        Ok(objective) => format!("{number} {}", objective.title()),
        Err(_) => number.to_string(),
    }
}

fn print_active_partnerships(stats: &Stats) {
    heading("Most active partnerships (completed engagements)");
    if stats.most_active_partnerships.is_empty() {
        say!("  none yet: no engagement has been completed");
        return;
    }
    let rows = stats.most_active_partnerships.iter().map(|pair| {
        [
            actor_name(pair.requester.as_ref()),
            actor_name(pair.provider.as_ref()),
            pair.completed_matches.to_string(),
            format!("{:.1}", pair.mean_rating),
        ]
    });
    let mut table = output::table(["REQUESTER", "PROVIDER", "COMPLETED", "MEAN RATING"]);
    table.add_rows(rows);
    output::print_table(&table, 0);
}

/// An actor's name, or its id when the hub sent no name.
fn actor_name(actor: Option<&ActorRef>) -> String {
    match actor {
        Some(actor) if !actor.name.is_empty() => actor.name.clone(),
        Some(actor) => output::or_dash(&actor.id),
        None => "-".to_owned(),
    }
}

fn print_outcomes(stats: &Stats) {
    heading("Outcomes by MGI dimension");
    if stats.outcomes_by_mgi_dimension.is_empty() {
        say!("  none yet: no outcome has named a Migration Governance Indicators dimension");
        return;
    }
    let mut table = output::table(["DIMENSION", "OUTCOMES", "MEAN RATING"]);
    for outcome in &stats.outcomes_by_mgi_dimension {
        table.add_row([
            code::<MgiDimension>(outcome.dimension),
            outcome.outcomes.to_string(),
            format!("{:.1}", outcome.mean_rating),
        ]);
    }
    output::print_table(&table, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_carry_their_title() {
        assert_eq!(
            objective(13),
            "13 detention only as a last resort; alternatives to detention"
        );
        assert_eq!(objective(99), "99");
    }

    #[test]
    fn spans_read_in_their_unit() {
        assert_eq!(span(0.001), "under a minute");
        assert_eq!(span(0.25), "15 minutes");
        assert_eq!(span(3.26), "3.3 hours");
        assert_eq!(span(24.0 * 12.5), "12.5 days");
    }

    #[test]
    fn nothing_measured_is_not_zero() {
        let stats = Stats {
            open_needs: 0,
            median_open_need_age_days: 0.0,
            match_rate: 0.25,
            ..Default::default()
        };
        let fields = summary_fields(&stats);
        let value = |name: &str| fields.iter().find(|(field, _)| *field == name).map(|(_, v)| v.as_str());
        assert_eq!(value("median open-need age"), Some("-"));
        assert_eq!(value("median time to match"), Some("-"));
        assert_eq!(value("mean rating"), Some("-"));
        assert_eq!(value("match rate"), Some("25%"));
    }
}
