//! Every word the shopper reads, in English, German, French and Spanish.
//!
//! Plural categories and dates are the platform's business ([`Locale`]): in
//! the widget they come from the browser's `Intl`, so no locale data ships in
//! the wasm; native tests use [`Plain`]. Templates use `{n}`, `{m}`, `{d}`
//! placeholders. Compiled for every target.

use super::words;
pub use super::words::{FormWords, Plural, Strings};
use crate::logic::Date;

/// A language's words and the two things only the platform knows about it:
/// which counts take the singular, and how a date is written. The wording
/// functions take one, so they run natively in tests.
pub trait Locale: Copy {
    /// The language's words.
    fn strings(self) -> &'static Strings;
    /// `true` when `count` takes the singular form.
    fn is_one(self, count: u32) -> bool;
    /// A calendar date as the language writes it, e.g. "4 Dec 2026".
    fn format_date(self, date: Date) -> String;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
}

impl Lang {
    /// `de-AT` → German; unknown languages → `None`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "de" => Some(Lang::De),
            "fr" => Some(Lang::Fr),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// The forms' words: only the on-demand part reads them.
    pub fn form_words(self) -> &'static FormWords {
        match self {
            Lang::En => &words::EN_FORM,
            Lang::De => &words::DE_FORM,
            Lang::Fr => &words::FR_FORM,
            Lang::Es => &words::ES_FORM,
        }
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &words::EN,
            Lang::De => &words::DE,
            Lang::Fr => &words::FR,
            Lang::Es => &words::ES,
        }
    }
}

/// In the browser the plural rules and dates come from `Intl`.
#[cfg(target_arch = "wasm32")]
mod intl {
    use super::{Lang, Locale, Strings};
    use crate::logic::Date;
    use js_sys::{Array, Intl, Object, Reflect};
    use wasm_bindgen::JsValue;

    fn locales(lang: Lang) -> Array {
        Array::of1(&JsValue::from_str(lang.code()))
    }

    impl Locale for Lang {
        fn strings(self) -> &'static Strings {
            Lang::strings(self)
        }

        fn is_one(self, count: u32) -> bool {
            // Building an `Intl.PluralRules` costs far more than asking one (it
            // negotiates the locale): one per language for the page, not one per
            // status line — a page of 100 widgets asks 100 times at once.
            thread_local! {
                static RULES: std::cell::RefCell<Vec<(Lang, Intl::PluralRules)>> =
                    const { std::cell::RefCell::new(Vec::new()) };
            }
            RULES.with(|rules| {
                let mut rules = rules.borrow_mut();
                let index = match rules.iter().position(|(lang, _)| *lang == self) {
                    Some(index) => index,
                    None => {
                        let made = Intl::PluralRules::new(&locales(self), &Object::new());
                        rules.push((self, made));
                        rules.len() - 1
                    }
                };
                rules[index].1.select(count as f64) == "one"
            })
        }

        fn format_date(self, date: Date) -> String {
            let options = Object::new();
            let _ = Reflect::set(&options, &"dateStyle".into(), &"medium".into());
            // The date is a calendar date: format it in UTC so no time zone shifts it.
            let _ = Reflect::set(&options, &"timeZone".into(), &"UTC".into());
            let format = Intl::DateTimeFormat::new(&locales(self), &options);
            let millis = date.days_since_epoch() as f64 * 86_400_000.0;
            let formatted = format
                .format()
                .call1(&format, &js_sys::Date::new(&millis.into()).into());
            formatted
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_else(|| date.to_iso())
        }
    }
}

/// Natively (tests), without `Intl`: the four languages' plural rule for
/// whole numbers (French counts 0 as singular) and ISO dates.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[derive(Clone, Copy, Debug)]
pub struct Plain(pub Lang);

