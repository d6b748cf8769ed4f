//! Sessions as files (pure): Markdown to read (the shown branch), JSON to keep and import again
//! (every version). One session, or every session at once ("export everything" in Settings).

use crate::chat::conversation::{link_in_order, Message, Role};
use crate::chat::session::SessionMeta;
use crate::chat::tree::Tree;
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "wellness0.session";
pub const FORMAT_ALL: &str = "wellness0.sessions";
/// Largest file read for import.
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;

/// One session with its messages, as stored and as exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionFile {
    pub session: SessionMeta,
    pub messages: Vec<Message>,
}

/// The file of one session: its fields beside `format` and `version` (spelled out, not
/// `flatten`ed: a flattened struct is read through a second, generic copy of every reader).
#[derive(Serialize, Deserialize)]
struct OneFile {
    format: String,
    version: u32,
    session: SessionMeta,
    messages: Vec<Message>,
}

#[derive(Serialize, Deserialize)]
struct AllFile {
    format: String,
    version: u32,
    sessions: Vec<SessionFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("That file is too large to import (over 50 MB).")]
    TooLarge,
    #[error("That file is not a wellness0 session (export one with “Export as JSON”).")]
    NotASession,
}

pub fn export_json(file: &SessionFile) -> String {
    let doc =
        OneFile { format: FORMAT.into(), version: 1, session: file.session.clone(), messages: file.messages.clone() };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

pub fn export_all_json(files: Vec<SessionFile>) -> String {
    serde_json::to_string(&AllFile { format: FORMAT_ALL.into(), version: 1, sessions: files }).unwrap_or_default()
}

/// The sessions in an exported file (one, or all). Replies that were streaming when it was
/// exported are marked as interrupted, as after a reload.
pub fn parse_import(text: &str) -> Result<Vec<SessionFile>, ImportError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    let one = serde_json::from_str::<OneFile>(text).ok().filter(|f| f.format == FORMAT);
    let all = || serde_json::from_str::<AllFile>(text).ok().filter(|f| f.format == FORMAT_ALL);
    let mut files = match one {
        Some(one) => vec![SessionFile { session: one.session, messages: one.messages }],
        None => all().ok_or(ImportError::NotASession)?.sessions,
    };
    for file in &mut files {
        // A file from before versions: each message follows the one before.
        link_in_order(&mut file.messages);
        file.messages.iter_mut().for_each(Message::settle_interrupted);
    }
    Ok(files)
}

/// A file name for a session: `wellness0-session-<date>-<hhmm>.<ext>`, from when it started. Not
/// its title: the first words of a conversation would sit in the Downloads list for anyone to see.
pub fn file_name(meta: &SessionMeta, ext: &str) -> String {
    let started = utc_time(meta.created_ms);
    let hhmm: String = started.get(11..16).unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
    format!("wellness0-session-{}-{hhmm}.{ext}", &started[..10])
}

/// A session as a Markdown document to read: title, dates, and each message of the branch shown
/// under who said it (the other versions are in the JSON export).
pub fn export_markdown(file: &SessionFile) -> String {
    let meta = &file.session;
    let mut messages = file.messages.clone();
    link_in_order(&mut messages);
    let tree = Tree::new(messages.iter().map(|m| (m.id, m.parent)));
    let shown = tree.shown_path(meta.shown);
    let others = messages.len().saturating_sub(shown.len());
    let mut out = format!("# {}\n\n", meta.shown_title());
    out.push_str(&format!(
        "_wellness0 session, {} – {} (UTC), {} messages{}._\n",
        utc_time(meta.created_ms),
        utc_time(meta.updated_ms),
        shown.len(),
        match others {
            0 => String::new(),
            1 => "; 1 other version is in the JSON export".to_owned(),
            n => format!("; {n} other versions are in the JSON export"),
        }
    ));
    let by_id = |id: &u64| messages.binary_search_by_key(id, |m| m.id).ok().map(|i| &messages[i]);
    for m in shown.iter().filter_map(by_id) {
        let who = match m.role {
            Role::User => "You",
            Role::Model => "wellness0",
        };
        out.push_str(&format!("\n## {who} · {}\n\n{}\n", utc_time(m.created_ms), m.text.trim_end()));
    }
    out
}

