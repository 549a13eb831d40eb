//! `capacity-hub partnerships`: who already works with whom. The graph these links form is what
//! ranks a partner's partner above a stranger.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::CliError;
use super::client::{ClientArgs, Hub, PageArgs, call, fetch_pages};
use super::files::{Output, reader_gone};
use super::output::{self, CodeParser, code, or_dash, say, timestamp};
use crate::proto::{
    ActorRef, AddPartnershipRequest, Broker, ExportGraphRequest, ExportGraphResponse, FindPathRequest,
    FindPathResponse, GraphFormat, ListPartnershipsRequest, Partnership, PartnershipKind, PathHop,
    RemovePartnershipRequest, SuggestPartnersRequest, SuggestPartnersResponse,
};

/// How to turn a DOT export into a picture; in the help and the hint after an export.
const RENDER_HINT: &str =
    "capacity-hub partnerships export --format dot | dot -Tpng -o graph.png   (dot: apt-get install graphviz)";

/// `capacity-hub partnerships ...`
#[derive(Debug, Args)]
pub struct PartnershipsArgs {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    command: PartnershipsCommand,
}

#[derive(Debug, Subcommand)]
enum PartnershipsCommand {
    /// Record that two actors work together.
    Add(AddArgs),
    /// List partnerships, all or one actor's.
    List {
        /// Only partnerships of this actor.
        #[arg(long)]
        actor: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Remove a partnership from the graph.
    Remove {
        /// The partnership's id.
        id: String,
    },
    /// The highest-trust chain of partnerships between two actors (at most 3 hops).
    Path {
        /// Id of the actor the path starts from.
        from: String,
        /// Id of the actor it should reach.
        to: String,
    },
    /// Providers an actor does not work with yet, and the common partners who can introduce them.
    Suggest {
        /// Id of the actor looking for partners.
        actor: String,
        /// Only providers with an offer that fits this need.
        #[arg(long)]
        need: Option<String>,
        /// At most this many suggestions (the hub's default is 10).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: Option<u32>,
    },
    /// Export the graph, or the part around one actor, as Graphviz DOT or JSON.
    #[command(after_help = format!("Render a DOT export as a picture:\n  {RENDER_HINT}"))]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Graphviz DOT (to render) or JSON (to process).
    #[arg(long, value_enum, default_value_t = ExportFormat::Dot)]
    format: ExportFormat,
    /// Only the actors within --depth hops of this one.
    #[arg(long, value_name = "ACTOR_ID")]
    around: Option<String>,
    /// Hops around --around (the hub's default is 2, at most 4).
    #[arg(long, requires = "around", value_parser = clap::value_parser!(u32).range(1..=4))]
    depth: Option<u32>,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The formats of `partnerships export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// Graphviz DOT.
    Dot,
    /// JSON nodes and edges.
    Json,
}

impl From<ExportFormat> for GraphFormat {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Dot => GraphFormat::Dot,
            ExportFormat::Json => GraphFormat::Json,
        }
    }
}

#[derive(Debug, Args)]
struct AddArgs {
    /// Id of one partner.
    #[arg(long, value_name = "ACTOR_ID")]
    a: String,
    /// Id of the other partner.
    #[arg(long, value_name = "ACTOR_ID")]
    b: String,
    /// Why the two are linked.
    #[arg(long, value_parser = CodeParser::<PartnershipKind>::new())]
    kind: PartnershipKind,
    /// How well the link carries a new collaboration, in (0, 1].
    #[arg(long)]
    trust: f64,
    /// Date the partnership began, as YYYY-MM-DD.
    #[arg(long)]
    since: Option<String>,
    /// A word on the partnership.
    #[arg(long)]
    note: Option<String>,
    /// Idempotency key: a retry with the same id adds nothing new.
    #[arg(long)]
    request_id: Option<String>,
}

impl From<AddArgs> for AddPartnershipRequest {
    fn from(args: AddArgs) -> Self {
        AddPartnershipRequest {
            actor_a: args.a,
            actor_b: args.b,
            kind: args.kind.into(),
            trust: args.trust,
            since: args.since.unwrap_or_default(),
            note: args.note.unwrap_or_default(),
            request_id: args.request_id.unwrap_or_default(),
        }
    }
}

/// Runs a `partnerships` subcommand.
pub async fn run(args: PartnershipsArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let json = args.client.json;
    match args.command {
        PartnershipsCommand::Add(add) => {
            let partnership = call(hub.partnerships().add_partnership(AddPartnershipRequest::from(add))).await?;
            output::print_record(&partnership, json, partnership_fields)
        }
        PartnershipsCommand::List { actor, page } => list(&hub, actor.unwrap_or_default(), &page, json).await,
        PartnershipsCommand::Remove { id } => {
            let removed = call(hub.partnerships().remove_partnership(RemovePartnershipRequest { id })).await?;
            if json {
                return output::print_json(&removed);
            }
            eprintln!("removed:");
            output::print_fields(partnership_fields(&removed.partnership.unwrap_or_default()));
            Ok(())
        }
        PartnershipsCommand::Path { from, to } => {
            let request = FindPathRequest {
                from_actor_id: from.clone(),
                to_actor_id: to.clone(),
            };
            let path = call(hub.partnerships().find_path(request)).await?;
            if json {
                return output::print_json(&path);
            }
            print_path(&path, &from, &to);
            Ok(())
        }
        PartnershipsCommand::Suggest { actor, need, limit } => {
            let request = SuggestPartnersRequest {
                actor_id: actor.clone(),
                need_id: need.unwrap_or_default(),
                limit: limit.unwrap_or_default(),
            };
            let suggestions = call(hub.partnerships().suggest_partners(request)).await?;
            if json {
                return output::print_json(&suggestions);
            }
            print_suggestions(&suggestions, &actor);
            Ok(())
        }
        PartnershipsCommand::Export(export_args) => export(&hub, export_args, json).await,
    }
}

/// The path hop by hop, then its trust and the hub's summary.
fn print_path(path: &FindPathResponse, from: &str, to: &str) {
    if path.hops.is_empty() {
        say!("no path within 3 hops between {from} and {to}");
        return;
    }
    for hop in &path.hops {
        say!("{}", hop_line(hop));
    }
    let factors: Vec<String> = path.hops.iter().map(|hop| format!("{:.2}", hop.trust)).collect();
    let product = if factors.len() > 1 {
        format!(" ({})", factors.join(" x "))
    } else {
        String::new()
    };
    say!("trust: {:.2}{product}", path.trust);
    if !path.summary.is_empty() {
        say!("{}", path.summary);
    }
}

/// One hop as `A --kind 0.80--> B`.
fn hop_line(hop: &PathHop) -> String {
    format!(
        "{} --{} {:.2}--> {}",
        actor_label(hop.from.as_ref()),
        code::<PartnershipKind>(hop.kind),
        hop.trust,
        actor_label(hop.to.as_ref())
    )
}

/// An actor as `name (id)`, or just the id when the hub sent no name.
fn actor_label(actor: Option<&ActorRef>) -> String {
    match actor {
        Some(actor) if !actor.name.is_empty() => format!("{} ({})", actor.name, actor.id),
        Some(actor) => or_dash(&actor.id),
        None => "-".to_owned(),
    }
}

/// One row per suggested provider, its brokers one per line with their two trusts.
fn print_suggestions(response: &SuggestPartnersResponse, actor: &str) {
    if response.suggestions.is_empty() {
        say!("no provider is a partner of {actor}'s partners without already working with {actor}");
        return;
    }
    let mut table = output::table(["PROVIDER", "SCORE", "BROKERS (TRUST TO YOU/TO THEM)", "OFFERS"]);
    table.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    for suggestion in &response.suggestions {
        let brokers: Vec<String> = suggestion.brokers.iter().map(broker_label).collect();
        table.add_row([
            provider_label(suggestion.provider.as_ref()),
            format!("{:.2}", suggestion.score),
            if brokers.is_empty() {
                "-".to_owned()
            } else {
                brokers.join("\n")
            },
            output::list(&suggestion.offer_ids),
        ]);
    }
    output::print_table(&table, 0);
}

/// A provider as `id name`, the name cut to keep the row on one line.
fn provider_label(actor: Option<&ActorRef>) -> String {
    actor.map_or_else(
        || "-".to_owned(),
        |actor| output::cell(format!("{} {}", actor.id, actor.name).trim_end(), 30),
    )
}

/// A broker as `name 0.80/0.90`: its trust with the asking actor, then with the provider. Long
/// names are cut so the trusts stay on the line.
fn broker_label(broker: &Broker) -> String {
    let name = broker
        .actor
        .as_ref()
        .map_or("-", |actor| if actor.name.is_empty() { &actor.id } else { &actor.name });
    format!(
        "{} {:.2}/{:.2}",
        output::cell(name, 24),
        broker.trust_to_actor,
        broker.trust_to_provider
    )
}

/// Writes the exported graph, and on stderr what it holds and how to draw it.
async fn export(hub: &Hub, args: ExportArgs, json: bool) -> Result<(), CliError> {
    let request = ExportGraphRequest {
        format: GraphFormat::from(args.format).into(),
        around_actor_id: args.around.unwrap_or_default(),
        depth: args.depth.unwrap_or_default(),
    };
    let graph = call(hub.partnerships().export_graph(request)).await?;
    let mut out = Output::create(args.output.as_deref())?;
    let text = if json {
        output::json_line(&graph)?
    } else {
        graph.content.clone()
    };
    match writeln!(out, "{}", text.trim_end()) {
        Err(error) if reader_gone(&error) => return Ok(()),
        written => written.map_err(|error| format!("cannot write {}: {error}", out.name()))?,
    }
    let name = out.name();
    out.finish()?;
    eprintln!("{}", export_hint(&graph, &name));
    Ok(())
}

/// What an export holds and, for DOT, the command that renders it.
fn export_hint(graph: &ExportGraphResponse, name: &str) -> String {
    let format = code::<GraphFormat>(graph.format);
    let held = format!(
        "exported {} actors and {} partnerships as {format} to {name}",
        graph.actors, graph.partnerships
    );
    if graph.format != i32::from(GraphFormat::Dot) {
        return held;
    }
    let render = if name == "stdout" {
        RENDER_HINT.to_owned()
    } else {
        format!("dot -Tpng {name} -o graph.png   (dot: apt-get install graphviz)")
    };
    format!("{held}; render it with:\n  {render}")
}

async fn list(hub: &Hub, actor_id: String, page_args: &PageArgs, json: bool) -> Result<(), CliError> {
    let request = ListPartnershipsRequest {
        actor_id,
        page_size: page_args.page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let client = hub.partnerships();
    let page = fetch_pages(page_args, |page_token| {
        let request = ListPartnershipsRequest {
            page_token,
            ..request.clone()
        };
        let mut client = client.clone();
        async move { call(client.list_partnerships(request)).await }
    })
    .await?;
    if json {
        return output::print_json(&page);
    }
    let rows = page.partnerships.iter().map(|partnership| {
        [
            partnership.id.clone(),
            partnership.actor_a.clone(),
            partnership.actor_b.clone(),
            code::<PartnershipKind>(partnership.kind),
            format!("{:.2}", partnership.trust),
            or_dash(&partnership.since),
            or_dash(&partnership.note),
        ]
    });
    let header = ["ID", "ACTOR A", "ACTOR B", "KIND", "TRUST", "SINCE", "NOTE"];
    output::print_table(&output::fitted_table(header, rows.collect(), 6), 0);
    output::page_hint(&page.next_page_token);
    Ok(())
}

/// A partnership as `field: value` lines.
fn partnership_fields(partnership: &Partnership) -> Vec<(&'static str, String)> {
    vec![
        ("id", partnership.id.clone()),
        ("actors", format!("{} - {}", partnership.actor_a, partnership.actor_b)),
        ("kind", code::<PartnershipKind>(partnership.kind)),
        ("trust", format!("{:.2}", partnership.trust)),
        ("since", or_dash(&partnership.since)),
        ("note", or_dash(&partnership.note)),
        ("created", timestamp(partnership.created_at.as_ref())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(id: &str, name: &str) -> Option<ActorRef> {
        Some(ActorRef {
            id: id.to_owned(),
            name: name.to_owned(),
            ..Default::default()
        })
    }

    #[test]
    fn a_hop_reads_as_an_arrow() {
        let hop = PathHop {
            from: actor("actor-40", "Guatemala"),
            to: actor("actor-0", "IOM"),
            kind: PartnershipKind::Memorandum.into(),
            trust: 0.8,
            ..Default::default()
        };
        assert_eq!(
            hop_line(&hop),
            "Guatemala (actor-40) --memorandum 0.80--> IOM (actor-0)"
        );
        let unnamed = PathHop {
            to: actor("actor-7", ""),
            ..hop
        };
        assert_eq!(hop_line(&unnamed), "Guatemala (actor-40) --memorandum 0.80--> actor-7");
    }

    #[test]
    fn brokers_show_both_trusts() {
        let broker = Broker {
            actor: actor("actor-0", "IOM"),
            trust_to_actor: 0.9,
            trust_to_provider: 0.75,
        };
        assert_eq!(broker_label(&broker), "IOM 0.90/0.75");
        let long = actor("actor-30", "Puebla Process / Regional Conference on Migration (RCM)");
        assert_eq!(provider_label(long.as_ref()), "actor-30 Puebla Process / Reg…");
    }

    #[test]
    fn a_dot_export_says_how_to_render_it() {
        let graph = ExportGraphResponse {
            format: GraphFormat::Dot.into(),
            actors: 3,
            partnerships: 2,
            ..Default::default()
        };
        let to_stdout = export_hint(&graph, "stdout");
        assert!(to_stdout.starts_with("exported 3 actors and 2 partnerships as dot to stdout"));
        assert!(to_stdout.contains("| dot -Tpng -o graph.png"));
        assert!(export_hint(&graph, "g.dot").contains("dot -Tpng g.dot -o graph.png"));
        let json = ExportGraphResponse {
            format: GraphFormat::Json.into(),
            ..graph
        };
        assert!(!export_hint(&json, "stdout").contains("render"));
    }
}
