//! The HTML edition: one self-contained page, paragraphs as articles with their
//! amendments and trace links.

use super::document::{Doc, Header};
use super::paragraph::{split_content, Content, Paragraph};
use std::fmt::Write as _;

impl Paragraph<'_> {
    pub(super) fn render_html(&self, s: &mut String) {
        let (prose, fields) = split_content(self.content);
        let _ = write!(
            s,
            "<article id=\"p-{}\"><a id=\"e-{}\"></a>",
            self.first_entry(),
            self.entry
        );
        for (id, _, sup) in &self.supersedes {
            let _ = write!(s, "<a id=\"e-{id}\"></a><a id=\"e-{}\"></a>", sup.id);
        }
        let _ = writeln!(
            s,
            "<p class=\"meta\">{} · {} · {}</p>",
            h(self.kind),
            h(self.ts),
            h(self.source)
        );
        if let Some(p) = &prose {
            let _ = writeln!(s, "<p>{}</p>", h(p));
        }
        if !fields.is_empty() {
            s.push_str("<dl>");
            for (k, v) in &fields {
                let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", h(k), h(v));
            }
            s.push_str("</dl>\n");
        }
        let link = |id: &str| format!("<a href=\"#e-{id}\">{id}</a>");
        for x in &self.corrections {
            let _ = writeln!(
                s,
                "<p class=\"amend\" id=\"e-{}\"><em>Corrected</em> by {}: {}</p>",
                x.id,
                link(&x.id),
                h(&x.a.reason)
            );
        }
        for (id, _, sup) in &self.supersedes {
            let _ = writeln!(
                s,
                "<p class=\"amend\" id=\"e-{}\"><em>Supersedes</em> {} by {}: {}</p>",
                sup.id,
                link(id),
                link(&sup.id),
                h(&sup.a.reason)
            );
        }
        for x in &self.clarifications {
            let _ = write!(
                s,
                "<blockquote id=\"e-{}\"><strong>Clarification</strong> ({}): {}",
                x.id,
                link(&x.id),
                h(&x.a.reason)
            );
            if let Some(c) = &x.content {
                let (text, fields) = split_content(Content::Object(c));
                if let Some(t) = text {
                    let _ = write!(s, " — {}", h(&t));
                }
                for (k, v) in fields {
                    let _ = write!(s, "; {}: {}", h(&k), h(&v));
                }
            }
            s.push_str("</blockquote>\n");
        }
        if let Some(x) = &self.withdrawal {
            let _ = writeln!(
                s,
                "<p class=\"amend\" id=\"e-{}\"><em>Withdrawn</em> by {}: {}</p>",
                x.id,
                link(&x.id),
                h(&x.a.reason)
            );
        }
        for r in &self.orders {
            let _ = writeln!(
                s,
                "<p class=\"amend\"><em>{}</em> by {} in {} {}: {}</p>",
                r.labels.verb,
                link(&r.id),
                r.labels.about,
                link(&r.note.about),
                h(&r.note.title)
            );
        }
        let links: Vec<String> = self.trace().iter().map(|id| link(id)).collect();
        let _ = writeln!(
            s,
            "<p class=\"trace\">Trace p-{}: {} · leaf <code>{}</code></p></article>",
            self.first_entry(),
            links.join(" · "),
            self.leaf.as_str()
        );
    }
}

use crate::text::html as h;

/// The whole HTML document.
pub(super) fn write_document(doc: &Doc, hd: &Header, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let order = doc.ordered();
    let anchors = doc.anchors(&order);
    let has_withdrawn = doc.has_withdrawn();
    if let Some(p) = &hd.problem {
        writeln!(
            out,
            "<!-- UNVERIFIED EDITION: {} -->",
            h(p).to_string().replace("--", "- -")
        )?;
    }
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    )?;
    writeln!(out, "<title>Reader Edition: {}</title>", h(&hd.origin))?;
    out.write_all(
        b"<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}\
article{border-left:3px solid #ddd;padding-left:1rem;margin:1.5rem 0}.meta,.trace{color:#666;font-size:.85rem}\
.amend{font-size:.9rem}blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid #9ab}\
.unverified{background:#fdd;border:1px solid #c00;padding:.5rem}dt{font-weight:600}dd{margin:0 0 .25rem 1rem}\
code{font-size:.8rem;word-break:break-all}</style>\n</head><body>\n",
    )?;
    if let Some(p) = &hd.problem {
        writeln!(
            out,
            "<p class=\"unverified\"><strong>UNVERIFIED EDITION</strong>: {}</p>",
            h(p)
        )?;
    }
    writeln!(out, "<h1>Reader Edition: {}</h1>", h(&hd.origin))?;
    writeln!(out, "<p>{}</p>", h(&Doc::status_line(hd)))?;
    let keys: Vec<String> = hd.keys.iter().map(|k| format!("<code>{}</code>", h(k))).collect();
    writeln!(
        out,
        "<p>As of {}. Signing keys: {}.</p>",
        h(&hd.as_of),
        keys.join(", ")
    )?;
    out.write_all(b"<nav><ul>")?;
    for (i, anchor) in order.iter().zip(&anchors) {
        write!(out, "<li><a href=\"#{anchor}\">{}</a></li>", h(&doc.title(*i)))?;
    }
    if has_withdrawn {
        out.write_all(b"<li><a href=\"#s-withdrawn\">Withdrawn</a></li>")?;
    }
    out.write_all(b"</ul></nav>\n")?;
    for (i, anchor) in order.iter().zip(&anchors) {
        writeln!(out, "<section id=\"{anchor}\"><h2>{}</h2>", h(&doc.title(*i)))?;
        doc.write_section(*i, out)?;
        out.write_all(b"</section>\n")?;
    }
    if has_withdrawn {
        out.write_all(b"<section id=\"s-withdrawn\"><h2>Withdrawn</h2>\n")?;
        doc.write_withdrawn(out)?;
        out.write_all(b"</section>\n")?;
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
            "<section id=\"s-{}\"><h2>{}</h2>",
            labels.plural.to_lowercase(),
            h(labels.plural)
        )?;
        for o in notes {
            writeln!(
                out,
                "<p id=\"e-{}\"><span id=\"e-{}\"></span><strong>{}</strong> {} on {} {}: {}. {}</p>",
                o.id,
                o.note.about,
                labels.label,
                h(&o.id),
                labels.about,
                h(&o.note.about),
                h(&o.note.title),
                h(&o.note.detail)
            )?;
        }
        out.write_all(b"</section>\n")?;
    }
    out.write_all(b"</body></html>\n")?;
    Ok(())
}
