//! A field of a `PATCH` body: omitted leaves it as it is, `null` clears it,
//! a value sets it (API v1.1 §12). `Option<T>` cannot tell the first two
//! apart; this can, with `#[serde(default)]` on the field.

use serde::{Deserialize, Deserializer};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the body.
    #[default]
    Keep,
    /// `null` in the body.
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    /// The field after the patch.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Clear => None,
            Patch::Set(v) => Some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Patch::Clear, Patch::Set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        name: Patch<String>,
    }

    #[test]
    fn omitted_null_and_value_are_three_things() {
        let body = |json: &str| serde_json::from_str::<Body>(json).unwrap().name;
        assert_eq!(body("{}"), Patch::Keep);
        assert_eq!(body(r#"{"name":null}"#), Patch::Clear);
        assert_eq!(body(r#"{"name":"Li"}"#), Patch::Set("Li".into()));
        assert_eq!(Patch::Keep.apply(Some(1)), Some(1));
        assert_eq!(Patch::<i32>::Clear.apply(Some(1)), None);
        assert_eq!(Patch::Set(2).apply(None), Some(2));
    }
}
