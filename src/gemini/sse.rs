//! Incremental decoder for Gemini's `alt=sse` stream (framing rules in `docs/gemini-api.md`).
//!
//! Bytes arrive in arbitrary chunks: a chunk may end inside a line or inside a multi-byte
//! character. Lines are cut on CR, LF or CRLF only (never on Unicode line separators); since
//! those are ASCII bytes, cutting the byte stream first and decoding each whole line is safe.
//! Besides `data:` events, the real API writes a mid-stream failure as a bare, pretty-printed
//! JSON error object; such lines are gathered until they parse as one JSON value.

/// One thing the stream said.
#[derive(Clone, Debug, PartialEq)]
pub enum SseItem {
    /// The payload of a `data:` event (several `data:` lines joined with `\n`).
    Data(String),
    /// A bare JSON value written outside any event (how Gemini reports errors mid-stream).
    RawJson(String),
}

#[derive(Debug, Default)]
pub struct SseDecoder {
    pending_bytes: Vec<u8>,
    /// The previous chunk ended on CR: a LF at the start of the next one belongs to it.
    after_cr: bool,
    data_lines: Vec<String>,
    raw: String,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk of the body; returns the items it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseItem> {
        let mut items = Vec::new();
        if chunk.is_empty() {
            return items; // keeps a pending CR waiting for its LF
        }
        let mut start = 0;
        let mut i = 0;
        if self.after_cr && chunk.first() == Some(&b'\n') {
            start = 1;
            i = 1;
        }
        self.after_cr = false;
        while i < chunk.len() {
            let b = chunk[i];
            if b == b'\n' || b == b'\r' {
                self.pending_bytes.extend_from_slice(&chunk[start..i]);
                let line = std::mem::take(&mut self.pending_bytes);
                self.line(&String::from_utf8_lossy(&line), &mut items);
                if b == b'\r' {
                    if chunk.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    } else if i + 1 == chunk.len() {
                        self.after_cr = true;
                    }
                }
                start = i + 1;
            }
            i += 1;
        }
        self.pending_bytes.extend_from_slice(&chunk[start..]);
        items
    }

    /// Ends the stream: flushes an event that lacked its closing blank line (leniently), and
    /// returns any text that never formed an item (a sign the body was cut).
    pub fn finish(&mut self) -> (Vec<SseItem>, Option<String>) {
        let mut items = Vec::new();
        if !self.pending_bytes.is_empty() {
            let line = std::mem::take(&mut self.pending_bytes);
            self.line(&String::from_utf8_lossy(&line), &mut items);
        }
        self.dispatch(&mut items);
        let leftover = std::mem::take(&mut self.raw);
        let leftover = (!leftover.trim().is_empty()).then_some(leftover);
        (items, leftover)
    }

    fn line(&mut self, line: &str, items: &mut Vec<SseItem>) {
        if line.is_empty() {
            self.dispatch(items);
        } else if let Some(value) = line.strip_prefix("data:") {
            self.data_lines.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
        } else if line.starts_with(':') || ["event:", "id:", "retry:"].iter().any(|f| line.starts_with(f)) {
            // Comments and fields Gemini never sends; ignored as WHATWG SSE says.
        } else {
            self.raw.push_str(line);
            self.raw.push('\n');
            if serde_json::from_str::<serde_json::Value>(&self.raw).is_ok() {
                items.push(SseItem::RawJson(std::mem::take(&mut self.raw)));
            }
        }
    }

    fn dispatch(&mut self, items: &mut Vec<SseItem>) {
        if !self.data_lines.is_empty() {
            items.push(SseItem::Data(self.data_lines.join("\n")));
            self.data_lines.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(chunks: &[&[u8]]) -> (Vec<SseItem>, Option<String>) {
        let mut d = SseDecoder::new();
        let mut items: Vec<SseItem> = chunks.iter().flat_map(|c| d.feed(c)).collect();
        let (tail, leftover) = d.finish();
        items.extend(tail);
        (items, leftover)
    }

    #[test]
    fn crlf_framed_events_as_the_api_sends_them() {
        let body = b"data: {\"a\": 1}\r\n\r\ndata: {\"a\": 2}\r\n\r\n";
        let (items, leftover) = feed_all(&[body]);
        assert_eq!(items, vec![SseItem::Data("{\"a\": 1}".into()), SseItem::Data("{\"a\": 2}".into())]);
        assert_eq!(leftover, None);
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let body = "data: {\"t\": \"héllo – 😀\"}\r\n\r\ndata:{\"t\": 2}\n\ndata: x\rdata: y\r\r".as_bytes();
        let (expected, _) = feed_all(&[body]);
        assert_eq!(
            expected,
            vec![
                SseItem::Data("{\"t\": \"héllo – 😀\"}".into()),
                SseItem::Data("{\"t\": 2}".into()),
                SseItem::Data("x\ny".into()),
            ]
        );
        for cut in 0..body.len() {
            for cut2 in cut..body.len() {
                let (items, _) = feed_all(&[&body[..cut], b"", &body[cut..cut2], b"", &body[cut2..]]);
                assert_eq!(items, expected, "cut at {cut}/{cut2}");
            }
        }
    }

    #[test]
    fn unicode_line_separator_does_not_split_an_event() {
        let body = "data: {\"t\": \"a\u{2028}b\"}\r\n\r\n".as_bytes();
        let (items, _) = feed_all(&[body]);
        assert_eq!(items, vec![SseItem::Data("{\"t\": \"a\u{2028}b\"}".into())]);
    }

    #[test]
    fn bare_pretty_error_object_mid_stream() {
        let body =
            b"data: {\"x\": 1}\r\n\r\n{\n  \"error\": {\n    \"code\": 503,\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n";
        let (items, leftover) = feed_all(&[&body[..25], &body[25..]]);
        assert_eq!(items.len(), 2);
        match &items[1] {
            SseItem::RawJson(raw) => assert!(raw.contains("UNAVAILABLE")),
            other => panic!("expected raw json, got {other:?}"),
        }
        assert_eq!(leftover, None);
    }

    #[test]
    fn unterminated_last_event_is_flushed_and_garbage_reported() {
        let (items, leftover) = feed_all(&[b"data: {\"a\": 1}"]);
        assert_eq!(items, vec![SseItem::Data("{\"a\": 1}".into())]);
        assert_eq!(leftover, None);
        let (_, leftover) = feed_all(&[b"{\n  \"error\": {"]);
        assert!(leftover.is_some());
    }

    #[test]
    fn comments_and_other_fields_are_ignored() {
        let (items, _) = feed_all(&[b": keep-alive\nevent: x\nid: 3\nretry: 10\ndata: 1\n\n"]);
        assert_eq!(items, vec![SseItem::Data("1".into())]);
    }
}
