//! Safe markdown: model replies are untrusted text, rendered to HTML that cannot run code.
//!
//! pulldown-cmark parses; this module rewrites the event stream before HTML is written:
//! raw HTML (block or inline) becomes visible text, links keep only safe destinations
//! (http, https, mailto, or scheme-less), and images become their alt text (no remote
//! loads that could track the reader). Everything else is escaped by pulldown-cmark itself.

use pulldown_cmark::{html, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

const OPTIONS: Options = Options::ENABLE_TABLES.union(Options::ENABLE_STRIKETHROUGH).union(Options::ENABLE_TASKLISTS);

/// Renders untrusted markdown to HTML that is safe to put in `innerHTML`.
pub fn render(markdown: &str) -> String {
    let options = OPTIONS;
    // For each open link: whether we emitted an <a> for it (unsafe ones are dropped).
    let mut open_links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { link_type, dest_url, title, .. }) => {
            // An email autolink (`<a@b.c>`) carries the bare address.
            let dest_url = match link_type {
                LinkType::Email => CowStr::from(format!("mailto:{dest_url}")),
                _ => dest_url,
            };
            let safe = is_safe_url(&dest_url);
            open_links.push(safe);
            safe.then(|| Event::InlineHtml(CowStr::from(anchor_open(&dest_url, &title))))
        }
        Event::End(TagEnd::Link) => {
            open_links.pop().unwrap_or(false).then_some(Event::InlineHtml(CowStr::Borrowed("</a>")))
        }
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The words of a reply without its markup, as a screen reader should hear them: raw HTML as
/// the text it is shown as, blocks and table cells apart, runs of white space as one space.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, OPTIONS) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule | Event::End(_) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn anchor_open(href: &str, title: &str) -> String {
    let mut a = format!("<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer nofollow\"", escape_attr(href));
    if !title.is_empty() {
        a.push_str(&format!(" title=\"{}\"", escape_attr(title)));
    }
    a.push('>');
    a
}

/// Text for a quoted attribute value, by the escaper pulldown-cmark renders with (`&`, `<`, `>`,
/// `"` and `'` escaped).
fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

/// http(s), mailto, and relative or fragment URLs pass; any other scheme (`javascript:`,
/// `data:`, `vbscript:`, `file:` …) is refused. Browsers ignore ASCII whitespace and control
/// characters inside a scheme (`java\tscript:`), so those are removed before looking.
pub fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url.chars().filter(|c| !c.is_ascii_whitespace() && !c.is_control()).collect();
    let lower = cleaned.to_ascii_lowercase();
    match lower.find(':') {
        None => true,
        Some(colon) => {
            let before = &lower[..colon];
            if before.contains(['/', '?', '#']) {
                return true; // the colon is in a path or query, not a scheme
            }
            matches!(before, "http" | "https" | "mailto")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_the_words_only() {
        assert_eq!(
            plain_text("# Hi\n\n**bold** and `code`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| c | d |"),
            "Hi bold and code one two a b c d"
        );
        assert_eq!(plain_text("line\nnext  <img src=x> [link](https://e.org)"), "line next <img src=x> link");
        assert_eq!(plain_text(""), "");
    }

    #[test]
    fn ordinary_markdown() {
        let html = render("**bold** and *it*\n\n- one\n- two\n\n`code`");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<li>one</li>"));
        assert!(html.contains("<code>code</code>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> there");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }

    #[test]
    fn unsafe_links_lose_their_anchor_but_keep_their_text() {
        for href in
            ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "vbscript:x"]
        {
            let html = render(&format!("[click me](<{href}>)"));
            assert!(!html.contains("<a"), "{href}: {html}");
            assert!(html.contains("click me"));
        }
        let autolink = render("<javascript:alert(1)>");
        assert!(!autolink.contains("<a"), "{autolink}");
    }

    #[test]
    fn attribute_values_are_escaped() {
        assert_eq!(escape_attr("<a href=\"x\">'&'</a> é"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; é");
    }

    #[test]
    fn safe_links_open_in_a_new_tab_without_opener() {
        let html = render("[site](https://example.org/a?b=1&c=\"2\" \"t\\\"q\")");
        assert!(html.contains(
            "<a href=\"https://example.org/a?b=1&amp;c=&quot;2&quot;\" target=\"_blank\" rel=\"noopener noreferrer nofollow\" title=\"t&quot;q\">site</a>"
        ), "{html}");
        assert!(render("[x](/relative#frag)").contains("href=\"/relative#frag\""));
        assert!(render("[x](mailto:a@b.c)").contains("href=\"mailto:a@b.c\""));
        assert!(render("<a@b.c>").contains("href=\"mailto:a@b.c\""));
    }

    #[test]
    fn images_become_alt_text() {
        let html = render("![a tracking pixel](https://evil.example/p.png)");
        assert!(!html.contains("<img"));
        assert!(html.contains("a tracking pixel"));
    }

    #[test]
    fn nested_unsafe_link_inside_safe_text_is_balanced() {
        let html = render("[a](https://ok.example) [b](javascript:x) [c](https://ok.example)");
        assert_eq!(html.matches("<a ").count(), 2);
        assert_eq!(html.matches("</a>").count(), 2);
    }
}
