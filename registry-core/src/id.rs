//! Entry ids: `namespace:name`, split at the first `:`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use equivalent::{Comparable, Equivalent};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorKind, Result};

/// An entry id. Cheap to clone (one shared string); ordered by namespace, then name.
/// Serialized as its string form.
#[derive(Clone)]
#[cfg_attr(test, derive(ts_rs::TS), ts(type = "string"))]
pub struct EntryId {
    // Only the string: the namespace ends at its first ':'. Every entry and both index maps hold
    // an id, so the 8 bytes a stored split position would take count.
    full: Rc<str>,
}

impl EntryId {
    /// Parses `ns:name`, splitting at the first `:`; both parts must be non-empty.
    pub fn parse(text: &str) -> Result<Self> {
        IdText::parse(text).map(|text| Self {
            full: Rc::from(text.text),
        })
    }

    /// Builds an id from its parts, as the table form `{ns = ..., name = ...}` gives them.
    pub fn from_parts(ns: &str, name: &str) -> Result<Self> {
        let invalid = |why: &str| {
            Err(Error::new(
                ErrorKind::InvalidId,
                format!(
                    "invalid id {{ns = {}, name = {}}}: {why}",
                    quoted(ns),
                    quoted(name)
                ),
            ))
        };
        if ns.is_empty() {
            return invalid("namespace is empty");
        }
        if name.is_empty() {
            return invalid("name is empty");
        }
        // The string form splits at the first ':', so a namespace holding one would name another id.
        if ns.contains(':') {
            return invalid("namespace cannot contain ':'");
        }
        Ok(Self {
            full: Rc::from(format!("{ns}:{name}")),
        })
    }

    /// The lowest id of a namespace, for range scans (not a valid id itself).
    pub(crate) fn namespace_start(ns: &str) -> Self {
        Self {
            full: Rc::from(format!("{ns}:")),
        }
    }

    /// The namespace part.
    pub fn ns(&self) -> &str {
        self.parts().0
    }

    /// The name part.
    pub fn name(&self) -> &str {
        self.parts().1
    }

    fn parts(&self) -> (&str, &str) {
        // Every constructor puts a ':' after the namespace, which holds none.
        let colon = colon_of(&self.full);
        (
            &self.full[..colon],
            self.full.get(colon + 1..).unwrap_or(""),
        )
    }

    /// The string form, `ns:name`.
    pub fn as_str(&self) -> &str {
        &self.full
    }
}

/// An id's string form, checked as [`EntryId::parse`] checks it, for looking an entry up without
/// making an [`EntryId`]: `registry.get` reads one per call and needs no copy of it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdText<'a> {
    text: &'a str,
    colon: usize,
}

impl<'a> IdText<'a> {
    /// `ns:name`, split at the first `:`; both parts must be non-empty.
    pub(crate) fn parse(text: &'a str) -> Result<Self> {
        match text.find(':') {
            Some(colon) if colon > 0 && colon + 1 < text.len() => Ok(Self { text, colon }),
            _ => Err(Error::new(
                ErrorKind::InvalidId,
                format!("invalid id {}: expected namespace:name", quoted(text)),
            )),
        }
    }

    pub(crate) fn as_str(self) -> &'a str {
        self.text
    }
}

impl Equivalent<EntryId> for IdText<'_> {
    fn equivalent(&self, key: &EntryId) -> bool {
        self.text == &*key.full
    }
}

impl Comparable<EntryId> for IdText<'_> {
    fn compare(&self, key: &EntryId) -> Ordering {
        compare_ids(self.text, self.colon, &key.full)
    }
}

/// Orders two ids' string forms by namespace, then name, in one pass, given where `a`'s namespace
/// ends (its first ':'): up to the first byte where they differ, both are in the same namespace
/// or both past it. The one whose namespace ends there has the shorter namespace, so it comes
/// first; otherwise the bytes decide. A map lookup compares about 20 ids.
fn compare_ids(a: &str, a_colon: usize, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = common_prefix(a, b);
    let (rest_a, rest_b) = (&a[same..], &b[same..]);
    if same < a_colon && rest_b.first() == Some(&b':') {
        return Ordering::Greater;
    }
    if same == a_colon && !rest_b.is_empty() {
        return Ordering::Less;
    }
    // The strings differ in their first bytes after the common prefix, or one ends there (and
    // comes first): those bytes decide, no need to compare the rest.
    rest_a.first().cmp(&rest_b.first())
}

/// Where an id's namespace ends: its first ':' (every id has one).
fn colon_of(text: &str) -> usize {
    text.bytes().position(|c| c == b':').unwrap_or(text.len())
}

