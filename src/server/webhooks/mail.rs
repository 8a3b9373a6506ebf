//! The e-mails the server sends shoppers: written (subject, plain text and
//! HTML) when the change they report is, and kept in the outbox as the body
//! of a `mail` event until the worker sends them (`smtp.rs`).

use super::mail_words::{Words, words};
use crate::logic::Date;
use crate::server::domain::DelayReason;
use serde::{Deserialize, Serialize};

/// One mail, as the outbox keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A part of a mail: a paragraph, or a link with its label.
enum Part {
    Text(String),
    Link(&'static str, String),
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn compose(to: &str, subject: String, words: &Words, parts: Vec<Part>) -> Mail {
    let mut text = format!("{}\n\n", words.hello);
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p>",
        escape(words.hello)
    );
    for part in parts {
        match part {
            Part::Text(line) => {
                text.push_str(&line);
                text.push_str("\n\n");
                html.push_str(&format!("<p>{}</p>", escape(&line)));
            }
            Part::Link(label, url) => {
                text.push_str(&format!("{label}: {url}\n\n"));
                html.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>",
                    escape(&url),
                    escape(label)
                ));
            }
        }
    }
    text.push_str(words.thanks);
    text.push('\n');
    html.push_str(&format!("<p>{}</p></body></html>", escape(words.thanks)));
    Mail {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

/// A reservation as its mails name it.
pub struct Reserved<'a> {
    pub to: &'a str,
    pub lang: Option<&'a str>,
    pub id: &'a str,
    pub name: &'a str,
    pub quantity: u32,
    pub cancel_url: Option<String>,
}

impl Reserved<'_> {
    fn values(&self) -> [(&str, String); 3] {
        [
            ("ref", self.id.to_owned()),
            ("name", self.name.to_owned()),
            ("quantity", self.quantity.to_string()),
        ]
    }

    fn fill(&self, template: &str) -> String {
        let values = self.values();
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fill(template, &values)
    }

    fn cancel(&self, words: &Words, parts: &mut Vec<Part>) {
        if let Some(url) = &self.cancel_url {
            parts.push(Part::Link(words.cancel, url.clone()));
        }
    }
}

/// The confirmation of a placed reservation: what ships now, what waits,
/// and the window it ships in (`None`: it all ships now).
pub fn confirmation(
    reserved: &Reserved<'_>,
    from_stock: u32,
    backordered: u32,
    window: Option<(Date, Date)>,
) -> Mail {
    let words = words(reserved.lang);
    let mut parts = vec![Part::Text(reserved.fill(words.confirm_intro))];
    if from_stock > 0 {
        parts.push(Part::Text(fill(
            words.in_stock,
            &[("n", &from_stock.to_string())],
        )));
    }
    if backordered > 0 {
        parts.push(Part::Text(fill(
            words.backordered,
            &[("n", &backordered.to_string())],
        )));
    }
    if let Some((from, to)) = window {
        let (from, to) = (from.to_iso(), to.to_iso());
        parts.push(Part::Text(fill(
            words.window,
            &[("from", &from), ("to", &to)],
        )));
    }
    reserved.cancel(words, &mut parts);
    compose(
        reserved.to,
        reserved.fill(words.confirm_subject),
        words,
        parts,
    )
}

/// The notice of a reservation that ships later than its shopper was told.
pub fn delayed(
    reserved: &Reserved<'_>,
    previous: Date,
    window: (Date, Date),
    reason: DelayReason,
) -> Mail {
    let words = words(reserved.lang);
    let reason = match reason {
        DelayReason::PurchaseOrderChanged => words.reasons[0],
        DelayReason::PurchaseOrderOverdue => words.reasons[1],
        DelayReason::SupplierReliability => words.reasons[2],
        DelayReason::Other => words.reasons[3],
    };
    let dates = [
        ("previous", previous.to_iso()),
        ("from", window.0.to_iso()),
        ("to", window.1.to_iso()),
    ];
    let dates: Vec<(&str, &str)> = dates.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut parts = vec![
        Part::Text(reserved.fill(words.delay_intro)),
        Part::Text(fill(words.delay_window, &dates)),
        Part::Text(reason.to_owned()),
        Part::Text(words.delay_choice.to_owned()),
    ];
    reserved.cancel(words, &mut parts);
    compose(
        reserved.to,
        reserved.fill(words.delay_subject),
        words,
        parts,
    )
}

/// Every unit of the reservation is held: it ships.
pub fn ready(reserved: &Reserved<'_>) -> Mail {
    let words = words(reserved.lang);
    let parts = vec![Part::Text(reserved.fill(words.ready_intro))];
    compose(
        reserved.to,
        reserved.fill(words.ready_subject),
        words,
        parts,
    )
}

/// "It's back" to a subscriber, with the link that unsubscribes.
pub fn back_in_stock(
    to: &str,
    lang: Option<&str>,
    name: &str,
    available: u32,
    unsubscribe_url: String,
) -> Mail {
    let words = words(lang);
    let available = available.to_string();
    let values = [("name", name), ("available", available.as_str())];
    let parts = vec![
        Part::Text(fill(words.back_intro, &values)),
        Part::Text(words.back_note.to_owned()),
        Part::Link(words.unsubscribe, unsubscribe_url),
    ];
    compose(to, fill(words.back_subject, &values), words, parts)
}

/// "Please confirm" to a new subscriber, with the confirmation link.
pub fn confirm_subscription(to: &str, lang: Option<&str>, name: &str, confirm_url: String) -> Mail {
    let words = words(lang);
    let values = [("name", name)];
    let parts = vec![
        Part::Text(fill(words.optin_intro, &values)),
        Part::Link(words.optin_confirm, confirm_url),
        Part::Text(words.optin_note.to_owned()),
    ];
    compose(to, fill(words.optin_subject, &values), words, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmation_in_german_names_the_split_the_window_and_the_cancel_link() {
        let reserved = Reserved {
            to: "jane@example.com",
            lang: Some("de"),
            id: "rsv_1",
            name: "Mug <blue>",
            quantity: 3,
            cancel_url: Some("https://shop.example/reservations/rsv_1/cancel?token=t&x=1".into()),
        };
        let window = (
            Date::parse_iso("2026-12-10").unwrap(),
            Date::parse_iso("2026-12-14").unwrap(),
        );
        let mail = confirmation(&reserved, 1, 2, Some(window));
        assert_eq!(mail.subject, "Ihre Reservierung rsv_1: Mug <blue>");
        assert!(mail.text.contains("1 auf Lager"), "{}", mail.text);
        assert!(mail.text.contains("2 nachbestellt"), "{}", mail.text);
        assert!(
            mail.text.contains("2026-12-10 und 2026-12-14"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("cancel?token=t&x=1"));
        assert!(mail.html.contains("Mug &lt;blue&gt;"));
        assert!(
            mail.html.contains(
                "href=\"https://shop.example/reservations/rsv_1/cancel?token=t&amp;x=1\""
            )
        );
    }

    #[test]
    fn unknown_languages_are_english() {
        let mail = back_in_stock("a@b.c", Some("pt-BR"), "Mug", 4, "u".into());
        assert_eq!(mail.subject, "Mug is back in stock");
        assert!(mail.text.contains("Unsubscribe: u"));
    }
}
