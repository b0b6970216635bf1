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

/// An error with its causes, `outer: inner: innermost`, each cause once (libraries often
/// repeat their source's text in their own).
pub fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !chain.contains(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        source = s.source();
    }
    chain
}

/// Text escaped for HTML element content and quoted attribute values.
pub struct Html<'a>(pub &'a str);

impl std::fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut start = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            f.write_str(rep)?;
            start = i + c.len_utf8();
        }
        f.write_str(&self.0[start..])
    }
}

/// `s`, escaped for HTML.
pub fn html(s: &str) -> Html<'_> {
    Html(s)
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
