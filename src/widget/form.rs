//! The open form — a backorder reservation, or "email me when it's back" —
//! and the changes the shopper's input and the server's refusals make to it.
//! Plain Rust, compiled for every target.

use super::i18n::{FormWords, fill, number};
use crate::api::MAX_REQUEST_QUANTITY;

/// What the open form does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Quantity and e-mail: a backorder reservation.
    Reserve,
    /// E-mail only: "email me when it's back".
    Notify,
}

/// The open form: a reservation, or a back-in-stock subscription.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub purpose: Purpose,
    pub quantity: String,
    pub email: String,
    pub quantity_error: Option<String>,
    pub email_error: Option<String>,
    pub notice: Option<String>,
    pub submitting: bool,
    /// One key per attempt: retries of the same attempt reuse it.
    pub idempotency_key: String,
}

/// Which field the shopper should look at after a refused submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Quantity,
    Email,
}

/// A submission that passed the browser's checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub quantity: u32,
    pub email: String,
    pub idempotency_key: String,
}

impl Form {
    /// A fresh form for the widget's quantity, capped at what can be had.
    pub fn new(quantity: u32, max_quantity: Option<u32>, idempotency_key: String) -> Form {
        let quantity = max_quantity.map_or(quantity, |max| quantity.min(max));
        Form {
            purpose: Purpose::Reserve,
            quantity: number(quantity),
            email: String::new(),
            quantity_error: None,
            email_error: None,
            notice: None,
            submitting: false,
            idempotency_key,
        }
    }

    /// The subscription form: an e-mail address, nothing else.
    pub fn notify() -> Form {
        Form {
            purpose: Purpose::Notify,
            ..Form::new(1, None, String::new())
        }
    }

    /// Checks the fields; on success the form is marked as submitting.
    /// On failure each field at fault carries its message, and the field to
    /// focus is returned.
    pub fn submit(
        &mut self,
        max_quantity: Option<u32>,
        strings: &FormWords,
    ) -> Result<Submission, Field> {
        let quantity = match self.purpose {
            Purpose::Reserve => valid_quantity(&self.quantity, max_quantity, strings),
            Purpose::Notify => Ok(1),
        };
        let email = self.email.trim();
        let email_ok = crate::api::is_plausible_email(email);
        self.quantity_error = quantity.as_ref().err().cloned();
        self.email_error = (!email_ok).then(|| String::from(strings.email_invalid));
        self.notice = None;
        match quantity {
            Err(_) => Err(Field::Quantity),
            Ok(_) if !email_ok => Err(Field::Email),
            Ok(quantity) => {
                self.submitting = true;
                Ok(Submission {
                    quantity,
                    email: email.to_owned(),
                    idempotency_key: self.idempotency_key.clone(),
                })
            }
        }
    }

    /// Someone else took the units (409): say so, offer what is left, and
    /// make the next attempt a new one.
    pub fn conflict(&mut self, asked: u32, max: u32, strings: &FormWords, fresh_key: String) {
        self.submitting = false;
        self.idempotency_key = fresh_key;
        if max == 0 {
            self.notice = Some(String::from(strings.sold_out_now));
        } else {
            self.notice = Some(fill(strings.conflict, "n", &number(max)));
            self.quantity = number(asked.min(max));
        }
    }

    /// This e-mail address may hold only `allowed` more units (the product's
    /// cap per customer): say so at the quantity; the next attempt is a new one.
    pub fn customer_limit(&mut self, allowed: u32, strings: &FormWords, fresh_key: String) {
        self.submitting = false;
        self.idempotency_key = fresh_key;
        self.quantity_error = Some(fill(strings.customer_limit, "n", &number(allowed)));
    }

    /// The server refused a field (422): mark it, make the next attempt a new one.
    pub fn rejected(&mut self, field: Field, asked: u32, strings: &FormWords, fresh_key: String) {
        self.submitting = false;
        self.idempotency_key = fresh_key;
        match field {
            Field::Email => self.email_error = Some(String::from(strings.email_invalid)),
            Field::Quantity => {
                self.quantity_error = Some(fill(strings.quantity_invalid, "n", &number(asked)))
            }
        }
    }

