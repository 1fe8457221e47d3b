//! Wire shapes of a venue's public details (API v1.1 §2): the fields of
//! `POST`/`PATCH /venues` and of the venue object. The rules are the
//! domain's (`domain::details`); this only moves them to and from JSON.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{DetailsPatch, DomainError, Location, Patch, VenueDetails};
use crate::http::ApiError;

/// `{lat, lng}` as sent.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct LocationIn {
    lat: f64,
    lng: f64,
}

impl LocationIn {
    fn checked(self) -> Result<Location, DomainError> {
        Location::new(self.lat, self.lng, "location")
    }
}

/// A price level as sent: any integer, so that 7 is "must be 1 to 4", not
/// a type error.
fn price_level(level: i64) -> Result<u8, DomainError> {
    u8::try_from(level)
        .ok()
        .filter(|l| (1..=4).contains(l))
        .ok_or_else(|| DomainError::invalid("price_level", "must be 1 to 4"))
}

fn phone(raw: String) -> Result<String, DomainError> {
    crate::domain::details::normalize_phone(&raw, "phone")
}

/// The details of `POST /venues`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsIn {
    description: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    cuisine: Option<String>,
    tags: Vec<String>,
    price_level: Option<i64>,
    location: Option<LocationIn>,
    images: Vec<String>,
}

impl TryFrom<DetailsIn> for VenueDetails {
    type Error = ApiError;

    fn try_from(d: DetailsIn) -> Result<Self, ApiError> {
        Ok(VenueDetails {
            description: d.description,
            address: d.address,
            phone: d.phone.map(phone).transpose()?,
            cuisine: d.cuisine,
            tags: d.tags,
            price_level: d.price_level.map(price_level).transpose()?,
            location: d.location.map(LocationIn::checked).transpose()?,
            images: d.images,
        })
    }
}

/// The details of `PATCH /venues/{id}`: `null` clears a field.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsPatchIn {
    description: Patch<String>,
    address: Patch<String>,
    phone: Patch<String>,
    cuisine: Patch<String>,
    tags: Patch<Vec<String>>,
    price_level: Patch<i64>,
    location: Patch<LocationIn>,
    images: Patch<Vec<String>>,
}

fn map<T, U>(
    p: Patch<T>,
    f: impl FnOnce(T) -> Result<U, DomainError>,
) -> Result<Patch<U>, DomainError> {
    Ok(match p {
        Patch::Keep => Patch::Keep,
        Patch::Clear => Patch::Clear,
        Patch::Set(v) => Patch::Set(f(v)?),
    })
}

impl TryFrom<DetailsPatchIn> for DetailsPatch {
    type Error = ApiError;

    fn try_from(d: DetailsPatchIn) -> Result<Self, ApiError> {
        Ok(DetailsPatch {
            description: d.description,
            address: d.address,
            phone: map(d.phone, phone)?,
            cuisine: d.cuisine,
            tags: d.tags,
            price_level: map(d.price_level, price_level)?,
            location: map(d.location, LocationIn::checked)?,
            images: d.images,
        })
    }
}

/// Adds the details to a venue object.
pub fn add_to(body: &mut Value, d: &VenueDetails) {
    let fields = [
        ("description", json!(d.description)),
        ("address", json!(d.address)),
        ("phone", json!(d.phone)),
        ("cuisine", json!(d.cuisine)),
        ("tags", json!(d.tags)),
        ("price_level", json!(d.price_level)),
        (
            "location",
            d.location
                .map_or(Value::Null, |l| json!({"lat": l.lat, "lng": l.lng})),
        ),
        ("images", json!(d.images)),
    ];
    for (key, value) in fields {
        body[key] = value;
    }
}
