use std::collections::HashSet;

use super::*;

/// Every ISO 3166-1 alpha-2 code in use (249), to check the table's codes against.
const ISO_3166_ALPHA2: &str = "\
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS \
    BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE \
    EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM \
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC \
    LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA \
    NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO \
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

fn table() -> &'static Directory {
    directory().expect("the shipped table parses")
}

/// A number as people dial it: digits, spaces, '+' and '-' only, with at least three digits.
fn looks_like_phone_number(number: &str) -> bool {
    let allowed = number.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '+' || c == '-');
    allowed && number.chars().filter(char::is_ascii_digit).count() >= 3 && number.trim() == number
}

fn is_web_address(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| rest.split('/').next().is_some_and(|host| host.contains('.') && !host.contains(' ')))
}

#[test]
fn the_shipped_table_covers_the_required_countries_and_was_checked_on_a_known_day() {
    let table = table();
    assert_eq!(table.checked, "2026-11-26");
    let codes: HashSet<&str> = table.countries.iter().map(|c| c.code.as_str()).collect();
    for required in ["US", "CA", "GB", "IE", "AU", "NZ", "IN", "DE", "FR", "ES", "NL", "ZA"] {
        assert!(codes.contains(required), "{required} is missing");
    }
}

#[test]
fn country_codes_are_unique_valid_iso_codes() {
    let iso: HashSet<&str> = ISO_3166_ALPHA2.split_whitespace().collect();
    assert_eq!(iso.len(), 249);
    let mut seen = HashSet::new();
    for country in &table().countries {
        assert!(iso.contains(country.code.as_str()), "{} is not an ISO 3166-1 alpha-2 code", country.code);
        assert!(seen.insert(country.code.as_str()), "{} appears twice", country.code);
        assert!(!country.name.trim().is_empty());
    }
}

#[test]
fn every_entry_has_a_source_and_every_address_is_a_web_address() {
    let table = table();
    assert!(!table.fallback.sources.is_empty() && table.fallback.url.starts_with("https://"));
    assert!(table.fallback.sources.iter().all(|s| is_web_address(s)));
    for country in &table.countries {
        assert!(!country.emergency_sources.is_empty(), "{}: emergency numbers without a source", country.code);
        assert!(country.emergency_sources.iter().all(|s| is_web_address(s)), "{}", country.code);
        assert!(!country.lines.is_empty(), "{} has no lines", country.code);
        for line in &country.lines {
            assert!(!line.sources.is_empty(), "{} / {}: no source", country.code, line.name);
            assert!(line.sources.iter().all(|s| is_web_address(s)), "{} / {}: bad source", country.code, line.name);
            for url in line.url.iter().chain(&line.chat_url) {
                assert!(url.starts_with("https://") && is_web_address(url), "{} / {}: {url}", country.code, line.name);
            }
        }
    }
}

#[test]
fn every_number_looks_like_a_phone_number_and_every_line_can_be_reached() {
    for country in &table().countries {
        assert!(!country.emergency.is_empty(), "{} has no emergency number", country.code);
        for number in &country.emergency {
            assert!(looks_like_phone_number(number), "{}: emergency {number:?}", country.code);
        }
        for line in &country.lines {
            let numbers = line.call.iter().chain(&line.text).chain(&line.whatsapp);
            for number in numbers {
                assert!(looks_like_phone_number(number), "{} / {}: {number:?}", country.code, line.name);
            }
            let reachable = !line.call.is_empty() || line.text.is_some() || line.whatsapp.is_some();
            assert!(reachable || line.chat_url.is_some(), "{} / {} cannot be reached", country.code, line.name);
            // Telling someone how to text without the number (or the reverse) would be half an answer.
            if let Some(how) = &line.text_how {
                let number = line.text.as_deref().expect("text_how without a text number");
                assert!(how.contains(number), "{} / {}: {how:?} does not say {number}", country.code, line.name);
            }
        }
    }
}

#[test]
fn the_phone_number_check_refuses_what_is_not_a_number() {
    assert!(looks_like_phone_number("1-800-668-6868") && looks_like_phone_number("+44 116 123"));
    assert!(!looks_like_phone_number("HELP") && !looks_like_phone_number("98") && !looks_like_phone_number("116 123 "));
    assert!(!looks_like_phone_number("0800 TAUTOKO"));
}

#[test]
fn lines_are_found_by_region_in_any_case_and_uk_means_gb() {
    assert_eq!(lines_for("GB").map(|c| c.name.as_str()), Some("United Kingdom"));
    assert_eq!(lines_for("uk").map(|c| c.code.as_str()), Some("GB"));
    assert_eq!(lines_for(" us ").map(|c| c.code.as_str()), Some("US"));
    assert!(lines_for("XX").is_none() && lines_for("").is_none() && lines_for("USA").is_none());
    let us = lines_for("US").unwrap();
    assert_eq!(us.emergency[0], "911");
    assert_eq!(us.lines[0].call, ["988"]);
}

#[test]
fn help_falls_back_to_the_directory_for_countries_not_in_the_table() {
    let table = table();
    assert!(matches!(table.help_for(Some("ie")), Help::Country(c) if c.code == "IE"));
    assert_eq!(table.help_for(Some("JP")), Help::Elsewhere(&table.fallback));
    assert_eq!(table.help_for(None), Help::Elsewhere(&table.fallback));
    assert_eq!(fallback().map(|f| f.url.as_str()), Some("https://findahelpline.com"));
}

#[test]
fn region_comes_from_the_locale_region_subtag() {
    let cases = [
        ("en-GB", Some("GB")),
        ("fr-CA", Some("CA")),
        ("en_us", Some("US")),
        ("en_US.UTF-8", Some("US")),
        ("de-AT", Some("AT")),
        ("zh-Hant-TW", Some("TW")),
        ("sr-Latn-RS", Some("RS")),
        ("en-UK", Some("GB")),
        ("es-419", None),
        ("de", None),
        ("en", None),
        ("fr", None),
        ("nl", None),
        ("ja", Some("JP")),
        ("hi", Some("IN")),
        ("en-x-private", None),
        ("en-u-ca-gregory", None),
        ("", None),
        ("  ", None),
    ];
    for (locale, expected) in cases {
        assert_eq!(region_from_locale(locale).as_deref(), expected, "{locale:?}");
    }
}

#[test]
fn a_malformed_table_is_an_error_that_says_where() {
    let err = parse("{\n  \"checked\": 1\n}").unwrap_err();
    assert!(matches!(err, LinesError::Malformed { line: 2, .. }), "{err:?}");
    // A misspelt field is refused rather than silently dropped.
    let shipped: serde_json::Value = serde_json::from_str(TABLE_JSON).unwrap();
    let mut misspelt = shipped.clone();
    misspelt["countries"][0]["lines"][0]["phone"] = serde_json::json!("988");
    assert!(parse(&misspelt.to_string()).is_err());
    assert!(parse(&shipped.to_string()).is_ok());
}
