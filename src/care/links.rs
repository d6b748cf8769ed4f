//! Links that start a call, a text or a WhatsApp chat with a help line, from numbers written the
//! way people write them locally in `data/crisis-lines.json` ("116 123", "1-800-668-6868").

/// A `tel:` link: the digits of a local number (a leading `+` kept), dialled as written.
pub fn tel_href(number: &str) -> String {
    format!("tel:{}", dialable(number))
}

/// An `sms:` link to a number (the words to send are shown beside it, e.g. "Text SHOUT to 85258":
/// a body in the link is not read the same way by every phone).
pub fn sms_href(number: &str) -> String {
    format!("sms:{}", dialable(number))
}

/// A WhatsApp link (`https://wa.me/<international number>`) for a local number in a country of
/// the table; `None` when the country's calling code is unknown (then the number is shown only).
pub fn whatsapp_href(country: &str, number: &str) -> Option<String> {
    let digits = dialable(number);
    let international = match digits.strip_prefix('+') {
        Some(rest) => rest.to_owned(),
        None => {
            let code = calling_code(country)?;
            // A local trunk prefix ("0…") is dropped after the country code.
            format!("{code}{}", digits.trim_start_matches('0'))
        }
    };
    Some(format!("https://wa.me/{international}"))
}

/// Digits, with a leading `+` kept.
fn dialable(number: &str) -> String {
    let plus = number.trim_start().starts_with('+');
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if plus {
        format!("+{digits}")
    } else {
        digits
    }
}

/// ITU country calling codes of the countries in the table.
fn calling_code(country: &str) -> Option<&'static str> {
    const CODES: &[(&str, &str)] = &[
        ("AT", "43"),
        ("AU", "61"),
        ("BE", "32"),
        ("CA", "1"),
        ("CH", "41"),
        ("DE", "49"),
        ("ES", "34"),
        ("FR", "33"),
        ("GB", "44"),
        ("IE", "353"),
        ("IN", "91"),
        ("NL", "31"),
        ("NZ", "64"),
        ("SG", "65"),
        ("US", "1"),
        ("ZA", "27"),
    ];
    CODES.iter().find(|(code, _)| code.eq_ignore_ascii_case(country)).map(|(_, calling)| *calling)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::care::lines::directory;

    #[test]
    fn numbers_become_dialable_links() {
        assert_eq!(tel_href("116 123"), "tel:116123");
        assert_eq!(tel_href("1-800-668-6868"), "tel:18006686868");
        assert_eq!(tel_href("+44 116 123"), "tel:+44116123");
        assert_eq!(sms_href("0477 13 11 14"), "sms:0477131114");
    }

    #[test]
    fn whatsapp_needs_the_international_number() {
        assert_eq!(whatsapp_href("SG", "9151 1767").as_deref(), Some("https://wa.me/6591511767"));
        assert_eq!(whatsapp_href("GB", "07700 900123").as_deref(), Some("https://wa.me/447700900123"));
        assert_eq!(whatsapp_href("XX", "+65 9151 1767").as_deref(), Some("https://wa.me/6591511767"));
        assert_eq!(whatsapp_href("XX", "9151 1767"), None);
    }

    #[test]
    fn every_country_with_a_whatsapp_line_has_a_calling_code() {
        for country in &directory().unwrap().countries {
            for line in country.lines.iter().filter(|l| l.whatsapp.is_some()) {
                let number = line.whatsapp.as_deref().unwrap();
                assert!(whatsapp_href(&country.code, number).is_some(), "{} {}", country.code, line.name);
            }
        }
    }
}
