//! What the widget knows and says, apart from the DOM: plain data, the
//! changes the shopper's actions make to it, and pure wording and validation
//! functions. The components in `view.rs` only wire these to signals.

use super::http::FetchError;
use super::i18n::{Lang, Strings, count, fill, number};
use super::storage::Remembered;
use crate::api::{Availability, MAX_REQUEST_QUANTITY, Reservation, ReservationStatus};
use crate::logic::{Quote, Status};

/// Everything a widget shows.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub load: Load,
    /// The reservation form, while it is open.
    pub form: Option<Form>,
    pub mine: Mine,
    /// The shopper asked to be e-mailed when it is back (this visit).
    pub subscribed: bool,
    /// What the live region says: the status words as of the last change of
    /// status category, so a live update moving a number is not announced.
    pub announced: String,
}

impl State {
    /// Shows `load`; the announcement follows only a change of category.
    pub fn show(&mut self, load: Load, lang: Lang, strings: &Strings) {
        if load.data_state() != self.load.data_state() || self.announced.is_empty() {
            self.announced = load.status_text(lang, strings);
        }
        self.load = load;
    }

    /// The button beside the status: out of stock, "Email me when it's back".
    pub fn action(&self) -> Action {
        match self.load.action(self.form.is_some(), &self.mine) {
            Action::None if self.offers_notify() => Action::Notify,
            action => action,
        }
    }

    fn offers_notify(&self) -> bool {
        self.load.status() == Some(Status::OutOfStock) && self.form.is_none() && !self.subscribed
    }

    /// "We'll e-mail you when it's back", until it is (then the status says so).
    pub fn says_subscribed(&self) -> bool {
        self.subscribed && self.load.status() != Some(Status::InStock)
    }
}

/// The availability answer, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    Loading,
    Ready(Availability),
    Failed(FetchError),
}

impl Load {
    /// The status of the last answer, if there is one.
    pub fn status(&self) -> Option<Status> {
        match self {
            Load::Ready(availability) => Some(availability.status),
            _ => None,
        }
    }

    /// The host's `data-state`, for the merchant's CSS.
    pub fn data_state(&self) -> &'static str {
        match self {
            Load::Loading => "loading",
            Load::Ready(availability) => match availability.status {
                Status::InStock => "in_stock",
                Status::Backorder => "backorder",
                Status::OutOfStock => "out_of_stock",
            },
            Load::Failed(_) => "error",
        }
    }

    /// The words of the status line.
    pub fn status_text(&self, lang: Lang, strings: &Strings) -> String {
        match self {
            Load::Loading => String::from(strings.loading),
            Load::Ready(availability) => status_line(lang, strings, &quote_of(availability)),
            Load::Failed(error) => String::from(error_text(strings, error)),
        }
    }

    /// The most one reservation may take, when the answer says so.
    pub fn max_quantity(&self) -> Option<u32> {
        match self {
            Load::Ready(availability) => availability.max_quantity,
            _ => None,
        }
    }

    /// The button beside the status.
    pub fn action(&self, form_open: bool, mine: &Mine) -> Action {
        match self {
            Load::Failed(_) => Action::Retry,
            Load::Ready(availability)
                if can_reserve(availability) && !form_open && !mine.is_open() =>
            {
                Action::Reserve
            }
            _ => Action::None,
        }
    }

    /// The status line for `quantity` units, computed in the browser with the
    /// shared logic from the last answer; `None` when it cannot be honest.
    pub fn preview(&self, quantity: &str, lang: Lang, strings: &Strings) -> Option<String> {
        let Load::Ready(availability) = self else {
            return None;
        };
        let quantity = quantity.trim().parse::<u32>().ok()?;
        let (inventory, today) = availability.preview_inventory()?;
        let quote = inventory.quote(quantity, today).ok()?;
        Some(status_line(lang, strings, &quote))
    }
}

/// Which button sits beside the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    Retry,
    Reserve,
    Notify,
}

/// The shopper's own reservation of this product, if any.
#[derive(Clone, Debug, PartialEq)]
pub enum Mine {
    Nothing,
    /// Remembered from an earlier visit; its current state is being fetched.
    Checking(Remembered),
    /// Placed just now: show the confirmation.
    Placed(Reservation),
    /// Placed earlier and still open.
    Open(Reservation),
    Cancelled,
}

/// The "you reserved" panel: its words, and whether it offers to cancel.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub text: String,
    pub cancellable: bool,
}

impl Mine {
    /// An earlier reservation is (probably) still open: no second Reserve button.
    pub fn is_open(&self) -> bool {
        matches!(self, Mine::Open(_) | Mine::Checking(_))
    }

    /// The reference to cancel, while there is one.
    pub fn reference(&self) -> Option<&str> {
        match self {
            Mine::Checking(remembered) => Some(&remembered.id),
            Mine::Placed(reservation) | Mine::Open(reservation) => Some(&reservation.id),
            Mine::Nothing | Mine::Cancelled => None,
        }
    }

