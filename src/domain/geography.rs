//! Countries and the UN M49 areas that contain them.
//!
//! Needs name countries and offers name countries or whole areas ("Central America", "Sub-Saharan
//! Africa"), so matching has to know which areas contain a country and how precisely. The table is
//! `countries.csv`, embedded at compile time and parsed once: one row per ISO 3166-1 country or
//! territory with an M49 area (Antarctica has none and is left out), with its region, sub-region,
//! intermediate region (where M49 has one) and its UN Least Developed Country and Small Island
//! Developing State status, which the hub uses to prioritise.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The embedded table; `'static`, so parsed rows can borrow from it without copying.
const CSV: &str = include_str!("countries.csv");

/// The header the parser expects, so a column reordering fails loudly instead of silently.
const HEADER: &str = "alpha3,name,region,sub_region,intermediate_region,least_developed,small_island_developing";

/// Every M49 area slug used in the table, with how it nests and its English name.
const AREAS: [(&str, AreaFit, &str); 30] = [
    ("africa", AreaFit::Region, "Africa"),
    ("americas", AreaFit::Region, "Americas"),
    ("asia", AreaFit::Region, "Asia"),
    ("europe", AreaFit::Region, "Europe"),
    ("oceania", AreaFit::Region, "Oceania"),
    ("northern_africa", AreaFit::SubRegion, "Northern Africa"),
    ("sub_saharan_africa", AreaFit::SubRegion, "Sub-Saharan Africa"),
    (
        "latin_america_and_the_caribbean",
        AreaFit::SubRegion,
        "Latin America and the Caribbean",
    ),
    ("northern_america", AreaFit::SubRegion, "Northern America"),
    ("central_asia", AreaFit::SubRegion, "Central Asia"),
    ("eastern_asia", AreaFit::SubRegion, "Eastern Asia"),
    ("south_eastern_asia", AreaFit::SubRegion, "South-eastern Asia"),
    ("southern_asia", AreaFit::SubRegion, "Southern Asia"),
    ("western_asia", AreaFit::SubRegion, "Western Asia"),
    ("eastern_europe", AreaFit::SubRegion, "Eastern Europe"),
    ("northern_europe", AreaFit::SubRegion, "Northern Europe"),
    ("southern_europe", AreaFit::SubRegion, "Southern Europe"),
    ("western_europe", AreaFit::SubRegion, "Western Europe"),
    (
        "australia_and_new_zealand",
        AreaFit::SubRegion,
        "Australia and New Zealand",
    ),
    ("melanesia", AreaFit::SubRegion, "Melanesia"),
    ("micronesia", AreaFit::SubRegion, "Micronesia"),
    ("polynesia", AreaFit::SubRegion, "Polynesia"),
    ("eastern_africa", AreaFit::Intermediate, "Eastern Africa"),
    ("middle_africa", AreaFit::Intermediate, "Middle Africa"),
    ("southern_africa", AreaFit::Intermediate, "Southern Africa"),
    ("western_africa", AreaFit::Intermediate, "Western Africa"),
    ("caribbean", AreaFit::Intermediate, "Caribbean"),
    ("central_america", AreaFit::Intermediate, "Central America"),
    ("south_america", AreaFit::Intermediate, "South America"),
    ("channel_islands", AreaFit::Intermediate, "Channel Islands"),
];

/// The parsed table, built on first use so lookups never re-parse.
static COUNTRIES: LazyLock<Vec<Country>> =
    LazyLock::new(|| parse(CSV).expect("embedded countries.csv is malformed (the geography unit tests check it)"));

/// Alpha-3 index over [`COUNTRIES`], because lookups happen for every scored pair.
static BY_ALPHA3: LazyLock<HashMap<&'static str, &'static Country>> =
    LazyLock::new(|| COUNTRIES.iter().map(|c| (c.alpha3, c)).collect());

/// A country or territory with its UN M49 areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-3 code, upper-case: the key records use to name a country.
    pub alpha3: &'static str,
    /// English name (UN M49 wording, without commas) for display to people.
    pub name: &'static str,
    /// Slug of the M49 region (e.g. `americas`): the coarsest area an offer can cover.
    pub region: &'static str,
    /// Slug of the M49 sub-region (e.g. `latin_america_and_the_caribbean`).
    pub sub_region: &'static str,
    /// Slug of the M49 intermediate region (e.g. `central_america`), where M49 defines one.
    pub intermediate_region: Option<&'static str>,
    /// On the UN list of Least Developed Countries, which the hub prioritises.
    pub least_developed: bool,
    /// On the UN-OHRLLS list of Small Island Developing States, which the hub prioritises.
    pub small_island_developing: bool,
}