/// `2026-11-26 14:05` (UTC) from milliseconds since 1970.
pub fn utc_time(ms: f64) -> String {
    let secs = (ms / 1000.0).floor().max(0.0) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to a civil date (Howard Hinnant's algorithm, proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::conversation::MessageState;
    use crate::gemini::ReplyProblem;

    fn msg(id: u64, role: Role, text: &str, state: MessageState) -> Message {
        Message::new(id, role, text, state, 1_764_165_900_000.0)
    }

    fn file() -> SessionFile {
        let mut meta = SessionMeta::new(9, 1_764_165_900_000.0);
        meta.messages_added(2, Some("Hi, I am a war veteran."), 1_764_166_000_000.0);
        SessionFile {
            session: meta,
            messages: vec![
                msg(1, Role::User, "Hi, I am a war veteran.", MessageState::Done),
                msg(2, Role::Model, "Thank you for telling me. **How** are you?", MessageState::Streaming),
            ],
        }
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc_time(0.0), "1970-01-01 00:00");
        assert_eq!(utc_time(1_764_165_900_000.0), "2025-11-26 14:05");
        assert_eq!(utc_time(951_782_400_000.0), "2000-02-29 00:00");
    }

    #[test]
    fn markdown_reads_as_a_conversation() {
        let md = export_markdown(&file());
        assert!(md.starts_with("# Hi, I am a war veteran.\n\n_wellness0 session, 2025-11-26 14:05 – 2025-11-26 14:06 (UTC), 2 messages._\n"));
        assert!(md.contains("\n## You · 2025-11-26 14:05\n\nHi, I am a war veteran.\n"));
        assert!(md.contains("\n## wellness0 · 2025-11-26 14:05\n\nThank you for telling me. **How** are you?\n"));
        assert_eq!(file_name(&file().session, "md"), "wellness0-session-2025-11-26-1405.md", "no title words");
    }

    #[test]
    fn json_round_trips_and_interrupted_replies_are_marked() {
        let json = export_json(&file());
        assert!(json.contains("\"format\": \"wellness0.session\""));
        let back = parse_import(&json).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].session, file().session);
        assert_eq!(back[0].messages[1].state, MessageState::Failed { problem: ReplyProblem::Interrupted, cut: true });
        let all = export_all_json(vec![file(), file()]);
        assert_eq!(parse_import(&all).unwrap().len(), 2);
    }

    /// `file()` with its reply asked again (3) and, under that, a second turn (4, 5).
    fn with_versions() -> SessionFile {
        use crate::chat::tree::Parent;
        let mut f = file();
        f.messages = vec![
            msg(1, Role::User, "Hi, I am a war veteran.", MessageState::Done).after(Parent::Root),
            msg(2, Role::Model, "First answer.", MessageState::Done).after(Parent::Of(1)),
            msg(3, Role::Model, "Second answer.", MessageState::Done).after(Parent::Of(1)),
            msg(4, Role::User, "Thanks.", MessageState::Done).after(Parent::Of(3)),
            msg(5, Role::Model, "Any time.", MessageState::Done).after(Parent::Of(4)),
        ];
        f
    }

    #[test]
    fn markdown_writes_the_branch_shown_and_json_every_version() {
        let mut f = with_versions();
        let md = export_markdown(&f);
        assert!(md.contains("4 messages; 1 other version is in the JSON export._"), "{md}");
        assert!(md.contains("Second answer.") && md.contains("Any time.") && !md.contains("First answer."), "{md}");
        f.session.shown = Some(2);
        let md = export_markdown(&f);
        assert!(md.contains("2 messages; 3 other versions") && md.contains("First answer.") && !md.contains("Thanks."));
        let back = parse_import(&export_json(&f)).unwrap().remove(0);
        assert_eq!(back.messages, f.messages, "every version, with its parent");
        assert_eq!(back.session.shown, Some(2));
    }

    #[test]
    fn a_file_from_before_versions_reads_as_one_conversation() {
        use crate::chat::tree::Parent;
        // As an earlier version wrote it: no `parent` at all.
        let old = export_json(&file()).replace(r#""parent": "unlinked","#, "");
        assert!(!old.contains("parent"), "{old}");
        let back = parse_import(&old).unwrap().remove(0);
        assert_eq!(back.messages[0].parent, Parent::Root);
        assert_eq!(back.messages[1].parent, Parent::Of(1));
    }

    #[test]
    fn other_files_are_refused() {
        assert_eq!(parse_import("{}"), Err(ImportError::NotASession));
        assert_eq!(
            parse_import(r#"{"format":"wellness0.memories","version":1,"memories":[]}"#),
            Err(ImportError::NotASession)
        );
        assert_eq!(parse_import("not json"), Err(ImportError::NotASession));
        assert_eq!(parse_import(&" ".repeat(MAX_IMPORT_BYTES + 1)), Err(ImportError::TooLarge));
    }
}