    pub fn panel(&self, lang: Lang, strings: &Strings) -> Option<Panel> {
        let text = match self {
            Mine::Nothing => return None,
            Mine::Cancelled => String::from(strings.cancelled),
            Mine::Checking(remembered) => {
                fill(strings.you_reserved, "n", &number(remembered.quantity))
            }
            Mine::Placed(reservation) => {
                let mut text = fill(strings.reserved, "n", &number(reservation.quantity));
                text.push_str(" · ");
                text.push_str(strings.reference);
                text.push(' ');
                text.push_str(&reservation.id);
                if let Some(date) = reservation.ship_date {
                    text.push_str(" · ");
                    text.push_str(&fill(strings.ships_on, "d", &lang.format_date(date)));
                }
                text
            }
            Mine::Open(reservation) => {
                let mut text = fill(strings.you_reserved, "n", &number(reservation.quantity));
                text.push_str(" — ");
                match reservation.ships_in_days {
                    _ if reservation.status == ReservationStatus::Ready => {
                        text.push_str(strings.ready)
                    }
                    Some(0) => text.push_str(strings.ships_today),
                    Some(days) => text.push_str(&count(lang, &strings.ships_in, days)),
                    None => text.push_str(strings.ready),
                }
                text
            }
        };
        Some(Panel {
            text,
            cancellable: self.reference().is_some(),
        })
    }
}

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

impl Field {
    /// The input's selector inside the widget.
    pub fn selector(self) -> &'static str {
        match self {
            Field::Quantity => "#sw-quantity",
            Field::Email => "#sw-email",
        }
    }
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
        strings: &Strings,
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
    pub fn conflict(&mut self, asked: u32, max: u32, strings: &Strings, fresh_key: String) {
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
    pub fn customer_limit(&mut self, allowed: u32, strings: &Strings, fresh_key: String) {
        self.submitting = false;
        self.idempotency_key = fresh_key;
        self.quantity_error = Some(fill(strings.customer_limit, "n", &number(allowed)));
    }

    /// The server refused a field (422): mark it, make the next attempt a new one.
    pub fn rejected(&mut self, field: Field, asked: u32, strings: &Strings, fresh_key: String) {
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
    strings: &Strings,
) -> Result<u32, String> {
    let limit = max_quantity.unwrap_or(MAX_REQUEST_QUANTITY);
    match text.trim().parse::<u32>() {
        Ok(quantity) if quantity >= 1 && quantity <= limit => Ok(quantity),
        _ => Err(fill(strings.quantity_invalid, "n", &number(limit))),
    }
}

/// The status line for a quote (the server's, or the browser's preview).
pub fn status_line(lang: Lang, strings: &Strings, quote: &Quote) -> String {
    let ships = |days: Option<u32>| match days {
        Some(0) => String::from(strings.ships_today),
        Some(days) => count(lang, &strings.ships_in, days),
        None => String::new(),
    };
    let joined = |first: String, second: String| {
        if second.is_empty() {
            first
        } else {
            first + " — " + &second
        }
    };
    if !quote.fulfillable {
        return match quote.max_quantity {
            Some(0) | None => String::from(strings.out_of_stock),
            Some(max) => count(lang, &strings.at_most, max),
        };
    }
    if quote.backordered == 0 {
        let low = if quote.low_stock {
            count(lang, &strings.only_left, quote.available)
        } else {
            String::new()
        };
        return joined(String::from(strings.in_stock), low);
    }
    if quote.from_stock > 0 {
        let split = fill(
            &fill(strings.split, "n", &number(quote.from_stock)),
            "m",
            &number(quote.backordered),
        );
        return joined(split, ships(quote.ships_in_days));
    }
    joined(String::from(strings.backorder), ships(quote.ships_in_days))
}

pub fn quote_of(availability: &Availability) -> Quote {
    Quote {
        status: availability.status,
        available: availability.available,
        low_stock: availability.low_stock,
        max_quantity: availability.max_quantity,
        quantity: availability.quantity,
        from_stock: availability.from_stock,
        backordered: availability.backordered,
        fulfillable: availability.fulfillable,
        ship_date: availability.ship_date,
        ships_in_days: availability.ships_in_days,
    }
}

pub fn error_text(strings: &Strings, error: &FetchError) -> &'static str {
    match error {
        FetchError::Unreachable => strings.unreachable,
        FetchError::Timeout => strings.timeout,
        FetchError::Malformed => strings.malformed,
        FetchError::Status { code, .. } if code == "unknown_product" => strings.unknown_product,
        FetchError::Status { status: 408, .. } => strings.timeout,
        FetchError::Status { status: 429, .. } => strings.too_many_attempts,
        FetchError::Status { status, .. } if *status >= 500 => strings.server_error,
        FetchError::Status { .. } => strings.malformed,
    }
}