impl Country {
    /// The areas that contain this country, most specific first (intermediate region if any,
    /// sub-region, region), so callers can stop at the first area they recognise.
    pub fn areas(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.intermediate_region
            .into_iter()
            .chain([self.sub_region, self.region])
    }

    /// How precisely `area` describes this country: `Some(AreaFit::Intermediate | SubRegion |
    /// Region)`, or `None` when the area does not contain it. Scoring rewards tighter fits.
    pub fn area_fit(&self, area: &str) -> Option<AreaFit> {
        if self.intermediate_region == Some(area) {
            Some(AreaFit::Intermediate)
        } else if self.sub_region == area {
            Some(AreaFit::SubRegion)
        } else if self.region == area {
            Some(AreaFit::Region)
        } else {
            None
        }
    }
}

/// How closely a named area contains a country (used for the geography score).
///
/// Ordered from loosest to tightest, so `max` picks the best fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AreaFit {
    /// The area is the country's M49 region (e.g. Americas).
    Region,
    /// The area is the country's M49 sub-region (e.g. Latin America and the Caribbean).
    SubRegion,
    /// The area is the country's M49 intermediate region (e.g. Central America).
    Intermediate,
}

/// Looks up a country by its ISO 3166-1 alpha-3 code (exact, upper-case), so validation can
/// reject unknown codes and matching can find the country's areas.
pub fn country(alpha3: &str) -> Option<&'static Country> {
    BY_ALPHA3.get(alpha3).copied()
}

/// Every M49 area (region, sub-region, intermediate region) that holds one of `countries`,
/// sorted, each once: what a record about those countries is filed under by area.
pub fn areas_of(countries: &[String]) -> Vec<&'static str> {
    let mut areas: Vec<&'static str> = countries
        .iter()
        .filter_map(|c| country(c))
        .flat_map(Country::areas)
        .collect();
    areas.sort_unstable();
    areas.dedup();
    areas
}

/// The finest M49 area of each country (its intermediate region, else its sub-region), sorted,
/// each once: "the same region" for needs that could join forces, or whose past matches say how
/// long a new one may wait.
pub fn finest_areas(countries: &[String]) -> Vec<&'static str> {
    let mut areas: Vec<&'static str> = countries
        .iter()
        .filter_map(|code| country(code))
        .map(|country| country.intermediate_region.unwrap_or(country.sub_region))
        .collect();
    areas.sort_unstable();
    areas.dedup();
    areas
}

/// Every known country, in the CSV's order (sorted by alpha-3), for listings and pickers.
pub fn countries() -> &'static [Country] {
    &COUNTRIES
}

/// True when `slug` names an M49 region, sub-region or intermediate region, so validation can
/// accept an area wherever a coverage list allows one.
pub fn is_area(slug: &str) -> bool {
    area_name(slug).is_some()
}

/// A set of countries and M49 areas as bits, so a coverage can be tested against a need's
/// countries without a string comparison: ranking tests thousands of coverages per query. Bit
/// `i` is the i-th country of the table; the areas follow, in the order of `AREAS`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlaceSet([u64; 5]);

impl PlaceSet {
    /// The countries and areas named, unknown codes left out.
    pub fn of(countries: &[String], areas: &[String]) -> PlaceSet {
        let mut set = PlaceSet::default();
        for bit in countries.iter().filter_map(|c| country_bit(c)) {
            set.insert(bit);
        }
        for bit in areas.iter().filter_map(|a| area_bit(a)) {
            set.insert(bit);
        }
        set
    }

    /// Each of `countries` with every area that contains it: the places a coverage may name
    /// to reach one of them.
    pub fn reaching(countries: &[String]) -> PlaceSet {
        let mut set = PlaceSet::default();
        for alpha3 in countries {
            let (Some(bit), Some(known)) = (country_bit(alpha3), country(alpha3)) else {
                continue;
            };
            set.insert(bit);
            for area in known.areas().filter_map(area_bit) {
                set.insert(area);
            }
        }
        set
    }

    /// The areas at `level` that contain one of `countries`.
    pub fn areas_containing(countries: &[String], level: AreaFit) -> PlaceSet {
        let mut set = PlaceSet::default();
        for known in countries.iter().filter_map(|c| country(c)) {
            let area = match level {
                AreaFit::Intermediate => known.intermediate_region,
                AreaFit::SubRegion => Some(known.sub_region),
                AreaFit::Region => Some(known.region),
            };
            if let Some(bit) = area.and_then(area_bit) {
                set.insert(bit);
            }
        }
        set
    }

