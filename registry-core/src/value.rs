//! Storable values: JSON-shaped, with numbers kept in one canonical form.
//!
//! Luau numbers are doubles. An integral double is stored as an integer so that `8080` prints and
//! serializes as `8080`, never `8080.0`, and so that `3` and `3.0` compare equal everywhere.

use crate::error::{Error, ErrorKind, Result};

/// A stored value: nil (`Null`), boolean, number, string, array or string-keyed map.
pub type Value = serde_json::Value;

/// A string-keyed map of values, ordered by key.
pub type Map = serde_json::Map<String, Value>;

/// The largest magnitude below which every integral double is exactly an `i64` (2^63).
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// Converts a double to a stored number; NaN and infinities cannot be stored.
pub fn number(n: f64) -> Result<Value> {
    if !n.is_finite() {
        let what = if n.is_nan() {
            "NaN"
        } else {
            "an infinite number"
        };
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("{what} cannot be stored"),
        ));
    }
    if n.fract() == 0.0 && n.abs() < I64_BOUND {
        // In range and integral, so the cast is exact (and turns -0.0 into 0).
        return Ok(Value::from(n as i64));
    }
    Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
}

/// Rewrites every number of a value (e.g. one parsed from JSON) into the canonical form.
pub fn normalize(value: Value) -> Result<Value> {
    Ok(match value {
        Value::Number(n) if n.is_f64() => number(n.as_f64().unwrap_or(f64::NAN))?,
        Value::Array(items) => {
            Value::Array(items.into_iter().map(normalize).collect::<Result<_>>()?)
        }
        Value::Object(map) => Value::Object(normalize_map(map)?),
        other => other,
    })
}

/// [`normalize`] for every value of a map.
pub fn normalize_map(map: Map) -> Result<Map> {
    map.into_iter()
        .map(|(key, value)| Ok((key, normalize(value)?)))
        .collect()
}

/// Returns the value as a double, for handing back to Lua.
#[cfg(feature = "lua")]
pub fn as_f64(number: &serde_json::Number) -> f64 {
    number.as_f64().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_doubles_become_integers() -> Result<()> {
        assert_eq!(number(8080.0)?.to_string(), "8080");
        assert_eq!(number(-0.0)?.to_string(), "0");
        assert_eq!(number(3.0)?, number(3.0)?);
        assert_eq!(number(0.5)?.to_string(), "0.5");
        assert_eq!(number(1e300)?.to_string(), "1e+300");
        Ok(())
    }

    #[test]
    fn refuses_nan_and_infinities() {
        assert_eq!(
            number(f64::NAN).map_err(|e| e.to_string()),
            Err("NaN cannot be stored".into())
        );
        assert_eq!(
            number(f64::NEG_INFINITY).map_err(|e| e.to_string()),
            Err("an infinite number cannot be stored".into())
        );
    }

    #[test]
    fn normalize_canonicalizes_parsed_floats() -> Result<()> {
        let parsed: Value = serde_json::from_str(r#"{"a": [3.0, 2.5], "b": {"c": 1.0}}"#)
            .map_err(|e| Error::new(ErrorKind::InvalidValue, e.to_string()))?;
        assert_eq!(
            normalize(parsed)?.to_string(),
            r#"{"a":[3,2.5],"b":{"c":1}}"#
        );
        Ok(())
    }
}