#[cfg(all(test, not(target_arch = "wasm32")))]
impl Locale for Plain {
    fn strings(self) -> &'static Strings {
        self.0.strings()
    }

    fn is_one(self, count: u32) -> bool {
        count == 1 || (count == 0 && self.0 == Lang::Fr)
    }

    fn format_date(self, date: Date) -> String {
        date.to_iso()
    }
}

/// Decimal digits without the formatting machinery.
pub fn number(value: u32) -> String {
    let mut digits = [0u8; 10];
    let mut length = 0;
    let mut rest = value;
    loop {
        digits[length] = b'0' + (rest % 10) as u8;
        length += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits[..length]
        .iter()
        .rev()
        .map(|&digit| digit as char)
        .collect()
}

/// Replaces `{key}` with `value` in `template`. (By hand: `str::replace`
/// brings a general substring search into the wasm for this one job.)
pub fn fill(template: &str, key: &str, value: &str) -> String {
    let mut filled = String::with_capacity(template.len() + value.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        filled.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .strip_prefix(key)
            .and_then(|tail| tail.strip_prefix('}'))
        {
            Some(tail) => {
                filled.push_str(value);
                rest = tail;
            }
            None => {
                filled.push('{');
                rest = after;
            }
        }
    }
    filled.push_str(rest);
    filled
}

/// A plural template with `{n}` filled in.
/// `plural` for the range `from`–`to` ("14–18 days"), in the form CLDR's
/// plural ranges give for these four languages: the plural, unless the end
/// is singular and the language says so.
pub fn count_range(locale: impl Locale, plural: &Plural, from: u32, to: u32) -> String {
    let template = if locale.strings().range_ends_singular && locale.is_one(to) {
        plural.one
    } else {
        plural.other
    };
    let mut range = number(from);
    range.push('–');
    range.push_str(&number(to));
    fill(template, "n", &range)
}

pub fn count(locale: impl Locale, plural: &Plural, n: u32) -> String {
    let template = if locale.is_one(n) {
        plural.one
    } else {
        plural.other
    };
    fill(template, "n", &number(n))
}

#[cfg(not(target_arch = "wasm32"))] // natively: `cargo test --lib`
#[cfg(test)]
mod tests {
    use super::{Lang, Plain, count, fill, number};

    #[test]
    fn fill_replaces_only_its_own_placeholder() {
        assert_eq!(
            fill("{n} in stock, {m} later", "n", "2"),
            "2 in stock, {m} later"
        );
        assert_eq!(fill("{n} and {n}", "n", "7"), "7 and 7");
        assert_eq!(fill("{ {nn} {n", "n", "1"), "{ {nn} {n");
        assert_eq!(fill("no placeholder", "n", "1"), "no placeholder");
        assert_eq!(number(0), "0");
        assert_eq!(number(4_294_967_295), "4294967295");
    }

    #[test]
    fn counts_take_the_languages_plural_form() {
        let ships = |lang: Lang, n| count(Plain(lang), &lang.strings().ships_in, n);
        assert_eq!(ships(Lang::En, 1), "ships in 1 day");
        assert_eq!(ships(Lang::En, 0), "ships in 0 days");
        assert_eq!(ships(Lang::Fr, 0), "expédié sous 0 jour");
        assert_eq!(ships(Lang::De, 12), "Versand in 12 Tagen");
    }
}

/// The browser's `Intl` agrees with the native stand-in the tests use.
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::{Lang, Locale};
    use crate::logic::Date;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn intl_decides_plurals_and_writes_dates() {
        assert!(Lang::En.is_one(1) && !Lang::En.is_one(0) && !Lang::En.is_one(2));
        assert!(Lang::Fr.is_one(0) && Lang::Fr.is_one(1) && !Lang::Fr.is_one(2));
        assert!(Lang::De.is_one(1) && !Lang::De.is_one(12));
        let date = Date::parse_iso("2026-03-08").unwrap();
        assert_eq!(Lang::En.format_date(date), "Mar 8, 2026");
    }
}