    /// Whether the two sets share a place.
    pub fn intersects(&self, other: &PlaceSet) -> bool {
        self.0.iter().zip(&other.0).any(|(a, b)| a & b != 0)
    }

    fn insert(&mut self, bit: usize) {
        self.0[bit / 64] |= 1 << (bit % 64);
    }
}

/// The bit of a country in a [`PlaceSet`].
fn country_bit(alpha3: &str) -> Option<usize> {
    static BITS: LazyLock<HashMap<&'static str, usize>> =
        LazyLock::new(|| COUNTRIES.iter().enumerate().map(|(i, c)| (c.alpha3, i)).collect());
    BITS.get(alpha3).copied()
}

/// The bit of an area in a [`PlaceSet`].
fn area_bit(slug: &str) -> Option<usize> {
    let position = AREAS.iter().position(|(s, _, _)| *s == slug)?;
    Some(COUNTRIES.len() + position)
}

/// The English name of an area slug ("central_america" -> "Central America"), for explanations
/// shown to people.
pub fn area_name(slug: &str) -> Option<&'static str> {
    AREAS.iter().find(|(s, _, _)| *s == slug).map(|(_, _, name)| *name)
}

/// Parses the whole table, naming the first bad line in the error.
fn parse(text: &'static str) -> Result<Vec<Country>, String> {
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    match lines.next() {
        Some(HEADER) => {}
        other => return Err(format!("unexpected header {other:?}")),
    }
    lines
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| parse_row(line).map_err(|e| format!("line {}: {e}", i + 2)))
        .collect()
}

/// Parses one data row of the table.
fn parse_row(line: &'static str) -> Result<Country, String> {
    let fields: Vec<&'static str> = line.split(',').collect();
    let [alpha3, name, region, sub_region, intermediate, ldc, sids] = fields[..] else {
        return Err(format!("expected 7 fields, found {}", fields.len()));
    };
    Ok(Country {
        alpha3,
        name,
        region,
        sub_region,
        intermediate_region: (!intermediate.is_empty()).then_some(intermediate),
        least_developed: parse_bool(ldc)?,
        small_island_developing: parse_bool(sids)?,
    })
}

