//! Every word the shopper reads, in English, German, French and Spanish.
//!
//! Plural categories and dates are the platform's business ([`Locale`]): in
//! the widget they come from the browser's `Intl`, so no locale data ships in
//! the wasm; native tests use [`Plain`]. Templates use `{n}`, `{m}`, `{d}`
//! placeholders. Compiled for every target.

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

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::De => &DE,
            Lang::Fr => &FR,
            Lang::Es => &ES,
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

/// A message with a singular and a plural form.
pub struct Plural {
    pub one: &'static str,
    pub other: &'static str,
}

pub struct Strings {
    /// A range ending in a singular count ("0–1") takes the singular form:
    /// CLDR's plural ranges say so for German and French, not for English
    /// or Spanish ("0–1 days", "0–1 días").
    pub range_ends_singular: bool,
    pub loading: &'static str,
    pub in_stock: &'static str,
    pub only_left: Plural,
    pub out_of_stock: &'static str,
    pub backorder: &'static str,
    pub ships_today: &'static str,
    pub ships_in: Plural,
    /// `{n}` in stock, `{m}` on backorder.
    pub split: &'static str,
    pub at_most: Plural,
    pub reserve: &'static str,
    pub quantity: &'static str,
    pub email: &'static str,
    pub email_hint: &'static str,
    pub submit: &'static str,
    pub close: &'static str,
    pub quantity_invalid: &'static str,
    pub email_invalid: &'static str,
    pub reserving: &'static str,
    pub reserved: &'static str,
    pub reference: &'static str,
    pub ships_on: &'static str,
    /// `{d}` the likely date, `{e}` the latest.
    pub ships_between: &'static str,
    pub ready: &'static str,
    pub you_reserved: &'static str,
    pub cancel_reservation: &'static str,
    pub cancelled: &'static str,
    pub unreachable: &'static str,
    pub timeout: &'static str,
    pub server_error: &'static str,
    pub malformed: &'static str,
    pub unknown_product: &'static str,
    pub retry: &'static str,
    pub conflict: &'static str,
    pub sold_out_now: &'static str,
    /// `{n}`: how many more units this e-mail address may reserve.
    pub customer_limit: &'static str,
    /// The store refused more attempts from this address for now (429).
    pub too_many_attempts: &'static str,
    /// Out of stock: the button that opens the subscription form.
    pub notify: &'static str,
    pub notify_hint: &'static str,
    pub notify_submit: &'static str,
    pub sending: &'static str,
    pub notify_done: &'static str,
    /// The on-demand part (forms, cancelling) could not be downloaded.
    pub part_failed: &'static str,
}

static EN: Strings = Strings {
    range_ends_singular: false,
    loading: "Checking availability…",
    in_stock: "In stock",
    only_left: Plural {
        one: "only {n} left",
        other: "only {n} left",
    },
    out_of_stock: "Out of stock",
    backorder: "Backorder",
    ships_today: "ships today",
    ships_in: Plural {
        one: "ships in {n} day",
        other: "ships in {n} days",
    },
    split: "{n} in stock, {m} on backorder",
    at_most: Plural {
        one: "Only {n} can be ordered",
        other: "Only {n} can be ordered",
    },
    reserve: "Reserve",
    quantity: "Quantity",
    email: "E-mail",
    email_hint: "We'll write when it ships.",
    submit: "Reserve",
    close: "Not now",
    quantity_invalid: "Enter a quantity from 1 to {n}.",
    email_invalid: "Enter a valid e-mail address, like name@example.com.",
    reserving: "Reserving…",
    reserved: "Reserved: {n}",
    reference: "Reference",
    ships_on: "Expected to ship on {d}.",
    ships_between: "Expected to ship between {d} and {e}.",
    ready: "ready to ship",
    you_reserved: "You reserved {n}",
    cancel_reservation: "Cancel reservation",
    cancelled: "Your reservation is cancelled.",
    unreachable: "Can't reach the store right now.",
    timeout: "The store is taking too long to answer.",
    server_error: "The store had a problem.",
    malformed: "The store sent an answer we can't read.",
    unknown_product: "This product isn't available here.",
    retry: "Try again",
    conflict: "Someone just took some of these. You can still reserve up to {n}.",
    sold_out_now: "Sorry, this just sold out.",
    customer_limit: "With this e-mail address you can reserve {n} more at most.",
    too_many_attempts: "Too many attempts just now. Please try again in a minute.",
    notify: "Email me when it's back",
    notify_hint: "One e-mail when it's back, nothing else.",
    notify_submit: "Notify me",
    sending: "Sending…",
    notify_done: "We'll e-mail you when it's back.",
    part_failed: "This couldn't be loaded. Check your connection.",
};

