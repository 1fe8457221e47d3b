//! Wire shapes of a venue's public details (API v1.1 §2): the fields of
//! `POST`/`PATCH /venues` and of the venue object. The rules are the
//! domain's (`domain::details`); this only moves them to and from JSON.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{DetailsPatch, DomainError, Location, Patch, VenueDetails};
use crate::http::ApiError;

/// `{lat, lng}` as sent.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
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
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DetailsIn {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    cuisine: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    price_level: Option<i64>,
    #[serde(default)]
    location: Option<LocationIn>,
    #[serde(default)]
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
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DetailsPatchIn {
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    description: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    address: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    phone: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    cuisine: Patch<String>,
    #[schema(value_type = Option<Vec<String>>)]
    #[serde(default)]
    tags: Patch<Vec<String>>,
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    price_level: Patch<i64>,
    #[schema(value_type = Option<LocationIn>)]
    #[serde(default)]
    location: Patch<LocationIn>,
    #[schema(value_type = Option<Vec<String>>)]
    #[serde(default)]
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
