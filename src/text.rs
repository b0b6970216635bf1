//! Text from outside (entries, files, peers, arguments) quoted inside a message. The
//! message keeps the text's own characters: the CLI escapes control characters when it
//! prints for a terminal, and `--json` encodes them as JSON does. Rust's `{:?}` would
//! write its own escapes (`\u{1b}`) into every message, JSON included.

use std::fmt;

/// `text` between double quotes, with `"` and `\` escaped and nothing else changed.
pub fn quoted(text: &str) -> Quoted<'_> {
    Quoted(text)
}

pub struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quoting_escapes_quotes_and_backslashes_and_keeps_every_other_character() {
        assert_eq!(quoted("plain").to_string(), "\"plain\"");
        assert_eq!(quoted("a\"b\\c").to_string(), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted("\u{1b}[31m\n").to_string(), "\"\u{1b}[31m\n\"");
    }
}