/// The length of the longest common prefix, compared eight bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut same = 0;
    while let (Some(x), Some(y)) = (a[same..].first_chunk::<8>(), b[same..].first_chunk::<8>()) {
        let differ = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if differ != 0 {
            return same + (differ.trailing_zeros() / 8) as usize;
        }
        same += 8;
    }
    same + a[same..]
        .iter()
        .zip(&b[same..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Longer inputs are cut in messages: an error must not repeat a 10 MB string.
const QUOTE_LIMIT: usize = 64;

/// `text` quoted for an error message, cut after [`QUOTE_LIMIT`] characters.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        Some((cut, _)) => format!("{:?}... ({} bytes)", &text[..cut], text.len()),
        None => format!("{text:?}"),
    }
}

impl PartialEq for EntryId {
    fn eq(&self, other: &Self) -> bool {
        self.full == other.full
    }
}

impl Eq for EntryId {}

/// By namespace, then name.
impl Ord for EntryId {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_ids(&self.full, colon_of(&self.full), &other.full)
    }
}

impl PartialOrd for EntryId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for EntryId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.full.hash(state);
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl fmt::Debug for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryId({:?})", &*self.full)
    }
}

impl Serialize for EntryId {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.full)
    }
}

impl<'de> Deserialize<'de> for EntryId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_colon() -> Result<()> {
        let id = EntryId::parse("a:b:c")?;
        assert_eq!((id.ns(), id.name()), ("a", "b:c"));
        Ok(())
    }

    #[test]
    fn refuses_malformed_ids() {
        for text in ["", ":", "a:", ":b", "nocolon"] {
            let err = EntryId::parse(text).expect_err(text);
            assert_eq!(err.kind(), ErrorKind::InvalidId);
            assert_eq!(
                err.message(),
                format!("invalid id {text:?}: expected namespace:name")
            );
        }
    }

    #[test]
    fn long_ids_are_cut_in_messages() {
        let long = "x".repeat(10_000);
        let err = EntryId::parse(&long).expect_err("no colon");
        assert_eq!(
            err.message(),
            format!(
                "invalid id \"{}\"... (10000 bytes): expected namespace:name",
                "x".repeat(64)
            )
        );
    }

    #[test]
    fn table_form_matches_string_form() -> Result<()> {
        assert_eq!(EntryId::from_parts("a", "b:c")?, EntryId::parse("a:b:c")?);
        let err = EntryId::from_parts("a:b", "c").expect_err("colon in namespace");
        assert_eq!(
            err.message(),
            r#"invalid id {ns = "a:b", name = "c"}: namespace cannot contain ':'"#
        );
        assert!(EntryId::from_parts("", "x").is_err());
        assert!(EntryId::from_parts("x", "").is_err());
        Ok(())
    }

    /// Two ids from generated parts, when both parts make a valid id.
    fn two_ids(a: &(String, String), b: &(String, String)) -> Option<(EntryId, EntryId)> {
        Some((
            EntryId::from_parts(&a.0, &a.1).ok()?,
            EntryId::from_parts(&b.0, &b.1).ok()?,
        ))
    }

    proptest::proptest! {
        #[test]
        fn order_is_namespace_then_name(
            a in ("[a:b-]{1,3}", "[a:b-]{1,3}"),
            b in ("[a:b-]{1,3}", "[a:b-]{1,3}"),
        ) {
            let Some((x, y)) = two_ids(&a, &b) else { return Ok(()) };
            proptest::prop_assert_eq!(x.cmp(&y), (x.ns(), x.name()).cmp(&(y.ns(), y.name())));
            proptest::prop_assert_eq!((x.ns(), x.name()), (a.0.as_str(), a.1.as_str()));
        }

        #[test]
        fn an_ids_text_orders_as_the_id(
            a in ("[a:b-]{1,3}", "[a:b-]{1,3}"),
            b in ("[a:b-]{1,3}", "[a:b-]{1,3}"),
        ) {
            let Some((x, y)) = two_ids(&a, &b) else { return Ok(()) };
            let text = IdText::parse(x.as_str()).expect("an id's own text");
            proptest::prop_assert_eq!(text.compare(&y), x.cmp(&y));
            proptest::prop_assert_eq!(text.equivalent(&y), x == y);
        }
    }

    #[test]
    fn orders_by_namespace_then_name() -> Result<()> {
        // As plain strings "a-b:y" < "a:x"; by namespace "a" < "a-b".
        let mut ids = [
            EntryId::parse("a-b:y")?,
            EntryId::parse("a:x")?,
            EntryId::parse("a:a")?,
        ];
        ids.sort();
        let sorted: Vec<&str> = ids.iter().map(EntryId::as_str).collect();
        assert_eq!(sorted, ["a:a", "a:x", "a-b:y"]);
        Ok(())
    }
}
