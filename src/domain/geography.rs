//! TEMPORARY STUB (to be replaced by the real module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    pub alpha3: &'static str,
    pub name: &'static str,
    pub region: &'static str,
    pub sub_region: &'static str,
    pub intermediate_region: Option<&'static str>,
    pub least_developed: bool,
    pub small_island_developing: bool,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AreaFit {
    Region,
    SubRegion,
    Intermediate,
}
static C: [Country; 3] = [
    Country {
        alpha3: "GTM",
        name: "Guatemala",
        region: "americas",
        sub_region: "latin_america_and_the_caribbean",
        intermediate_region: Some("central_america"),
        least_developed: false,
        small_island_developing: false,
    },
    Country {
        alpha3: "SLV",
        name: "El Salvador",
        region: "americas",
        sub_region: "latin_america_and_the_caribbean",
        intermediate_region: Some("central_america"),
        least_developed: false,
        small_island_developing: false,
    },
    Country {
        alpha3: "SLE",
        name: "Sierra Leone",
        region: "africa",
        sub_region: "sub_saharan_africa",
        intermediate_region: Some("western_africa"),
        least_developed: true,
        small_island_developing: false,
    },
];
impl Country {
    pub fn areas(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.intermediate_region
            .into_iter()
            .chain([self.sub_region, self.region])
    }
    pub fn area_fit(&self, area: &str) -> Option<AreaFit> {
        if Some(area) == self.intermediate_region {
            Some(AreaFit::Intermediate)
        } else if area == self.sub_region {
            Some(AreaFit::SubRegion)
        } else if area == self.region {
            Some(AreaFit::Region)
        } else {
            None
        }
    }
}
pub fn country(alpha3: &str) -> Option<&'static Country> {
    C.iter().find(|c| c.alpha3 == alpha3)
}
pub fn countries() -> &'static [Country] {
    &C
}
pub fn is_area(slug: &str) -> bool {
    C.iter().any(|c| c.area_fit(slug).is_some())
}
pub fn area_name(slug: &str) -> Option<&'static str> {
    if is_area(slug) { Some("Area") } else { None }
}
