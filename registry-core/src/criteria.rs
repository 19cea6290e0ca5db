//! `find` criteria: parsing once, then matching entries.
//!
//! A key is an optional operator (`~` regex, `*` contains, `^` prefix, `$` suffix; none for
//! equality) followed by a special field (`.kind`, `.name`, `.ns`, `.id`) or a metadata path
//! (`field` or `meta.field`). Every criterion must hold.

use regex_lite::Regex;

use crate::entry::Entry;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Map, Value};

/// Regexes from scripts are untrusted: bound the compiled program's size.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How a criterion compares.
#[derive(Debug)]
enum Matcher {
    /// Equality; against an array value: any element equals (scalar) or all present (array).
    Equals(Value),
    Regex(Regex),
    Contains(String),
    Prefix(String),
    Suffix(String),
}

/// One of the entry's own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Kind,
    Name,
    Ns,
    Id,
}

#[derive(Debug)]
enum Target {
    Special(Special),
    Meta(String),
}

#[derive(Debug)]
struct Criterion {
    target: Target,
    matcher: Matcher,
}

/// Parsed criteria, ready to match entries.
#[derive(Debug, Default)]
pub struct Criteria {
    criteria: Vec<Criterion>,
}

impl Criteria {
    /// Parses `(key, expected value)` pairs, e.g. `(".kind", "service")`, `("~meta.description", ".*api.*")`.
    pub fn parse<K: AsRef<str>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Result<Self> {
        let criteria = pairs
            .into_iter()
            .map(|(key, expected)| Criterion::parse(key.as_ref(), expected))
            .collect::<Result<_>>()?;
        Ok(Self { criteria })
    }

    /// Parses the text form used by command lines and filter boxes: whitespace-separated
    /// `key=value` terms, e.g. `.kind=service meta.port=8080 "~meta.description=api gateway"`.
    /// A value that reads as a JSON number, boolean or array is that; anything else is a string.
    pub fn parse_query(text: &str) -> Result<Self> {
        let terms = split_terms(text)?;
        let pairs = terms
            .iter()
            .map(|term| {
                let (key, value) = term.split_once('=').ok_or_else(|| {
                    invalid(format!("filter term {term:?} must look like key=value"))
                })?;
                // Parsed values are canonical (`3.0` reads as 3); NaN cannot be written in JSON.
                let value = match serde_json::from_str::<Value>(value) {
                    Ok(
                        parsed @ (Value::Integer(_)
                        | Value::Unsigned(_)
                        | Value::Float(_)
                        | Value::Bool(_)
                        | Value::Array(_)
                        | Value::String(_)),
                    ) => parsed,
                    _ => Value::string(value),
                };
                Ok((key, value))
            })
            .collect::<Result<Vec<_>>>()?;
        Self::parse(pairs)
    }

    /// Whether the entry satisfies every criterion.
    pub fn matches(&self, entry: &Entry) -> bool {
        self.criteria.iter().all(|c| c.matches(entry))
    }

    /// The value an equality criterion on a special field asks for, if any (used to pick an index).
    pub fn equality_on(&self, field: Special) -> Option<&str> {
        self.criteria
            .iter()
            .find_map(|c| match (&c.target, &c.matcher) {
                (Target::Special(f), Matcher::Equals(Value::String(s))) if *f == field => {
                    Some(&**s)
                }
                _ => None,
            })
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidCriteria, message)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "boolean",
        Value::Integer(_) | Value::Unsigned(_) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) | Value::Object(_) => "table",
    }
}

impl Criterion {
    fn parse(key: &str, mut expected: Value) -> Result<Self> {
        let (operator, field) = match key.chars().next() {
            Some(c @ ('~' | '*' | '^' | '$')) => (Some(c), &key[1..]),
            _ => (None, key),
        };
        let target = if let Some(special) = field.strip_prefix('.') {
            Target::Special(match special {
                "kind" => Special::Kind,
                "name" => Special::Name,
                "ns" => Special::Ns,
                "id" => Special::Id,
                _ => {
                    return Err(invalid(format!(
                        "unknown special field .{special} in criterion {key:?} (expected .kind, .name, .ns or .id)"
                    )));
                }
            })
        } else {
            let path = field.strip_prefix("meta.").unwrap_or(field);
            if path.is_empty() {
                return Err(invalid(format!("criterion {key:?} names no field")));
            }
            Target::Meta(path.to_owned())
        };
        let matcher = match operator {
            None => {
                if matches!(target, Target::Special(_)) && !matches!(expected, Value::String(_)) {
                    return Err(invalid(format!(
                        "criterion {key} expects a string, got {}",
                        type_name(&expected)
                    )));
                }
                expected.normalize()?;
                Matcher::Equals(expected)
            }
            Some(op) => {
                let Value::String(text) = expected else {
                    return Err(invalid(format!(
                        "criterion {key} expects a string, got {}",
                        type_name(&expected)
                    )));
                };
                match op {
                    '~' => Matcher::Regex(
                        regex_lite::RegexBuilder::new(&text)
                            .size_limit(REGEX_SIZE_LIMIT)
                            .build()
                            .map_err(|e| invalid(format!("invalid pattern for {key}: {e}")))?,
                    ),
                    '*' => Matcher::Contains(text.to_string()),
                    '^' => Matcher::Prefix(text.to_string()),
                    _ => Matcher::Suffix(text.to_string()),
                }
            }
        };
        Ok(Self { target, matcher })
    }

