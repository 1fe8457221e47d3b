//! The closed vocabularies of the API as schema enums. The wire carries
//! the domain's own spellings (`as_str`); these only tell the document
//! which strings can appear, so their variants are never constructed.
#![allow(dead_code)]

use utoipa::ToSchema;

/// A booking's status.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum BookingStatusName {
    Pending,
    Confirmed,
    Seated,
    Completed,
    Cancelled,
    NoShow,
}

/// How a booking was made.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ChannelName {
    Online,
    Phone,
    WalkIn,
    Staff,
}

/// A hold's status.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum HoldStatusName {
    Active,
    Released,
    Expired,
    Converted,
}

/// An invitation's status (`removed` once withdrawn).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum InviteStatusName {
    Invited,
    Accepted,
    Declined,
    Removed,
}

/// A waitlist entry's status.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum EntryStatusName {
    Waiting,
    Offered,
    Booked,
    Missed,
    Left,
}

/// Restaurant or calendar.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum VenueKindName {
    Restaurant,
    Calendar,
}

/// How a resource's capacity is used.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ResourceModeName {
    Exclusive,
    Shared,
}

/// An account's role.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RoleName {
    Customer,
    Admin,
}

/// A friend request's status.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RequestStatusName {
    Pending,
    Accepted,
    Declined,
}

/// A delivery attempt's outcome (`queued` when a retry was just asked for).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum OutcomeName {
    Delivered,
    Retrying,
    Failed,
    Queued,
}

/// What a schedule line is.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LineKindName {
    Booking,
    Shared,
    Personal,
}
