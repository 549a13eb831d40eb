//! `capacity-hub search`: finds needs, offers, practices and actors by their words, so an actor
//! can see who already asks for, gives or has done what it has in mind before posting anything.

use clap::Args;

use super::CliError;
use super::client::{ClientArgs, Hub, PageArgs, call, fetch_pages};
use super::output::{self, CodeParser, code, say};
use crate::proto::{RecordKind, SearchHit, SearchRequest};

/// How far a hit's snippet is indented under its row, as the explanations under `matches find`.
const INDENT: usize = 6;

/// `capacity-hub search QUERY...`
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The words to look for, read like the records ("trata" also finds "trafficking"); several
    /// words need no quotes.
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    words: Vec<String>,
    /// Only records of this kind: need, offer, practice or actor; repeat for several (none:
    /// every kind).
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',', value_parser = CodeParser::<RecordKind>::new())]
    kinds: Vec<RecordKind>,
    /// Only records naming this GCM objective (1-23).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=23))]
    theme: Option<u32>,
    /// Only records about this country (alpha-3; an actor's own country).
    #[arg(long, value_name = "CODE")]
    country: Option<String>,
    /// Only records about this M49 area ("central_america", "africa").
    #[arg(long, value_name = "SLUG")]
    region: Option<String>,
    /// Only records written in this language (ISO 639-1); the query is read in it too.
    #[arg(long, value_name = "CODE")]
    language: Option<String>,
    #[command(flatten)]
    page: PageArgs,
    // Last, so that its help heading ("Client options") does not take in the search's own.
    #[command(flatten)]
    client: ClientArgs,
}

impl SearchArgs {
    /// The query as the hub takes it: the words joined by single spaces.
    fn query(&self) -> String {
        self.words.join(" ")
    }

    /// The filters given, as their flags (`--kind offer`, `--country GTM`), to say what to drop
    /// when nothing matched.
    fn filters(&self) -> Vec<String> {
        let mut filters: Vec<String> = self
            .kinds
            .iter()
            .map(|kind| format!("--kind {}", code::<RecordKind>((*kind).into())))
            .collect();
        filters.extend(self.theme.map(|theme| format!("--theme {theme}")));
        filters.extend(self.country.as_ref().map(|country| format!("--country {country}")));
        filters.extend(self.region.as_ref().map(|region| format!("--region {region}")));
        filters.extend(self.language.as_ref().map(|language| format!("--language {language}")));
        filters
    }
}

impl From<&SearchArgs> for SearchRequest {
    fn from(args: &SearchArgs) -> Self {
        SearchRequest {
            query: args.query(),
            kinds: args.kinds.iter().map(|kind| (*kind).into()).collect(),
            theme: args.theme.unwrap_or_default(),
            country: args.country.clone().unwrap_or_default(),
            region: args.region.clone().unwrap_or_default(),
            language: args.language.clone().unwrap_or_default(),
            page_size: args.page.page_size.unwrap_or_default(),
            page_token: String::new(),
        }
    }
}

/// Runs a search and prints its hits, best first, each with its snippet under it.
pub async fn run(args: SearchArgs) -> Result<(), CliError> {
    let hub = Hub::connect(&args.client).await?;
    let request = SearchRequest::from(&args);
    let client = hub.search();
    let response = fetch_pages(&args.page, |page_token| {
        let request = SearchRequest {
            page_token,
            ..request.clone()
        };
        let mut client = client.clone();
        async move { call(client.search(request)).await }
    })
    .await?;
    if args.client.json {
        return output::print_json(&response);
    }
    if response.hits.is_empty() {
        say!("{}", no_hits(&args));
        return Ok(());
    }
    print_hits(&response.hits);
    output::page_hint(&response.next_page_token);
    Ok(())
}

/// One row per hit, and under it the passage that matched, its matched words between « and »
/// as the hub marks them.
fn print_hits(hits: &[SearchHit]) {
    let rows = hits.iter().map(|hit| {
        [
            code::<RecordKind>(hit.kind),
            hit.id.clone(),
            hit.title.clone(),
            format!("{:.2}", hit.score),
        ]
    });
    let table = output::fitted_table(["KIND", "ID", "TITLE", "SCORE"], rows.collect(), 2);
    output::print_rows_with(table, hits, |hit| {
        if !hit.snippet.is_empty() {
            output::print_indented(&hit.snippet, INDENT);
        }
    });
}

/// What to say when nothing matched: which filters to drop, or else to try other words. A page
/// asked for by token that comes back empty is the end of the hits, not a miss.
fn no_hits(args: &SearchArgs) -> String {
    let query = args.query();
    if args.page.page_token.is_some() {
        return format!("no more hits for \"{query}\"");
    }
    let filters = args.filters();
    if filters.is_empty() {
        return format!("nothing matched \"{query}\"; try other or fewer words, or the same words in another language");
    }
    format!(
        "nothing matched \"{query}\" with {}; broaden the search by removing filters",
        filters.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(line: &[&str]) -> Result<SearchArgs, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("capacity-hub").chain(line.iter().copied()))?;
        match cli.command {
            Command::Search(args) => Ok(args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn words_and_filters_become_the_request() -> Result<(), clap::Error> {
        let args = parse(&[
            "search",
            "victim",
            "identification",
            "--kind",
            "offer",
            "--kind",
            "need,practice",
            "--theme",
            "10",
            "--country",
            "GTM",
            "--region",
            "central_america",
            "--language",
            "es",
            "--page-size",
            "5",
        ])?;
        let request = SearchRequest::from(&args);
        assert_eq!(request.query, "victim identification");
        let kinds = [RecordKind::Offer, RecordKind::Need, RecordKind::Practice].map(i32::from);
        assert_eq!(request.kinds, kinds);
        assert_eq!(request.theme, 10);
        assert_eq!(request.country, "GTM");
        assert_eq!(request.region, "central_america");
        assert_eq!(request.language, "es");
        assert_eq!(request.page_size, 5);
        assert_eq!(request.page_token, "");
        Ok(())
    }

    #[test]
    fn a_quoted_query_is_taken_whole_and_filters_default_to_none() -> Result<(), clap::Error> {
        let request = SearchRequest::from(&parse(&["search", "victim identification"])?);
        assert_eq!(request.query, "victim identification");
        assert!(request.kinds.is_empty());
        assert_eq!((request.theme, request.page_size), (0, 0));
        assert!(request.country.is_empty() && request.region.is_empty() && request.language.is_empty());
        Ok(())
    }

    #[test]
    fn a_query_and_known_kinds_are_required() {
        assert!(parse(&["search"]).is_err());
        assert!(parse(&["search", "trata", "--kind", "match"]).is_err());
        assert!(parse(&["search", "trata", "--page-size", "0"]).is_err());
    }

    #[test]
    fn no_hits_says_which_filters_to_drop() -> Result<(), clap::Error> {
        let filtered = parse(&[
            "search",
            "victim identification",
            "--kind",
            "practice",
            "--country",
            "GTM",
        ])?;
        assert_eq!(
            no_hits(&filtered),
            "nothing matched \"victim identification\" with --kind practice --country GTM; broaden the search by removing filters"
        );
        let plain = parse(&["search", "xylophone"])?;
        assert!(
            no_hits(&plain).starts_with("nothing matched \"xylophone\"; try other or fewer words"),
            "{}",
            no_hits(&plain)
        );
        let last_page = parse(&["search", "trata", "--page-token", "p2"])?;
        assert_eq!(no_hits(&last_page), "no more hits for \"trata\"");
        Ok(())
    }
}
