//! Text from scripts made safe for a terminal: every control character (C0, DEL and C1, which
//! include the escape sequences that move the cursor or erase lines) and every character that
//! reorders or breaks lines (bidirectional controls, U+2028/U+2029) is printed as a `\uXXXX`
//! escape, so what a script stored can never rewrite what the operator sees.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

/// `value` as compact JSON, safe for a terminal (see the module's docs); still valid JSON.
pub fn json(value: &impl Serialize) -> String {
    // serde_json escapes U+0000..U+001F itself; structural characters are ASCII, so every other
    // character to escape lies inside a string, where its escape means the same.
    escape(&serde_json::to_string(value).unwrap_or_default(), false).into_owned()
}

/// `value` as indented JSON, safe for a terminal: its line breaks are the indentation's (those
/// inside strings are escaped by serde_json).
pub fn json_pretty(value: &impl Serialize) -> String {
    escape(
        &serde_json::to_string_pretty(value).unwrap_or_default(),
        true,
    )
    .into_owned()
}

/// `id` as the inside of a JSON string (backslashes and escapes as in JSON, without the quotes):
/// an id of plain characters prints as itself.
pub fn id(id: &str) -> String {
    let quoted = json(&id);
    quoted[1..quoted.len() - 1].to_owned()
}

/// A message for the terminal: line breaks and tabs kept, every other character to escape as
/// `\uXXXX`.
pub fn text(message: &str) -> Cow<'_, str> {
    escape(message, true)
}

fn escape(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| !(keep_layout && (c == '\n' || c == '\t')) && is_unsafe(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(escaped, "\\u{:04x}", u32::from(c));
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// Control characters, bidirectional controls and the Unicode line and paragraph separators.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_escapes_every_control_character() {
        let forged = "prod:\r\u{1b}[2K\u{1b}[1A\u{7f}\u{9b}2K\u{202e}";
        assert_eq!(
            json(&json!({ "id": forged })),
            r#"{"id":"prod:\r\u001b[2K\u001b[1A\u007f\u009b2K\u202e"}"#
        );
        let back: serde_json::Value =
            serde_json::from_str(&json(&json!({ "id": forged }))).expect("still JSON");
        assert_eq!(back["id"], forged);
        assert_eq!(json(&json!("café ✓")), "\"café ✓\"");
    }

    #[test]
    fn pretty_json_keeps_its_layout_and_escapes_strings() {
        let value = json!({ "id": "a\n\u{1b}" });
        let pretty = json_pretty(&value);
        assert_eq!(pretty, "{\n  \"id\": \"a\\n\\u001b\"\n}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).ok(),
            Some(value)
        );
    }

    #[test]
    fn ids_print_as_the_inside_of_a_json_string() {
        assert_eq!(id("prod:db"), "prod:db");
        assert_eq!(id("a:\u{1b}[1A"), "a:\\u001b[1A");
        assert_eq!(
            id("a:\\u001b"),
            "a:\\\\u001b",
            "a literal backslash stays distinct"
        );
    }

    #[test]
    fn text_keeps_line_breaks_and_tabs() {
        assert_eq!(text("a\n\tb"), "a\n\tb");
        assert_eq!(text("a\r\u{1b}[2Kb\u{2028}"), "a\\u000d\\u001b[2Kb\\u2028");
    }
}
