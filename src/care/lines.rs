//! The crisis-line table: emergency numbers and help lines by country, kept as data in
//! `data/crisis-lines.json` (each entry's public source is recorded there and in
//! `docs/crisis-lines.md`), compiled into the app and parsed on first use.

use std::sync::OnceLock;

use serde::Deserialize;

/// The table as shipped: the JSON file, compiled in so help needs no network.
const TABLE_JSON: &str = include_str!("../../data/crisis-lines.json");

/// The whole table: when it was checked, the lines per country and where to look elsewhere.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    /// The day every entry was last checked against its source (YYYY-MM-DD).
    pub checked: String,
    pub fallback: Fallback,
    pub countries: Vec<CountryLines>,
}

/// A directory of helplines for countries the table does not cover.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    pub name: String,
    pub url: String,
    pub note: String,
    pub sources: Vec<String>,
}

/// One country's emergency numbers and help lines.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountryLines {
    /// ISO 3166-1 alpha-2, upper case.
    pub code: String,
    pub name: String,
    /// Emergency numbers, the one to show first first.
    pub emergency: Vec<String>,
    #[serde(default)]
    pub emergency_note: Option<String>,
    pub emergency_sources: Vec<String>,
    pub lines: Vec<Line>,
}

/// One help line. Every way to reach it is optional, but a line has at least one.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub name: String,
    /// Numbers to call, as people write them locally.
    #[serde(default)]
    pub call: Vec<String>,
    /// How to reach the line when dialling the number is not all (e.g. "Dial 988, then press 1").
    #[serde(default)]
    pub call_how: Option<String>,
    /// The number to text (SMS).
    #[serde(default)]
    pub text: Option<String>,
    /// How to start a text conversation (e.g. "Text HOME to 741741").
    #[serde(default)]
    pub text_how: Option<String>,
    #[serde(default)]
    pub whatsapp: Option<String>,
    #[serde(default)]
    pub chat_url: Option<String>,
    /// Opening hours where known, e.g. "24/7".
    #[serde(default)]
    pub hours: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Whom the line is for, when it is not for everyone.
    #[serde(default)]
    pub for_whom: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// Public pages that confirmed the numbers, hours and how to text.
    pub sources: Vec<String>,
}

/// What to show a person from a region: their country's lines, or the directory for elsewhere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Help<'a> {
    Country(&'a CountryLines),
    Elsewhere(&'a Fallback),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinesError {
    #[error("the crisis-line table does not parse (line {line}, column {column})")]
    Malformed { line: usize, column: usize },
}

impl Directory {
    /// The lines of a region given as an ISO 3166-1 alpha-2 code (any case; "UK" means GB).
    pub fn lines_for(&self, region: &str) -> Option<&CountryLines> {
        let code = canonical_region(region)?;
        self.countries.iter().find(|country| country.code == code)
    }

    /// The region's lines when the table has them, otherwise the directory for elsewhere.
    pub fn help_for(&self, region: Option<&str>) -> Help<'_> {
        match region.and_then(|region| self.lines_for(region)) {
            Some(country) => Help::Country(country),
            None => Help::Elsewhere(&self.fallback),
        }
    }
}

/// Parses a table in the shipped format.
pub fn parse(json: &str) -> Result<Directory, LinesError> {
    serde_json::from_str(json).map_err(|e| LinesError::Malformed { line: e.line(), column: e.column() })
}

/// The shipped table, parsed once on first use.
pub fn directory() -> Result<&'static Directory, LinesError> {
    static DIRECTORY: OnceLock<Result<Directory, LinesError>> = OnceLock::new();
    DIRECTORY.get_or_init(|| parse(TABLE_JSON)).as_ref().map_err(|e| *e)
}

/// The shipped lines of a region (see [`Directory::lines_for`]); `None` when the table has no
/// such country, in which case show [`fallback`].
pub fn lines_for(region: &str) -> Option<&'static CountryLines> {
    directory().ok()?.lines_for(region)
}

/// The shipped directory for countries the table does not cover.
pub fn fallback() -> Option<&'static Fallback> {
    directory().ok().map(|directory| &directory.fallback)
}

/// The country a browser locale names, as an upper-case ISO 3166-1 alpha-2 code.
///
/// The rule: a BCP 47 tag (`en-GB`, `fr_CA`, `zh-Hant-TW`, POSIX `en_US.UTF-8`) gives its region
/// subtag — the first two-letter subtag after the language, before any extension. A numeric area
/// (`es-419`, Latin America) is not one country: `None`. A bare language gives a country only
/// when that language is the national language of one country alone (`ja` → JP, `hi` → IN);
/// languages spoken as a national language in several countries (`de`, `en`, `fr`, `es`, `nl`,
/// `pt` …) give `None`, because a wrong country's number is worse than asking.
pub fn region_from_locale(locale: &str) -> Option<String> {
    let tag = locale.trim().split(['.', '@']).next()?;
    let mut subtags = tag.split(['-', '_']);
    let language = subtags.next()?.to_ascii_lowercase();
    for subtag in subtags {
        let letters = subtag.chars().all(|c| c.is_ascii_alphabetic());
        let digits = subtag.chars().all(|c| c.is_ascii_digit());
        match subtag.len() {
            // A singleton starts an extension or private use: no region follows.
            1 => break,
            2 if letters => return canonical_region(subtag),
            3 if digits => return None,
            // Extended language (3 letters), script (4) or variant (5–8): keep looking.
            _ => continue,
        }
    }
    SINGLE_COUNTRY_LANGUAGES.iter().find(|(lang, _)| *lang == language).map(|(_, code)| (*code).to_owned())
}

/// Languages that are the national language of one country only.
const SINGLE_COUNTRY_LANGUAGES: &[(&str, &str)] = &[
    ("cs", "CZ"),
    ("da", "DK"),
    ("et", "EE"),
    ("fi", "FI"),
    ("he", "IL"),
    ("hi", "IN"),
    ("hu", "HU"),
    ("id", "ID"),
    ("is", "IS"),
    ("ja", "JP"),
    ("lt", "LT"),
    ("lv", "LV"),
    ("nb", "NO"),
    ("nn", "NO"),
    ("no", "NO"),
    ("pl", "PL"),
    ("th", "TH"),
    ("uk", "UA"),
    ("vi", "VN"),
];

/// Two ASCII letters, upper-cased; "UK" (common, but not the ISO code) becomes GB.
fn canonical_region(region: &str) -> Option<String> {
    let region = region.trim();
    if region.len() != 2 || !region.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let code = region.to_ascii_uppercase();
    Some(if code == "UK" { "GB".to_owned() } else { code })
}

#[cfg(test)]
mod tests;