    /// A transient failure: keep the key, so pressing again cannot reserve twice.
    pub fn failed(&mut self, message: &str) {
        self.submitting = false;
        self.notice = Some(String::from(message));
    }
}

/// The form's quantity if it is whole and within what can be had.
pub fn valid_quantity(
    text: &str,
    max_quantity: Option<u32>,
    strings: &FormWords,
) -> Result<u32, String> {
    let limit = max_quantity.unwrap_or(MAX_REQUEST_QUANTITY);
    match text.trim().parse::<u32>() {
        Ok(quantity) if quantity >= 1 && quantity <= limit => Ok(quantity),
        _ => Err(fill(strings.quantity_invalid, "n", &number(limit))),
    }
}

#[cfg(not(target_arch = "wasm32"))] // natively: `cargo test --lib`
#[cfg(test)]
mod tests {
    use super::*;
    use crate::widget::i18n::Lang;

    fn strings() -> &'static FormWords {
        Lang::En.form_words()
    }

    #[test]
    fn a_form_opens_capped_and_checks_both_fields() {
        let mut form = Form::new(10, Some(3), String::from("k1"));
        assert_eq!(form.quantity, "3");
        form.email = String::from("jane@");
        assert_eq!(form.submit(Some(3), strings()), Err(Field::Email));
        assert!(form.quantity_error.is_none() && form.email_error.is_some());
        assert!(!form.submitting);
        form.quantity = String::from("4");
        assert_eq!(form.submit(Some(3), strings()), Err(Field::Quantity));
        assert_eq!(
            form.quantity_error.as_deref(),
            Some("Enter a quantity from 1 to 3.")
        );
        form.quantity = String::from(" 2 ");
        form.email = String::from(" jane@example.com ");
        let submission = form.submit(Some(3), strings()).expect("valid");
        assert_eq!(submission.quantity, 2);
        assert_eq!(submission.email, "jane@example.com");
        assert_eq!(submission.idempotency_key, "k1");
        assert!(form.submitting && form.quantity_error.is_none() && form.email_error.is_none());
    }

    #[test]
    fn a_conflict_offers_what_is_left_with_a_new_key() {
        let mut form = Form::new(5, None, String::from("k1"));
        form.submitting = true;
        form.conflict(5, 2, strings(), String::from("k2"));
        assert_eq!(form.quantity, "2");
        assert_eq!(form.idempotency_key, "k2");
        assert!(!form.submitting);
        assert!(form.notice.as_deref().unwrap().contains('2'));
        form.conflict(2, 0, strings(), String::from("k3"));
        assert_eq!(form.notice.as_deref(), Some(strings().sold_out_now));
    }

    #[test]
    fn the_cap_per_customer_is_explained_at_the_quantity() {
        let mut form = Form::new(5, None, String::from("k1"));
        form.submitting = true;
        form.customer_limit(2, strings(), String::from("k2"));
        assert_eq!(
            form.quantity_error.as_deref(),
            Some("With this e-mail address you can reserve 2 more at most.")
        );
        assert_eq!(form.idempotency_key, "k2");
        assert!(!form.submitting);
    }

    #[test]
    fn a_transient_failure_keeps_the_key() {
        let mut form = Form::new(1, None, String::from("k1"));
        form.submitting = true;
        form.failed("down");
        assert_eq!(form.idempotency_key, "k1");
        assert_eq!(form.notice.as_deref(), Some("down"));
        assert!(!form.submitting);
    }

    #[test]
    fn the_subscription_form_checks_only_the_address() {
        let mut form = Form::notify();
        form.quantity = String::from("not a number");
        form.email = String::from("nope");
        assert_eq!(form.submit(Some(0), strings()), Err(Field::Email));
        assert!(form.quantity_error.is_none());
        form.email = String::from(" ann@example.com ");
        let submission = form.submit(Some(0), strings()).expect("valid");
        assert_eq!(submission.email, "ann@example.com");
        assert!(form.submitting);
    }
}