/// Shoppers may reserve when part of the request (or a capped request) would be backordered.
pub fn can_reserve(availability: &Availability) -> bool {
    let room_beyond_stock = availability
        .max_quantity
        .is_none_or(|max| max > availability.available);
    room_beyond_stock && (availability.backordered > 0 || !availability.fulfillable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::Date;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn strings() -> &'static Strings {
        Lang::En.strings()
    }

    fn backorder(max_quantity: Option<u32>) -> Availability {
        Availability {
            sku: String::from("SKU-1"),
            name: String::from("Kettle"),
            status: Status::Backorder,
            available: 0,
            low_stock: false,
            max_quantity,
            quantity: 1,
            from_stock: 0,
            backordered: 1,
            fulfillable: true,
            ship_date: Date::parse_iso("2026-03-08"),
            ships_in_days: Some(6),
            as_of: String::from("2026-03-02T12:00:00Z"),
            schema_org_availability: String::from("https://schema.org/BackOrder"),
            backorder_outlook: None,
        }
    }

    #[wasm_bindgen_test]
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

    #[wasm_bindgen_test]
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

    #[wasm_bindgen_test]
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

    #[wasm_bindgen_test]
    fn the_servers_limits_are_explained_in_words_not_as_unreadable() {
        let status = |status: u16, code: &str| FetchError::Status {
            status,
            code: String::from(code),
            max_quantity: None,
            field: None,
        };
        assert_eq!(
            error_text(strings(), &status(429, "rate_limited")),
            strings().too_many_attempts
        );
        assert_eq!(
            error_text(strings(), &status(408, "request_timeout")),
            strings().timeout
        );
        assert_eq!(
            error_text(strings(), &status(418, "teapot")),
            strings().malformed
        );
    }

    #[wasm_bindgen_test]
    fn a_transient_failure_keeps_the_key() {
        let mut form = Form::new(1, None, String::from("k1"));
        form.submitting = true;
        form.failed("down");
        assert_eq!(form.idempotency_key, "k1");
        assert_eq!(form.notice.as_deref(), Some("down"));
        assert!(!form.submitting);
    }

    #[wasm_bindgen_test]
    fn the_button_beside_the_status_follows_load_form_and_reservation() {
        let ready = Load::Ready(backorder(None));
        assert_eq!(ready.action(false, &Mine::Nothing), Action::Reserve);
        assert_eq!(ready.action(true, &Mine::Nothing), Action::None);
        let remembered = Mine::Checking(Remembered {
            id: String::from("rsv_1"),
            quantity: 1,
        });
        assert_eq!(ready.action(false, &remembered), Action::None);
        assert_eq!(ready.action(false, &Mine::Cancelled), Action::Reserve);
        assert_eq!(
            Load::Failed(FetchError::Timeout).action(false, &Mine::Nothing),
            Action::Retry
        );
        assert_eq!(Load::Loading.action(false, &Mine::Nothing), Action::None);
    }

    #[wasm_bindgen_test]
    fn the_panel_offers_cancel_only_while_there_is_a_reservation() {
        let remembered = Mine::Checking(Remembered {
            id: String::from("rsv_1"),
            quantity: 2,
        });
        let panel = remembered.panel(Lang::En, strings()).unwrap();
        assert!(panel.cancellable);
        assert!(panel.text.contains('2'), "{}", panel.text);
        let cancelled = Mine::Cancelled.panel(Lang::En, strings()).unwrap();
        assert!(!cancelled.cancellable);
        assert_eq!(Mine::Nothing.panel(Lang::En, strings()), None);
    }

    #[wasm_bindgen_test]
    fn out_of_stock_offers_to_email_when_back_until_subscribed() {
        let mut out = backorder(Some(0));
        out.status = Status::OutOfStock;
        out.fulfillable = false;
        let mut state = State {
            load: Load::Ready(out),
            form: None,
            mine: Mine::Nothing,
            subscribed: false,
            announced: String::new(),
        };
        assert_eq!(state.action(), Action::Notify);
        state.form = Some(Form::notify());
        assert_eq!(state.action(), Action::None, "the form is open");
        state.form = None;
        state.subscribed = true;
        assert_eq!(
            state.action(),
            Action::None,
            "subscribed: nothing more to ask"
        );
        state.subscribed = false;
        state.load = Load::Ready(backorder(None));
        assert_eq!(
            state.action(),
            Action::Reserve,
            "backorder: reserve instead"
        );
    }

    #[wasm_bindgen_test]
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

    #[wasm_bindgen_test]
    fn no_preview_without_an_outlook_when_backorders_are_possible() {
        let load = Load::Ready(backorder(None));
        assert_eq!(load.preview("2", Lang::En, strings()), None);
    }
}