    fn matches(&self, entry: &Entry) -> bool {
        match &self.target {
            Target::Special(field) => {
                let text = match field {
                    Special::Kind => &*entry.kind,
                    Special::Name => entry.id.name(),
                    Special::Ns => entry.id.ns(),
                    Special::Id => entry.id.as_str(),
                };
                self.matcher.matches_text(text)
            }
            Target::Meta(path) => {
                lookup(&entry.meta, path).is_some_and(|v| self.matcher.matches(v))
            }
        }
    }
}

impl Matcher {
    fn matches(&self, actual: &Value) -> bool {
        match (self, actual) {
            (Matcher::Equals(Value::Array(wanted)), Value::Array(items)) => {
                wanted.iter().all(|w| items.contains(w))
            }
            (Matcher::Equals(Value::Array(_)), _) => false,
            (_, Value::Array(items)) => items.iter().any(|item| self.matches_scalar(item)),
            _ => self.matches_scalar(actual),
        }
    }

    fn matches_scalar(&self, actual: &Value) -> bool {
        match (self, actual) {
            (_, Value::String(text)) => self.matches_text(text),
            // Numbers are stored canonically (integral doubles as integers), so == is numeric.
            (Matcher::Equals(expected), _) => expected == actual,
            _ => false,
        }
    }

    fn matches_text(&self, text: &str) -> bool {
        match self {
            Matcher::Equals(Value::String(expected)) => **expected == *text,
            Matcher::Equals(_) => false,
            Matcher::Regex(re) => re.is_match(text),
            Matcher::Contains(part) => text.contains(part.as_str()),
            Matcher::Prefix(part) => text.starts_with(part.as_str()),
            Matcher::Suffix(part) => text.ends_with(part.as_str()),
        }
    }
}

/// Splits on whitespace outside double quotes; quotes group, and are kept only inside a value.
fn split_terms(text: &str) -> Result<Vec<String>> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut in_term = false;
    // Quotes that open right after '=' delimit a JSON string value: keep them for the JSON parse.
    let mut keep_quotes = false;
    for c in text.chars() {
        match c {
            '"' => {
                if !quoted {
                    keep_quotes = current.ends_with('=');
                }
                if keep_quotes {
                    current.push(c);
                }
                quoted = !quoted;
                in_term = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_term {
                    terms.push(std::mem::take(&mut current));
                    in_term = false;
                }
            }
            c => {
                current.push(c);
                in_term = true;
            }
        }
    }
    if quoted {
        return Err(invalid(format!("unclosed quote in filter {text:?}")));
    }
    if in_term {
        terms.push(current);
    }
    Ok(terms)
}

