//! Who a booking is for (API v1.1 §3): the guest's name and phone, and the
//! channel it came through. A customer's booking is for themselves (the
//! account's name and phone unless the body says otherwise); staff book
//! for guests who may have no account (a phone call, a walk-in).

use serde::{Deserialize, Serialize};

use crate::domain::DomainError;
use crate::domain::details::normalize_phone;

/// The longest guest name accepted.
const MAX_NAME: usize = 200;

/// How a booking was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// By the customer (the mini-program, the web).
    #[default]
    Online,
    /// By staff, for a guest who called.
    Phone,
    /// By staff, for a party at the door: with no start, seated now.
    WalkIn,
    /// By staff, any other way.
    Staff,
}

impl Channel {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Phone => "phone",
            Self::WalkIn => "walk_in",
            Self::Staff => "staff",
        }
    }

    /// Whether only venue staff may book through this channel.
    pub fn staff_only(self) -> bool {
        self != Self::Online
    }
}

/// The guest a booking is for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guest {
    pub name: Option<String>,
    /// Shown only to the booking's owner, the venue's staff and admin.
    pub phone: Option<String>,
}

impl Guest {
    /// A checked guest: a name of 1-200 characters (required when `named`),
    /// a phone of `+` and 6-15 digits (normalized).
    pub fn checked(self, named: bool) -> Result<Self, DomainError> {
        let name = match self.name.map(|n| n.trim().to_string()) {
            Some(n) if n.is_empty() || n.chars().count() > MAX_NAME => {
                return Err(DomainError::invalid(
                    "guest.name",
                    "must be 1 to 200 characters",
                ));
            }
            None if named => {
                return Err(DomainError::invalid(
                    "guest.name",
                    "is required for a booking made by staff",
                ));
            }
            other => other,
        };
        let phone = self
            .phone
            .map(|p| normalize_phone(&p, "guest.phone"))
            .transpose()?;
        Ok(Self { name, phone })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guest_needs_a_name_only_from_staff_and_a_phone_of_the_right_shape() {
        assert!(Guest::default().checked(false).is_ok());
        assert!(Guest::default().checked(true).is_err());
        let g = Guest {
            name: Some("  Mr Wang ".into()),
            phone: Some("+86 139 0000 0000".into()),
        }
        .checked(true)
        .unwrap();
        assert_eq!(g.name.as_deref(), Some("Mr Wang"));
        assert_eq!(g.phone.as_deref(), Some("+8613900000000"));
        let bad_phone = Guest {
            name: Some("A".into()),
            phone: Some("555".into()),
        };
        assert!(matches!(
            bad_phone.checked(true),
            Err(DomainError::Invalid { field, .. }) if field == "guest.phone"
        ));
    }
}
