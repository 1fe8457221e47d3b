//! The query parameters of each route, for the OpenAPI document. Handlers
//! parse the query as text themselves (API.md wants 422 naming the
//! parameter, not actix's generic 400), so the lists are declared here,
//! beside the route table that names them.

/// One query parameter.
pub struct Param {
    pub name: &'static str,
    /// A JSON Schema `type`, or `date`/`date-time` for strings of that format.
    pub kind: &'static str,
    pub required: bool,
    pub description: &'static str,
}

const fn p(name: &'static str, kind: &'static str, description: &'static str) -> Param {
    Param {
        name,
        kind,
        required: false,
        description,
    }
}

const fn req(name: &'static str, kind: &'static str, description: &'static str) -> Param {
    Param {
        name,
        kind,
        required: true,
        description,
    }
}

const LIMIT: Param = p("limit", "integer", "Page size, 1 to 200 (50)");
const CURSOR: Param = p("cursor", "string", "`next_cursor` of the previous page");

pub const PAGE: &[Param] = &[LIMIT, CURSOR];
pub const DISCOVERY: &[Param] = &[
    p("q", "string", "Words in the name, cuisine, address or tags"),
    p("kind", "string", "`restaurant` or `calendar`"),
    p("tag", "string", "A tag the venue has"),
    p(
        "near",
        "string",
        "`lat,lng`: venues within `radius_km`, nearest first",
    ),
    p(
        "radius_km",
        "number",
        "Above 0, at most 100 (5); with `near`",
    ),
    LIMIT,
    CURSOR,
];
pub const AVAILABILITY: &[Param] = &[
    req("date", "date", "The local date"),
    req("party_size", "integer", "1 to 1000"),
    p("service_id", "string", "Required at a venue with services"),
];
pub const GUESTS: &[Param] = &[p("q", "string", "Name or phone"), LIMIT, CURSOR];
pub const STATS: &[Param] = &[
    req("from", "date", "First local date"),
    req("to", "date", "Last local date (at most 366 days)"),
];
pub const DAY_SHEET: &[Param] = &[
    req("date", "date", "The local date"),
    p("status", "string", "Only bookings in this status"),
    LIMIT,
    CURSOR,
];
pub const OWN_BOOKINGS: &[Param] = &[
    p("status", "string", "Only bookings in this status"),
    p("from", "date-time", "Starts at or after"),
    p("to", "date-time", "Starts before"),
    LIMIT,
    CURSOR,
];
pub const WAITLIST: &[Param] = &[req("date", "date", "The local date"), LIMIT, CURSOR];
pub const SCHEDULE: &[Param] = &[
    req("from", "date-time", "Window start"),
    req("to", "date-time", "Window end (at most 92 days later)"),
];
pub const WS: &[Param] = &[p(
    "access_token",
    "string",
    "The access token, where a header cannot be set",
)];
