//! What a customer reads about a venue before booking (API v1.1 §2): its
//! description, address, cuisine, tags, price level, location and images,
//! with the rules that make them valid and the rules of discovery (which
//! venues a search matches, how far one is).

use serde::{Deserialize, Serialize};

use crate::domain::{DomainError, Patch, VenueKind};

const MAX_DESCRIPTION: usize = 2000;
const MAX_ADDRESS: usize = 300;
const MAX_CUISINE: usize = 60;
const MAX_TAGS: usize = 20;
const MAX_TAG: usize = 30;
const MAX_IMAGES: usize = 10;
const MAX_URL: usize = 2048;
/// The largest search radius (API v1.1 §2).
pub const MAX_RADIUS_KM: f64 = 100.0;
/// The radius of a `near` search that names none.
pub const DEFAULT_RADIUS_KM: f64 = 5.0;
/// The mean Earth radius of the haversine formula.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point in WGS-84 degrees; always finite and in range once validated.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
}

/// Validated coordinates are never NaN, so equality is total.
impl Eq for Location {}

impl Location {
    /// A checked point; `field` names it in the error.
    pub fn new(lat: f64, lng: f64, field: &str) -> Result<Self, DomainError> {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(DomainError::invalid(
                format!("{field}.lat"),
                "must be -90 to 90 degrees",
            ));
        }
        if !(lng.is_finite() && (-180.0..=180.0).contains(&lng)) {
            return Err(DomainError::invalid(
                format!("{field}.lng"),
                "must be -180 to 180 degrees",
            ));
        }
        Ok(Self { lat, lng })
    }

    /// Great-circle distance (haversine), in kilometres.
    pub fn distance_km(&self, other: &Location) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lng - self.lng).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// A venue's public details; every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueDetails {
    pub description: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub cuisine: Option<String>,
    pub tags: Vec<String>,
    pub price_level: Option<u8>,
    pub location: Option<Location>,
    pub images: Vec<String>,
}

/// A change of details: each field omitted (kept), `null` (cleared) or set.
#[derive(Clone, Debug, Default)]
pub struct DetailsPatch {
    pub description: Patch<String>,
    pub address: Patch<String>,
    pub phone: Patch<String>,
    pub cuisine: Patch<String>,
    pub tags: Patch<Vec<String>>,
    pub price_level: Patch<u8>,
    pub location: Patch<Location>,
    pub images: Patch<Vec<String>>,
}

/// `+` then 6-15 digits, spaces and dashes dropped: the one phone rule of
/// the engine (accounts, venues, guests).
pub fn normalize_phone(phone: &str, field: &str) -> Result<String, DomainError> {
    let compact: String = phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err(DomainError::invalid(field, "must be + and 6 to 15 digits"))
    }
}

fn text(value: &Option<String>, field: &str, max: usize) -> Result<(), DomainError> {
    match value {
        Some(v) if v.trim().is_empty() || v.chars().count() > max => Err(DomainError::invalid(
            field,
            format!("must be 1 to {max} characters"),
        )),
        _ => Ok(()),
    }
}

/// An `https://` URL with a host and no spaces: images are shown in the
/// mini-program, which loads only https.
fn https_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").unwrap_or("");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    url.len() <= MAX_URL
        && !host.is_empty()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl VenueDetails {
    /// Checks every rule of API v1.1 §2; the first broken one names its field.
    pub fn validate(&self) -> Result<(), DomainError> {
        text(&self.description, "description", MAX_DESCRIPTION)?;
        text(&self.address, "address", MAX_ADDRESS)?;
        text(&self.cuisine, "cuisine", MAX_CUISINE)?;
        if let Some(phone) = &self.phone
            && normalize_phone(phone, "phone")? != *phone
        {
            return Err(DomainError::invalid(
                "phone",
                "must be + and 6 to 15 digits",
            ));
        }
        if self.tags.len() > MAX_TAGS {
            return Err(DomainError::invalid("tags", "at most 20 tags"));
        }
        for (i, tag) in self.tags.iter().enumerate() {
            if tag.trim().is_empty() || tag.chars().count() > MAX_TAG {
                return Err(DomainError::invalid(
                    format!("tags[{i}]"),
                    "must be 1 to 30 characters",
                ));
            }
        }
        if let Some(level) = self.price_level
            && !(1..=4).contains(&level)
        {
            return Err(DomainError::invalid("price_level", "must be 1 to 4"));
        }
        if let Some(at) = self.location {
            Location::new(at.lat, at.lng, "location")?;
        }
        if self.images.len() > MAX_IMAGES {
            return Err(DomainError::invalid("images", "at most 10 images"));
        }
        for (i, url) in self.images.iter().enumerate() {
            if !https_url(url) {
                return Err(DomainError::invalid(
                    format!("images[{i}]"),
                    "must be an https URL",
                ));
            }
        }
        Ok(())
    }

    /// These details with a patch applied (not yet validated).
    pub fn patched(self, p: DetailsPatch) -> Self {
        let list = |patch: Patch<Vec<String>>, current: Vec<String>| {
            patch.apply(Some(current)).unwrap_or_default()
        };
        Self {
            description: p.description.apply(self.description),
            address: p.address.apply(self.address),
            phone: p.phone.apply(self.phone),
            cuisine: p.cuisine.apply(self.cuisine),
            tags: list(p.tags, self.tags),
            price_level: p.price_level.apply(self.price_level),
            location: p.location.apply(self.location),
            images: list(p.images, self.images),
        }
    }
}

