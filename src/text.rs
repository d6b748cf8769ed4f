//! Text folding for matching (pure): case and Latin accents do not matter.
//!
//! Folding maps each character to exactly one character, so a match's position in the folded
//! text is its position in the original (search marks the person's own words with it).

/// Accented Latin letters and what they fold to (same order, one for one).
const ACCENTED: &str = "àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňòóôõöøōŏőŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżž";
const PLAIN: &str = "aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnooooooooorrrsssstttuuuuuuuuuuwyyyzzz";

fn fold_char(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    if lower.is_ascii() {
        return lower;
    }
    ACCENTED.chars().position(|a| a == lower).and_then(|i| PLAIN.chars().nth(i)).unwrap_or(lower)
}

/// `Café ÉTÉ` → `cafe ete`: one character for each character of `text`.
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_and_accents_one_for_one() {
        assert_eq!(fold("Café ÉTÉ Ångström Łódź"), "cafe ete angstrom lodz");
        assert_eq!(ACCENTED.chars().count(), PLAIN.chars().count());
        for text in ["Ünïcödé ✓ 😀", "İstanbul", "ΣΊΣΥΦΟΣ"] {
            assert_eq!(fold(text).chars().count(), text.chars().count(), "{text}");
        }
    }
}