static DE: Strings = Strings {
    range_ends_singular: true,
    loading: "Verfügbarkeit wird geprüft …",
    in_stock: "Auf Lager",
    only_left: Plural {
        one: "nur noch {n} verfügbar",
        other: "nur noch {n} verfügbar",
    },
    out_of_stock: "Ausverkauft",
    backorder: "Nachbestellung",
    ships_today: "Versand heute",
    ships_in: Plural {
        one: "Versand in {n} Tag",
        other: "Versand in {n} Tagen",
    },
    split: "{n} auf Lager, {m} nachbestellt",
    at_most: Plural {
        one: "Nur {n} Stück bestellbar",
        other: "Nur {n} Stück bestellbar",
    },
    reserve: "Reservieren",
    quantity: "Menge",
    email: "E-Mail",
    email_hint: "Wir melden uns, sobald es versandt wird.",
    submit: "Reservieren",
    close: "Jetzt nicht",
    quantity_invalid: "Bitte eine Menge von 1 bis {n} eingeben.",
    email_invalid: "Bitte eine gültige E-Mail-Adresse eingeben, z. B. name@example.com.",
    reserving: "Wird reserviert …",
    reserved: "Reserviert: {n}",
    reference: "Referenz",
    ships_on: "Voraussichtlicher Versand am {d}.",
    ships_between: "Voraussichtlicher Versand zwischen {d} und {e}.",
    ready: "versandbereit",
    you_reserved: "Sie haben {n} reserviert",
    cancel_reservation: "Reservierung stornieren",
    cancelled: "Ihre Reservierung ist storniert.",
    unreachable: "Der Shop ist gerade nicht erreichbar.",
    timeout: "Der Shop antwortet zu langsam.",
    server_error: "Im Shop ist ein Fehler aufgetreten.",
    malformed: "Die Antwort des Shops ist unlesbar.",
    unknown_product: "Dieses Produkt ist hier nicht erhältlich.",
    retry: "Erneut versuchen",
    conflict: "Jemand war schneller. Sie können noch bis zu {n} reservieren.",
    sold_out_now: "Leider gerade ausverkauft.",
    customer_limit: "Mit dieser E-Mail-Adresse können Sie höchstens noch {n} reservieren.",
    too_many_attempts: "Gerade zu viele Versuche. Bitte in einer Minute noch einmal.",
    notify: "Benachrichtigen, wenn wieder da",
    notify_hint: "Eine E-Mail, sobald es wieder da ist – sonst nichts.",
    notify_submit: "Benachrichtigen",
    sending: "Wird gesendet …",
    notify_done: "Wir schreiben Ihnen, sobald es wieder da ist.",
    part_failed: "Das konnte nicht geladen werden. Bitte Verbindung prüfen.",
};