/// Looks up `a.b` as the key `a.b` if present, otherwise descends into nested maps.
fn lookup<'a>(map: &'a Map, path: &str) -> Option<&'a Value> {
    if let Some(value) = map.get(path) {
        return Some(value);
    }
    path.match_indices('.')
        .find_map(|(dot, _)| match map.get(&path[..dot]) {
            Some(Value::Object(inner)) => lookup(inner, &path[dot + 1..]),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::EntryId;

    fn entry(id: &str, kind: &str, meta: Value) -> Entry {
        let Value::Object(meta) = meta else {
            unreachable!("test meta is an object")
        };
        Entry::new(
            EntryId::parse(id).expect("valid id"),
            kind,
            meta,
            Value::Null,
        )
        .expect("valid entry")
    }

    fn check(key: &str, expected: Value, meta: Value) -> bool {
        let criteria = Criteria::parse([(key, expected)]).expect("valid criteria");
        criteria.matches(&entry("svc:api", "service", meta))
    }

    #[test]
    fn special_fields_match_exactly() {
        let e = entry("svc:api", "service", value!({}));
        for (key, value, want) in [
            (".kind", "service", true),
            (".kind", "serv", false),
            (".name", "api", true),
            (".ns", "svc", true),
            (".id", "svc:api", true),
            ("^.name", "ap", true),
            ("~.id", "c:a", true),
        ] {
            let criteria = Criteria::parse([(key, value!(value))]).expect("valid");
            assert_eq!(criteria.matches(&e), want, "{key} = {value}");
        }
    }

    #[test]
    fn operators_on_meta() {
        let meta = value!({"description": "the api gateway", "status": "healthy-ish"});
        assert!(check("~meta.description", value!(".*api.*"), meta.clone()));
        assert!(
            check("~description", value!("api"), meta.clone()),
            "regex search is unanchored"
        );
        assert!(!check("~description", value!("^api"), meta.clone()));
        assert!(check("*meta.description", value!("api gate"), meta.clone()));
        assert!(check("^meta.status", value!("healthy"), meta.clone()));
        assert!(check("$status", value!("-ish"), meta.clone()));
        assert!(!check("$status", value!("healthy"), meta.clone()));
        assert!(!check("meta.missing", value!("x"), meta));
    }

    #[test]
    fn equality_is_typed_and_numeric() {
        assert!(check("port", value!(3), value!({"port": 3})));
        assert!(!check("port", value!("3"), value!({"port": 3})));
        assert!(check("on", value!(true), value!({"on": true})));
        assert!(!check("on", value!("true"), value!({"on": true})));
        assert!(
            !check("*port", value!("3"), value!({"port": 3})),
            "string operators skip numbers"
        );
    }

    #[test]
    fn arrays_match_any_element_or_contain_all() {
        let meta = value!({"tags": ["microservice", "api"]});
        assert!(check("tags", value!("api"), meta.clone()));
        assert!(check("^tags", value!("micro"), meta.clone()));
        assert!(check("tags", value!(["api", "microservice"]), meta.clone()));
        assert!(!check("tags", value!(["api", "web"]), meta.clone()));
        assert!(check("tags", value!([]), meta.clone()));
        assert!(!check("tags", value!(["x"]), value!({"tags": "x"})));
    }

    #[test]
    fn dotted_paths_prefer_the_literal_key() {
        assert!(check(
            "meta.a.b",
            value!(1),
            value!({"a.b": 1, "a": {"b": 2}})
        ));
        assert!(check("meta.a.b", value!(2), value!({"a": {"b": 2}})));
        assert!(check("a.b.c", value!(3), value!({"a": {"b.c": 3}})));
    }

    #[test]
    fn bad_criteria_name_the_problem() {
        let err =
            |key: &str, value: Value| Criteria::parse([(key, value)]).expect_err(key).to_string();
        assert!(
            err("~meta.description", value!("("))
                .starts_with("invalid pattern for ~meta.description: ")
        );
        assert_eq!(
            err(".foo", value!("x")),
            r#"unknown special field .foo in criterion ".foo" (expected .kind, .name, .ns or .id)"#
        );
        assert_eq!(
            err("*meta.x", value!(3)),
            "criterion *meta.x expects a string, got number"
        );
        assert_eq!(
            err(".kind", value!(true)),
            "criterion .kind expects a string, got boolean"
        );
        assert_eq!(
            err("meta.", value!(1)),
            r#"criterion "meta." names no field"#
        );
    }

    #[test]
    fn parses_the_text_form() {
        let e = entry(
            "svc:api",
            "service",
            value!({"port": 8080, "env": "prod", "note": "api gateway", "on": true}),
        );
        for (query, want) in [
            (".kind=service meta.env=prod", true),
            ("port=8080", true),
            ("port=\"8080\"", false),
            ("on=true", true),
            ("\"*note=api gate\"", true),
            ("*note=\"api gate\"", true),
            ("  ", true),
            (".kind=config", false),
        ] {
            let criteria = Criteria::parse_query(query).expect(query);
            assert_eq!(criteria.matches(&e), want, "{query}");
        }
        let err = |q: &str| Criteria::parse_query(q).expect_err(q).to_string();
        assert_eq!(
            err(".kind"),
            r#"filter term ".kind" must look like key=value"#
        );
        assert_eq!(err("a=\"b"), r#"unclosed quote in filter "a=\"b""#);
        assert!(err(".foo=1").starts_with("unknown special field .foo"));
    }

    #[test]
    fn empty_criteria_match_everything() {
        assert!(Criteria::default().matches(&entry("a:b", "k", value!({}))));
    }
}
