//! The Markdown edition: paragraphs with their amendments and trace links, and the
//! document around them.

use super::document::{Doc, Header};
use super::paragraph::{split_content, Content, Paragraph};
use std::fmt::Write as _;

impl Paragraph<'_> {
    pub(super) fn render_md(&self, s: &mut String) {
        let (prose, fields) = split_content(self.content);
        // The common path pushes strings directly: this runs once per entry.
        s.push_str("<a id=\"e-");
        s.push_str(self.entry);
        s.push_str("\"></a>\n");
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(s, "<a id=\"e-{id}\"></a><a id=\"e-{}\"></a>", sup.id);
        }
        s.push_str("**");
        md_push(s, self.kind);
        s.push_str("** · ");
        s.push_str(self.ts);
        s.push_str(" · ");
        md_push(s, self.source);
        s.push_str("\n\n");
        if let Some(p) = &prose {
            md_push(s, p);
            s.push_str("\n\n");
        }
        for (k, v) in &fields {
            s.push_str("- ");
            md_push(s, k);
            s.push_str(": ");
            md_push(s, v);
            s.push('\n');
        }
        if !fields.is_empty() {
            s.push('\n');
        }
        for x in &self.corrections {
            let _ = writeln!(
                s,
                "<a id=\"e-{}\"></a>*Corrected* by [{}](#e-{}): {}\n",
                x.id,
                x.id,
                x.id,
                md_escape(&x.a.reason)
            );
        }
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(
                s,
                "*Supersedes* [{id}](#e-{id}) by [{}](#e-{}): {}\n",
                sup.id,
                sup.id,
                md_escape(&sup.a.reason)
            );
        }
        for x in &self.clarifications {
            let _ = write!(
                s,
                "> <a id=\"e-{}\"></a>**Clarification** ([{}](#e-{})): {}",
                x.id,
                x.id,
                x.id,
                md_escape(&x.a.reason)
            );
            if let Some(c) = &x.content {
                let (text, fields) = split_content(Content::Object(c));
                if let Some(t) = text {
                    let _ = write!(s, " — {}", md_escape(&t));
                }
                for (k, v) in fields {
                    let _ = write!(s, "; {}: {}", md_escape(&k), md_escape(&v));
                }
            }
            s.push_str("\n\n");
        }
        if let Some(x) = &self.withdrawal {
            let _ = writeln!(
                s,
                "<a id=\"e-{}\"></a>*Withdrawn* by [{}](#e-{}): {}\n",
                x.id,
                x.id,
                x.id,
                md_escape(&x.a.reason)
            );
        }
        for r in &self.orders {
            let _ = writeln!(
                s,
                "*{}* by [{}](#e-{}) in {} [{}](#e-{}): {}\n",
                r.labels.verb,
                r.id,
                r.id,
                r.labels.about,
                r.note.about,
                r.note.about,
                md_escape(&r.note.title)
            );
        }
        s.push_str("<sub>Trace p-");
        s.push_str(self.first_entry());
        s.push_str(": ");
        let link = |s: &mut String, id: &str| {
            s.push('[');
            s.push_str(id);
            s.push_str("](#e-");
            s.push_str(id);
            s.push(')');
        };
        if self.plain() {
            link(s, self.entry);
        } else {
            for (i, id) in self.trace_ids().into_iter().enumerate() {
                if i > 0 {
                    s.push_str(" · ");
                }
                link(s, id);
            }
        }
        s.push_str(" · leaf `");
        s.push_str(self.leaf.as_str());
        s.push_str("`</sub>\n\n");
    }
}

pub(super) struct Md<'a>(&'a str);

impl std::fmt::Display for Md<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut start = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '\\' => "\\\\",
                '`' => "\\`",
                '*' => "\\*",
                '_' => "\\_",
                '[' => "\\[",
                ']' => "\\]",
                '<' => "\\<",
                '>' => "\\>",
                '#' => "\\#",
                '|' => "\\|",
                '&' => "&amp;",
                '\n' => "  \n",
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            f.write_str(rep)?;
            start = i + c.len_utf8();
        }
        f.write_str(&self.0[start..])
    }
}

/// Appends Markdown-escaped text.
pub(super) fn md_push(out: &mut String, text: &str) {
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        let chars = b"\\`*_[]<>#|&\n";
        while i < chars.len() {
            t[chars[i] as usize] = true;
            i += 1;
        }
        t
    };
    if text.bytes().any(|b| SPECIAL[b as usize]) {
        let _ = write!(out, "{}", Md(text));
    } else {
        out.push_str(text);
    }
}

pub(super) fn md_escape(s: &str) -> Md<'_> {
    Md(s)
}

/// The whole Markdown document.
pub(super) fn write_document(doc: &Doc, hd: &Header, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let order = doc.ordered();
    let anchors = doc.anchors(&order);
    if let Some(p) = &hd.problem {
        writeln!(out, "**UNVERIFIED EDITION**: {}\n", md_escape(p))?;
    }
    writeln!(out, "# Reader Edition: {}\n", md_escape(&hd.origin))?;
    writeln!(out, "{}\n", md_escape(&Doc::status_line(hd)))?;
    let keys: Vec<String> = hd.keys.iter().map(|k| format!("`{k}`")).collect();
    writeln!(out, "As of {}. Signing keys: {}.", hd.as_of, keys.join(", "))?;
    if !hd.kinds.is_empty() {
        writeln!(out, "Kinds shown: {}.", hd.kinds.join(", "))?;
    }
    writeln!(out)?;
    for (i, anchor) in order.iter().zip(&anchors) {
        writeln!(out, "<a id=\"{anchor}\"></a>\n## {}\n", md_escape(&doc.title(*i)))?;
        doc.write_section(*i, out)?;
    }
    if doc.has_withdrawn() {
        out.write_all(b"<a id=\"s-withdrawn\"></a>\n## Withdrawn\n\n")?;
        doc.write_withdrawn(out)?;
    }
    for labels in &doc.views {
        let mut notes = doc
            .orders
            .iter()
            .filter(|o| std::ptr::eq(o.labels, *labels))
            .peekable();
        if notes.peek().is_none() {
            continue;
        }
        writeln!(
            out,
            "<a id=\"s-{}\"></a>\n## {}\n",
            labels.plural.to_lowercase(),
            md_escape(labels.plural)
        )?;
        for o in notes {
            writeln!(
                out,
                "<a id=\"e-{}\"></a><a id=\"e-{}\"></a>**{}** {} on {} {}: {}. {}\n",
                o.id,
                o.note.about,
                labels.label,
                o.id,
                labels.about,
                o.note.about,
                md_escape(&o.note.title),
                md_escape(&o.note.detail)
            )?;
        }
    }
    Ok(())
}