static FR: Strings = Strings {
    range_ends_singular: true,
    loading: "Vérification de la disponibilité…",
    in_stock: "En stock",
    only_left: Plural {
        one: "plus que {n} disponible",
        other: "plus que {n} disponibles",
    },
    out_of_stock: "Rupture de stock",
    backorder: "En réapprovisionnement",
    ships_today: "expédié aujourd’hui",
    ships_in: Plural {
        one: "expédié sous {n} jour",
        other: "expédié sous {n} jours",
    },
    split: "{n} en stock, {m} en réapprovisionnement",
    at_most: Plural {
        one: "{n} article maximum",
        other: "{n} articles maximum",
    },
    reserve: "Réserver",
    quantity: "Quantité",
    email: "E-mail",
    email_hint: "Nous vous écrirons à l’expédition.",
    submit: "Réserver",
    close: "Plus tard",
    quantity_invalid: "Saisissez une quantité de 1 à {n}.",
    email_invalid: "Saisissez une adresse e-mail valide, par ex. nom@example.com.",
    reserving: "Réservation…",
    reserved: "Réservé : {n}",
    reference: "Référence",
    ships_on: "Expédition prévue le {d}.",
    ships_between: "Expédition prévue entre le {d} et le {e}.",
    ready: "prêt à être expédié",
    you_reserved: "Vous avez réservé {n}",
    cancel_reservation: "Annuler la réservation",
    cancelled: "Votre réservation est annulée.",
    unreachable: "La boutique est injoignable pour le moment.",
    timeout: "La boutique met trop de temps à répondre.",
    server_error: "La boutique a rencontré un problème.",
    malformed: "La réponse de la boutique est illisible.",
    unknown_product: "Ce produit n’est pas disponible ici.",
    retry: "Réessayer",
    conflict: "Quelqu’un vient d’en prendre. Vous pouvez encore en réserver jusqu’à {n}.",
    sold_out_now: "Désolé, ce produit vient d’être épuisé.",
    customer_limit: "Avec cette adresse e-mail, vous pouvez encore en réserver {n} au plus.",
    too_many_attempts: "Trop de tentatives à l’instant. Réessayez dans une minute.",
    notify: "M’avertir de son retour",
    notify_hint: "Un seul e-mail à son retour, rien d’autre.",
    notify_submit: "M’avertir",
    sending: "Envoi…",
    notify_done: "Nous vous écrirons dès son retour.",
    part_failed: "Chargement impossible. Vérifiez votre connexion.",
};

static ES: Strings = Strings {
    range_ends_singular: false,
    loading: "Comprobando disponibilidad…",
    in_stock: "En stock",
    only_left: Plural {
        one: "solo queda {n}",
        other: "solo quedan {n}",
    },
    out_of_stock: "Agotado",
    backorder: "Bajo pedido",
    ships_today: "se envía hoy",
    ships_in: Plural {
        one: "se envía en {n} día",
        other: "se envía en {n} días",
    },
    split: "{n} en stock, {m} bajo pedido",
    at_most: Plural {
        one: "Solo se puede pedir {n}",
        other: "Solo se pueden pedir {n}",
    },
    reserve: "Reservar",
    quantity: "Cantidad",
    email: "Correo electrónico",
    email_hint: "Te escribiremos cuando se envíe.",
    submit: "Reservar",
    close: "Ahora no",
    quantity_invalid: "Introduce una cantidad de 1 a {n}.",
    email_invalid: "Introduce un correo válido, como nombre@example.com.",
    reserving: "Reservando…",
    reserved: "Reservado: {n}",
    reference: "Referencia",
    ships_on: "Envío previsto el {d}.",
    ships_between: "Envío previsto entre el {d} y el {e}.",
    ready: "listo para enviar",
    you_reserved: "Has reservado {n}",
    cancel_reservation: "Cancelar la reserva",
    cancelled: "Tu reserva está cancelada.",
    unreachable: "No podemos conectar con la tienda ahora.",
    timeout: "La tienda tarda demasiado en responder.",
    server_error: "La tienda ha tenido un problema.",
    malformed: "La respuesta de la tienda no se puede leer.",
    unknown_product: "Este producto no está disponible aquí.",
    retry: "Reintentar",
    conflict: "Alguien acaba de llevarse algunos. Aún puedes reservar hasta {n}.",
    sold_out_now: "Lo sentimos, se acaba de agotar.",
    customer_limit: "Con esta dirección de correo puedes reservar {n} más como máximo.",
    too_many_attempts: "Demasiados intentos ahora mismo. Vuelve a intentarlo en un minuto.",
    notify: "Avisarme cuando vuelva",
    notify_hint: "Un solo correo cuando vuelva, nada más.",
    notify_submit: "Avisarme",
    sending: "Enviando…",
    notify_done: "Te escribiremos cuando vuelva.",
    part_failed: "No se pudo cargar. Comprueba tu conexión.",
};

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