/// A discovery query (`GET /venues`): every part optional.
#[derive(Clone, Debug, Default)]
pub struct VenueSearch {
    /// Lowercased; a substring of the name, cuisine, a tag or the address.
    pub text: Option<String>,
    pub kind: Option<VenueKind>,
    /// Lowercased; equal to one of the venue's tags, ignoring case.
    pub tag: Option<String>,
    /// Only venues with a location within `radius_km` of this point.
    pub near: Option<(Location, f64)>,
}

impl VenueSearch {
    /// Whether a venue matches; with `near`, its distance in kilometres.
    /// `None`: it does not match.
    pub fn matches(&self, name: &str, kind: VenueKind, d: &VenueDetails) -> Option<Option<f64>> {
        if self.kind.is_some_and(|k| k != kind) {
            return None;
        }
        if let Some(tag) = &self.tag
            && !d.tags.iter().any(|t| t.to_lowercase() == *tag)
        {
            return None;
        }
        if let Some(text) = &self.text {
            let found = |s: &str| s.to_lowercase().contains(text.as_str());
            let hit = found(name)
                || d.cuisine.as_deref().is_some_and(found)
                || d.address.as_deref().is_some_and(found)
                || d.tags.iter().any(|t| found(t));
            if !hit {
                return None;
            }
        }
        match &self.near {
            None => Some(None),
            Some((from, radius)) => {
                let km = from.distance_km(d.location.as_ref()?);
                (km <= *radius).then_some(Some(km))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(d: &VenueDetails) -> String {
        match d.validate() {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let ok = VenueDetails {
            description: Some("Cantonese classics".into()),
            address: Some("88 Nanjing Rd".into()),
            phone: Some("+862112345678".into()),
            cuisine: Some("Cantonese".into()),
            tags: vec!["dim sum".into()],
            price_level: Some(2),
            location: Some(Location {
                lat: 31.23,
                lng: 121.47,
            }),
            images: vec!["https://img.example.com/a.jpg".into()],
        };
        ok.validate().unwrap();
        type Break = fn(&mut VenueDetails);
        let cases: [(&str, Break); 10] = [
            ("description", |d| d.description = Some("x".repeat(2001))),
            ("address", |d| d.address = Some(" ".into())),
            ("cuisine", |d| d.cuisine = Some("x".repeat(61))),
            ("phone", |d| d.phone = Some("12345".into())),
            ("tags", |d| d.tags = vec!["t".into(); 21]),
            ("tags[0]", |d| d.tags = vec!["x".repeat(31)]),
            ("price_level", |d| d.price_level = Some(5)),
            ("location.lat", |d| {
                d.location = Some(Location {
                    lat: 91.0,
                    lng: 0.0,
                })
            }),
            ("images", |d| {
                d.images = vec!["https://a.example/x".into(); 11]
            }),
            ("images[0]", |d| {
                d.images = vec!["http://a.example/x.jpg".into()]
            }),
        ];
        for (field, break_it) in cases {
            let mut d = ok.clone();
            break_it(&mut d);
            assert_eq!(field_of(&d), field);
        }
        assert!(Location::new(0.0, f64::NAN, "near").is_err());
        assert!(Location::new(0.0, 180.5, "near").is_err());
    }

    #[test]
    fn distances_are_great_circle_kilometres() {
        let bund = Location {
            lat: 31.2400,
            lng: 121.4900,
        };
        let jingan = Location {
            lat: 31.2230,
            lng: 121.4450,
        };
        let km = bund.distance_km(&jingan);
        assert!((4.5..4.8).contains(&km), "{km}");
        let beijing = Location {
            lat: 39.9042,
            lng: 116.4074,
        };
        let km = bund.distance_km(&beijing);
        assert!((1060.0..1075.0).contains(&km), "{km}");
        assert_eq!(bund.distance_km(&bund), 0.0);
    }

    #[test]
    fn a_search_matches_text_kind_tag_and_radius() {
        let d = VenueDetails {
            cuisine: Some("Sichuan".into()),
            tags: vec!["Spicy".into()],
            address: Some("1 Huaihai Rd".into()),
            location: Some(Location {
                lat: 31.22,
                lng: 121.46,
            }),
            ..VenueDetails::default()
        };
        let all = VenueSearch::default();
        assert_eq!(
            all.matches("Hot Pot", VenueKind::Restaurant, &d),
            Some(None)
        );
        for text in ["hot", "sichuan", "spicy", "huaihai"] {
            let q = VenueSearch {
                text: Some(text.into()),
                ..VenueSearch::default()
            };
            assert!(
                q.matches("Hot Pot", VenueKind::Restaurant, &d).is_some(),
                "{text}"
            );
        }
        let q = VenueSearch {
            text: Some("sushi".into()),
            ..VenueSearch::default()
        };
        assert_eq!(q.matches("Hot Pot", VenueKind::Restaurant, &d), None);
        let q = VenueSearch {
            kind: Some(VenueKind::Calendar),
            ..VenueSearch::default()
        };
        assert_eq!(q.matches("Hot Pot", VenueKind::Restaurant, &d), None);
        let q = VenueSearch {
            tag: Some("spicy".into()),
            ..VenueSearch::default()
        };
        assert!(q.matches("Hot Pot", VenueKind::Restaurant, &d).is_some());
        let near = |km| VenueSearch {
            near: Some((
                Location {
                    lat: 31.24,
                    lng: 121.49,
                },
                km,
            )),
            ..VenueSearch::default()
        };
        assert!(
            near(5.0)
                .matches("Hot Pot", VenueKind::Restaurant, &d)
                .unwrap()
                .is_some()
        );
        assert_eq!(
            near(1.0).matches("Hot Pot", VenueKind::Restaurant, &d),
            None
        );
        let nowhere = VenueDetails::default();
        assert_eq!(
            near(100.0).matches("X", VenueKind::Restaurant, &nowhere),
            None
        );
    }
}