/// Parses a `true`/`false` cell strictly, so a typo cannot silently read as `false`.
fn parse_bool(cell: &str) -> Result<bool, String> {
    match cell {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("expected true or false, found {cell:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn level(slug: &str) -> Option<AreaFit> {
        AREAS.iter().find(|(s, _, _)| *s == slug).map(|(_, fit, _)| *fit)
    }

    #[test]
    fn table_parses() {
        let parsed = parse(CSV).unwrap();
        assert_eq!(parsed.len(), 248);
        assert_eq!(countries().len(), 248);
        assert!(country("ATA").is_none(), "Antarctica has no M49 region");
    }

    #[test]
    fn no_duplicate_alpha3_and_codes_are_well_formed() {
        let mut seen = HashSet::new();
        for c in countries() {
            assert!(seen.insert(c.alpha3), "duplicate {}", c.alpha3);
            assert!(
                c.alpha3.len() == 3 && c.alpha3.bytes().all(|b| b.is_ascii_uppercase()),
                "{}",
                c.alpha3
            );
            assert!(!c.name.is_empty() && c.name.trim() == c.name, "{}", c.alpha3);
        }
    }

    #[test]
    fn slugs_are_known_and_at_the_right_level() {
        for c in countries() {
            assert_eq!(level(c.region), Some(AreaFit::Region), "{}", c.alpha3);
            assert_eq!(level(c.sub_region), Some(AreaFit::SubRegion), "{}", c.alpha3);
            if let Some(i) = c.intermediate_region {
                assert_eq!(level(i), Some(AreaFit::Intermediate), "{}", c.alpha3);
            }
        }
    }

    #[test]
    fn areas_nest_consistently() {
        let mut parent: HashMap<&str, &str> = HashMap::new();
        for c in countries() {
            let sub = *parent.entry(c.sub_region).or_insert(c.region);
            assert_eq!(sub, c.region, "{}: {} in two regions", c.alpha3, c.sub_region);
            if let Some(i) = c.intermediate_region {
                let up = *parent.entry(i).or_insert(c.sub_region);
                assert_eq!(up, c.sub_region, "{}: {i} in two sub-regions", c.alpha3);
            }
        }
        for (slug, _, _) in AREAS {
            assert!(
                countries().iter().any(|c| c.areas().any(|a| a == slug)),
                "{slug} unused"
            );
        }
    }

    #[test]
    fn spot_checks() {
        let check = |code: &str, areas: &[&str], ldc: bool, sids: bool| {
            let c = country(code).unwrap();
            assert_eq!(c.areas().collect::<Vec<_>>(), areas, "{code}");
            assert_eq!((c.least_developed, c.small_island_developing), (ldc, sids), "{code}");
        };
        check(
            "GTM",
            &["central_america", "latin_america_and_the_caribbean", "americas"],
            false,
            false,
        );
        check(
            "MEX",
            &["central_america", "latin_america_and_the_caribbean", "americas"],
            false,
            false,
        );
        check("TZA", &["eastern_africa", "sub_saharan_africa", "africa"], true, false);
        check("SLE", &["western_africa", "sub_saharan_africa", "africa"], true, false);
        check("MDA", &["eastern_europe", "europe"], false, false);
        check("BHR", &["western_asia", "asia"], false, true);
        check("USA", &["northern_america", "americas"], false, false);
        check(
            "JAM",
            &["caribbean", "latin_america_and_the_caribbean", "americas"],
            false,
            true,
        );
        check(
            "HTI",
            &["caribbean", "latin_america_and_the_caribbean", "americas"],
            true,
            true,
        );
        check("BTN", &["southern_asia", "asia"], false, false);
        check("STP", &["middle_africa", "sub_saharan_africa", "africa"], false, true);
        check("JEY", &["channel_islands", "northern_europe", "europe"], false, false);
        assert!(country("gtm").is_none(), "lookup is exact and upper-case");
    }

    #[test]
    fn area_fit_ranks_tighter_areas_higher() {
        let gtm = country("GTM").unwrap();
        assert_eq!(gtm.area_fit("central_america"), Some(AreaFit::Intermediate));
        assert_eq!(
            gtm.area_fit("latin_america_and_the_caribbean"),
            Some(AreaFit::SubRegion)
        );
        assert_eq!(gtm.area_fit("americas"), Some(AreaFit::Region));
        assert_eq!(gtm.area_fit("caribbean"), None);
        assert_eq!(gtm.area_fit("GTM"), None);
        assert!(AreaFit::Region < AreaFit::SubRegion && AreaFit::SubRegion < AreaFit::Intermediate);
    }

    #[test]
    fn place_sets_hold_every_country_and_area() {
        assert!(COUNTRIES.len() + AREAS.len() <= 5 * 64);
        let guatemala = PlaceSet::reaching(&["GTM".to_string()]);
        let named = |areas: &[&str]| PlaceSet::of(&[], &areas.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        assert!(guatemala.intersects(&named(&["central_america"])));
        assert!(guatemala.intersects(&named(&["americas"])));
        assert!(!guatemala.intersects(&named(&["caribbean", "africa"])));
        assert!(guatemala.intersects(&PlaceSet::of(&["GTM".to_string()], &[])));
        assert!(!guatemala.intersects(&PlaceSet::of(&["MEX".to_string()], &[])));
        let areas: HashSet<&str> = COUNTRIES.iter().flat_map(|c| c.areas()).collect();
        assert!(
            areas.iter().all(|a| area_bit(a).is_some()),
            "every area of the table has a bit"
        );
    }

    #[test]
    fn area_names() {
        assert_eq!(area_name("central_america"), Some("Central America"));
        assert_eq!(area_name("sub_saharan_africa"), Some("Sub-Saharan Africa"));
        assert_eq!(area_name("atlantis"), None);
        assert!(is_area("channel_islands") && is_area("oceania"));
        assert!(!is_area("GTM") && !is_area(""));
    }

    #[test]
    fn ldc_and_sids_counts() {
        // UN LDC list in force since 13 December 2024 (after Sao Tome and Principe graduated;
        // Bhutan graduated 13 December 2023): 44 countries.
        assert_eq!(countries().iter().filter(|c| c.least_developed).count(), 44);
        // UN-OHRLLS SIDS list: 38 UN Member States + 20 non-UN members/associate members.
        assert_eq!(countries().iter().filter(|c| c.small_island_developing).count(), 58);
    }

    #[test]
    fn bad_rows_are_rejected() {
        assert!(parse_row("GTM,Guatemala,americas").is_err());
        assert!(parse_row("GTM,Guatemala,americas,latin_america_and_the_caribbean,,yes,false").is_err());
        assert!(parse("alpha3,name\n").is_err());
    }
}
