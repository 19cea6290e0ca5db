//! Syntax errors located at line and column without running anything: Luau's own parser and
//! compiler (`cpp/syntax.cpp`), which `mlua`'s compile errors report by line only.
#![expect(unsafe_code)]

use std::ffi::c_int;

use crate::protocol::SyntaxError;

unsafe extern "C" {
    fn registry_luau_check(
        source: *const u8,
        size: usize,
        location: *mut u32,
        message: *mut u8,
        capacity: usize,
        length: *mut usize,
    ) -> c_int;
}

/// Luau's messages are short; a longer one is cut with a note.
const MESSAGE_CAPACITY: usize = 1024;

/// The first error Luau's compiler finds in `source`, or `None` when it compiles.
pub fn check_syntax(source: &str) -> Option<SyntaxError> {
    let mut location = [0_u32; 4];
    let mut message = vec![0_u8; MESSAGE_CAPACITY];
    let mut length = 0_usize;
    // SAFETY: source is valid for `len` bytes, location holds the 4 u32 the function writes, and
    // message holds `capacity` bytes, of which it writes at most that many.
    let status = unsafe {
        registry_luau_check(
            source.as_ptr(),
            source.len(),
            location.as_mut_ptr(),
            message.as_mut_ptr(),
            message.len(),
            &mut length,
        )
    };
    if status == 0 {
        return None;
    }
    if status < 0 {
        return Some(SyntaxError {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            message: "the script could not be checked: not enough memory".to_owned(),
        });
    }
    message.truncate(length.min(MESSAGE_CAPACITY));
    let mut message = String::from_utf8_lossy(&message).into_owned();
    if length > MESSAGE_CAPACITY {
        message.push_str(&format!(" [message truncated: {length} bytes]"));
    }
    let [line, column, end_line, end_column] = location;
    Some(SyntaxError {
        line: line + 1,
        column: char_column(source, line, column),
        end_line: end_line + 1,
        end_column: char_column(source, end_line, end_column),
        message,
    })
}

/// The 1-based column, in characters, of Luau's 0-based line and byte column.
fn char_column(source: &str, line: u32, byte_column: u32) -> u32 {
    let text = source.split('\n').nth(line as usize).unwrap_or("");
    let mut end = (byte_column as usize).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let characters = text[..end].chars().count();
    u32::try_from(characters)
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(line: u32, column: u32, end_line: u32, end_column: u32, message: &str) -> SyntaxError {
        SyntaxError {
            line,
            column,
            end_line,
            end_column,
            message: message.to_owned(),
        }
    }

    #[test]
    fn a_script_that_compiles_has_no_error() {
        assert_eq!(check_syntax("local x = 1\nreturn x + 1\n"), None);
        assert_eq!(check_syntax(""), None);
    }

    #[test]
    fn parse_errors_carry_line_and_column() {
        assert_eq!(
            check_syntax("local a = 1\nlocal b = = 2\n"),
            Some(error(
                2,
                11,
                2,
                12,
                "Expected identifier when parsing expression, got '='"
            ))
        );
        assert_eq!(
            check_syntax("if true then\n  print(1)\n"),
            Some(error(
                3,
                1,
                3,
                1,
                "Expected 'end' (to close 'then' at line 1), got <eof>"
            ))
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let found = check_syntax("local s = \"äöü\" )").expect("an error");
        assert_eq!((found.line, found.column), (1, 17));
    }

    #[test]
    fn compile_errors_are_found_too() {
        let found = check_syntax("while true do end\nbreak\n").expect("an error");
        assert_eq!((found.line, found.column), (2, 1));
        assert_eq!(found.message, "break statement must be inside a loop");
    }
}
