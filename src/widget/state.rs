//! What the widget knows and says, apart from the DOM and the network: plain
//! data, the change each shopper action and each API answer makes to it, and
//! the wording. `controller.rs` runs the requests and applies these changes;
//! the components in `view.rs` show the result. Compiled for every target, so
//! its tests run natively with `cargo test` (wording takes a [`Locale`]).

use super::form::{Field, Form, Purpose, Submission};
use super::i18n::{FormWords, Locale, Strings};
pub use super::load::{Action, FetchError, Load, error_text, retry_delay};
use super::mine::{Mine, Remembered, moved_later};
use super::part::Part;
use crate::api::{Reservation, ReservationStatus};
use crate::logic::{Date, Status};

/// Everything a widget shows.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub load: Load,
    /// The reservation form, while it is open.
    pub form: Option<Form>,
    pub mine: Mine,
    /// The shopper asked to be e-mailed when it is back (this visit).
    pub subscribed: bool,
    /// The shop mailed a confirmation link first (double opt-in): the
    /// shopper must click it before they are told.
    pub confirm_by_mail: bool,
    /// What the live region says: the status words as of the last change of
    /// status category, so a live update moving a number is not announced.
    pub announced: String,
    /// Waiting for the on-demand part (the forms) to carry out a click.
    pub part: Part,
    /// The likely ship date the shopper was last told, and how many days
    /// away it was when their reservation moved later (this visit).
    pub told: Option<Date>,
    pub moved_from: Option<u32>,
}

/// The elements a change can move the focus to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Quantity,
    Email,
    /// The "you reserved" panel.
    Mine,
    /// "We'll e-mail you when it's back".
    Subscribed,
    /// The button that opens the form.
    Opener,
}

impl From<Field> for Focus {
    fn from(field: Field) -> Focus {
        match field {
            Field::Quantity => Focus::Quantity,
            Field::Email => Focus::Email,
        }
    }
}

/// What an answer asks of the controller besides the new state.
#[must_use]
#[derive(Debug, Default, PartialEq)]
pub struct FollowUp {
    /// Move the focus here once the change is on screen.
    pub focus: Option<Focus>,
    /// Ask for the availability again: the answer changed what is left.
    pub reload: bool,
    /// Tell the page (`stock-status:error`): a failure it has not heard of.
    pub report: Option<FetchError>,
    /// What the shopper's storage should now hold for this product.
    pub store: Option<Store>,
}

#[derive(Debug, PartialEq)]
pub enum Store {
    Remember(Remembered),
    Forget,
}

impl State {
    /// Loading, with the reservation remembered from an earlier visit if any.
    pub fn new(remembered: Option<Remembered>) -> State {
        let told = remembered.as_ref().and_then(|remembered| remembered.told);
        State {
            told,
            moved_from: None,
            load: Load::Loading,
            form: None,
            mine: remembered.map_or(Mine::Nothing, Mine::Checking),
            subscribed: false,
            confirm_by_mail: false,
            announced: String::new(),
            part: Part::Idle,
        }
    }

    /// Shows `load`; the announcement follows only a change of category.
    pub fn show(&mut self, load: Load, locale: impl Locale) {
        if load.data_state() != self.load.data_state() || self.announced.is_empty() {
            self.announced = load.status_text(locale);
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

    /// Whether `focus`'s element is on screen in this state (a request to
    /// focus one that is not is dropped).
    pub fn shows(&self, focus: Focus) -> bool {
        match focus {
            Focus::Quantity => self
                .form
                .as_ref()
                .is_some_and(|form| form.purpose == Purpose::Reserve),
            Focus::Email => self.form.is_some(),
            Focus::Mine => self.mine != Mine::Nothing,
            Focus::Subscribed => self.says_subscribed(),
            Focus::Opener => matches!(self.action(), Action::Reserve | Action::Notify),
        }
    }

    /// The shopper opens the form; its first field takes the focus. A
    /// reservation starts at the widget's quantity, capped at what can be had.
    pub fn open_form(&mut self, purpose: Purpose, quantity: u32, key: fn() -> String) -> Focus {
        let (form, first) = match purpose {
            Purpose::Reserve => (
                Form::new(quantity, self.load.max_quantity(), key()),
                Focus::Quantity,
            ),
            Purpose::Notify => (Form::notify(), Focus::Email),
        };
        self.form = Some(form);
        first
    }

    /// "Not now": the focus goes back to the button that opened the form.
    pub fn close_form(&mut self) -> Focus {
        self.form = None;
        Focus::Opener
    }

    /// The shopper sends the form: what to send, or the field at fault (it
    /// takes the focus); `None` when no form is open or it is on its way.
    pub fn submit(&mut self, words: &FormWords) -> Option<Result<(Purpose, Submission), Field>> {
        let max_quantity = self.load.max_quantity();
        let form = self.form.as_mut().filter(|form| !form.submitting)?;
        Some(
            form.submit(max_quantity, words)
                .map(|submission| (form.purpose, submission)),
        )
    }

    fn edit_form(&mut self, change: impl FnOnce(&mut Form)) {
        if let Some(form) = &mut self.form {
            change(form);
        }
    }

    /// The answer to a reservation of `asked` units. A refusal that needs a
    /// changed form makes the next attempt a new one (`fresh_key`).
    pub fn reserved(
        &mut self,
        answer: Result<Reservation, FetchError>,
        asked: u32,
        strings: &Strings,
        words: &FormWords,
        fresh_key: fn() -> String,
    ) -> FollowUp {
        let error = match answer {
            Ok(reservation) => {
                let remembered = Remembered::of(&reservation);
                self.told = reservation.ship_date;
                self.form = None;
                self.mine = Mine::Placed(reservation);
                return FollowUp {
                    focus: Some(Focus::Mine),
                    reload: true,
                    store: Some(Store::Remember(remembered)),
                    ..FollowUp::default()
                };
            }
            Err(error) => error,
        };
        match error {
            FetchError::Status {
                status: 409,
                code,
                max_quantity,
                ..
            } if code == "customer_limit_reached" => {
                let allowed = max_quantity.unwrap_or(0);
                self.edit_form(|form| form.customer_limit(allowed, words, fresh_key()));
                FollowUp {
                    focus: Some(Focus::Quantity),
                    ..FollowUp::default()
                }
            }
            // Someone else took the units: show what is left, keep the shopper going.
            FetchError::Status {
                status: 409,
                max_quantity,
                ..
            } => {
                let max = max_quantity.unwrap_or(0);
                self.edit_form(|form| form.conflict(asked, max, words, fresh_key()));
                FollowUp {
                    reload: true,
                    ..FollowUp::default()
                }
            }
            FetchError::Status {
                status: 422, field, ..
            } => {
                let field = if field.as_deref() == Some("email") {
                    Field::Email
                } else {
                    Field::Quantity
                };
                self.edit_form(|form| form.rejected(field, asked, words, fresh_key()));
                FollowUp::default()
            }
            error => self.failed(error, strings),
        }
    }

    /// The answer to "email me when it's back" (`Ok(confirmed)`: `false`
    /// when the shop first mails a link to confirm).
    pub fn subscribed(
        &mut self,
        answer: Result<bool, FetchError>,
        strings: &Strings,
        words: &FormWords,
    ) -> FollowUp {
        match answer {
            Ok(confirmed) => {
                self.form = None;
                self.subscribed = true;
                self.confirm_by_mail = !confirmed;
                FollowUp {
                    focus: Some(Focus::Subscribed),
                    ..FollowUp::default()
                }
            }
            // It is back already: show it.
            Err(error) if error.status() == Some(409) => {
                self.form = None;
                FollowUp {
                    reload: true,
                    ..FollowUp::default()
                }
            }
            Err(error) if error.status() == Some(422) => {
                self.edit_form(|form| form.rejected(Field::Email, 1, words, String::new()));
                FollowUp {
                    focus: Some(Focus::Email),
                    ..FollowUp::default()
                }
            }
            Err(error) => self.failed(error, strings),
        }
    }

    /// A failure the form cannot help with: say so in the form (keeping its
    /// key, so sending again cannot reserve twice) and tell the page.
    fn failed(&mut self, error: FetchError, strings: &Strings) -> FollowUp {
        self.edit_form(|form| form.failed(error_text(strings, &error)));
        FollowUp {
            report: Some(error),
            ..FollowUp::default()
        }
    }

    /// The answer to cancelling the shopper's reservation (gone already: fine).
    pub fn cancelled(&mut self, answer: Result<(), FetchError>) -> FollowUp {
        match answer {
            Err(error) if error.status() != Some(404) => FollowUp {
                report: Some(error),
                ..FollowUp::default()
            },
            _ => {
                self.mine = Mine::Cancelled;
                FollowUp {
                    focus: Some(Focus::Mine),
                    reload: true,
                    store: Some(Store::Forget),
                    ..FollowUp::default()
                }
            }
        }
    }

    /// The reservation now ships later than the shopper was told: the panel
    /// says so, and this date is what they have been told from now on.
    fn note_move(&mut self, reservation: &Reservation) -> FollowUp {
        let Some(was) = self.told.and_then(|told| moved_later(told, reservation)) else {
            return FollowUp::default();
        };
        self.moved_from = Some(was);
        self.told = reservation.ship_date;
        FollowUp {
            store: Some(Store::Remember(Remembered::of(reservation))),
            ..FollowUp::default()
        }
    }

    /// The current state of the shopper's reservation: remembered from an
    /// earlier visit, or looked up again after a live change.
    pub fn checked(&mut self, answer: Result<Reservation, FetchError>) -> FollowUp {
        match answer {
            Ok(reservation) if reservation.status != ReservationStatus::Cancelled => {
                let follow_up = self.note_move(&reservation);
                // A confirmation just given stays until there is news.
                if !matches!(self.mine, Mine::Placed(_)) || self.moved_from.is_some() {
                    self.mine = Mine::Open(reservation);
                }
                follow_up
            }
            // Unreachable now: keep showing what we remember; try again next visit.
            Err(error) if error.status() != Some(404) => FollowUp::default(),
            _ => {
                // Gone before this visit: nothing to show. Gone while shown
                // (cancelled here or elsewhere): say so.
                self.mine = match self.mine {
                    Mine::Checking(_) | Mine::Nothing => Mine::Nothing,
                    _ => Mine::Cancelled,
                };
                FollowUp {
                    store: Some(Store::Forget),
                    ..FollowUp::default()
                }
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))] // natively: `cargo test --lib`
#[cfg(test)]
mod tests {
    use super::super::wording::{quote_of, status_line};
    use super::*;
    use crate::api::Availability;
    use crate::logic::Date;
    use crate::widget::i18n::{Lang, Plain};

    const EN: Plain = Plain(Lang::En);

    fn strings() -> &'static Strings {
        Lang::En.strings()
    }

    fn words() -> &'static FormWords {
        Lang::En.form_words()
    }

    fn key() -> String {
        String::from("fresh")
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
            ship_date_latest: Date::parse_iso("2026-03-08"),
            ships_in_days_latest: Some(6),
            as_of: String::from("2026-03-02T12:00:00Z"),
            schema_org_availability: String::from("https://schema.org/BackOrder"),
            backorder_outlook: None,
        }
    }

    fn out_of_stock() -> Availability {
        let mut out = backorder(Some(0));
        out.status = Status::OutOfStock;
        out.fulfillable = false;
        out
    }

    fn reservation(status: ReservationStatus) -> Reservation {
        Reservation {
            id: String::from("rsv_1"),
            sku: String::from("SKU-1"),
            quantity: 2,
            from_stock: 0,
            backordered: 2,
            filled: 0,
            outstanding: 2,
            status,
            ship_date: Date::parse_iso("2026-03-08"),
            ships_in_days: Some(1),
            ship_date_latest: Date::parse_iso("2026-03-08"),
            ships_in_days_latest: Some(1),
            email: String::from("j***@example.com"),
            created_at: String::from("2026-03-02T12:00:00Z"),
        }
    }

    fn refusal(
        status: u16,
        code: &str,
        max_quantity: Option<u32>,
        field: Option<&str>,
    ) -> FetchError {
        FetchError::Status {
            status,
            code: String::from(code),
            max_quantity,
            field: field.map(String::from),
        }
    }

    /// A backorder with the reservation form open and sent for 2 units.
    fn sending() -> State {
        let mut state = State::new(None);
        state.show(Load::Ready(backorder(Some(5))), EN);
        let _ = state.open_form(Purpose::Reserve, 2, || String::from("k1"));
        state.form.as_mut().unwrap().email = String::from("jane@example.com");
        assert!(matches!(state.submit(words()), Some(Ok(_))));
        state
    }

    fn remembered() -> Remembered {
        Remembered {
            id: String::from("rsv_1"),
            quantity: 2,
            told: None,
        }
    }

    #[test]
    fn the_status_line_says_what_ships_when() {
        let mut quote = quote_of(&backorder(None));
        assert_eq!(status_line(EN, &quote), "Backorder — ships in 6 days");
        quote.ships_in_days_latest = Some(9);
        assert_eq!(status_line(EN, &quote), "Backorder — ships in 6–9 days");
        (quote.ships_in_days, quote.ships_in_days_latest) = (Some(0), Some(0));
        assert_eq!(status_line(EN, &quote), "Backorder — ships today");
        (quote.from_stock, quote.backordered) = (3, 2);
        (quote.ships_in_days, quote.ships_in_days_latest) = (Some(1), Some(1));
        assert_eq!(
            status_line(EN, &quote),
            "3 in stock, 2 on backorder — ships in 1 day"
        );
        (quote.fulfillable, quote.max_quantity) = (false, Some(4));
        assert_eq!(status_line(EN, &quote), "Only 4 can be ordered");
        (
            quote.fulfillable,
            quote.backordered,
            quote.low_stock,
            quote.available,
        ) = (true, 0, true, 1);
        assert_eq!(
            status_line(Plain(Lang::Fr), &quote),
            "En stock — plus que 1 disponible"
        );
    }

    #[test]
    fn a_ship_window_reads_as_a_range_in_every_language() {
        let mut quote = quote_of(&backorder(None));
        (quote.ships_in_days, quote.ships_in_days_latest) = (Some(14), Some(18));
        let said = |lang, quote: &crate::logic::Quote| status_line(Plain(lang), quote);
        assert_eq!(said(Lang::En, &quote), "Backorder — ships in 14–18 days");
        assert_eq!(
            said(Lang::De, &quote),
            "Nachbestellung — Versand in 14–18 Tagen"
        );
        assert_eq!(
            said(Lang::Fr, &quote),
            "En réapprovisionnement — expédié sous 14–18 jours"
        );
        assert_eq!(
            said(Lang::Es, &quote),
            "Bajo pedido — se envía en 14–18 días"
        );
        // A range ending in one: plural in English and Spanish, singular in
        // German and French (CLDR plural ranges).
        (quote.ships_in_days, quote.ships_in_days_latest) = (Some(0), Some(1));
        assert_eq!(said(Lang::En, &quote), "Backorder — ships in 0–1 days");
        assert_eq!(said(Lang::Es, &quote), "Bajo pedido — se envía en 0–1 días");
        assert_eq!(
            said(Lang::De, &quote),
            "Nachbestellung — Versand in 0–1 Tag"
        );
        assert_eq!(
            said(Lang::Fr, &quote),
            "En réapprovisionnement — expédié sous 0–1 jour"
        );
    }

    #[test]
    fn the_live_region_speaks_only_when_the_category_changes() {
        let mut state = State::new(None);
        state.show(Load::Loading, EN);
        assert_eq!(state.announced, "Checking availability…");
        state.show(Load::Ready(backorder(None)), EN);
        assert_eq!(state.announced, "Backorder — ships in 6 days");
        let mut later = backorder(None);
        later.ships_in_days = Some(9);
        state.show(Load::Ready(later), EN);
        assert_eq!(
            state.announced, "Backorder — ships in 6 days",
            "same category"
        );
        assert_eq!(state.load.status_text(EN), "Backorder — ships in 9 days");
    }

    #[test]
    fn the_servers_limits_are_explained_in_words_not_as_unreadable() {
        let text = |status, code| error_text(strings(), &refusal(status, code, None, None));
        assert_eq!(text(429, "rate_limited"), strings().too_many_attempts);
        assert_eq!(text(408, "request_timeout"), strings().timeout);
        assert_eq!(text(418, "teapot"), strings().malformed);
        assert_eq!(text(404, "unknown_product"), strings().unknown_product);
    }

    #[test]
    fn a_passing_failure_is_retried_with_backoff_over_the_last_answer() {
        let ready = Load::Ready(backorder(None));
        for passing in [
            FetchError::Timeout,
            FetchError::Unreachable,
            refusal(503, "x", None, None),
        ] {
            assert!(ready.keeps_through(&passing), "{passing:?}");
            assert!(!Load::Loading.keeps_through(&passing), "nothing to keep");
            let delays: Vec<_> = (0..5)
                .map(|attempt| retry_delay(&passing, attempt))
                .collect();
            assert_eq!(
                delays,
                [Some(1_000), Some(2_000), Some(4_000), Some(8_000), None]
            );
        }
        let lasting = refusal(404, "unknown_product", None, None);
        assert!(!ready.keeps_through(&lasting));
        assert_eq!(retry_delay(&lasting, 0), None);
        assert_eq!(retry_delay(&FetchError::Malformed, 0), None);
    }

    #[test]
    fn a_live_update_that_changes_nothing_shown_is_ignored() {
        let ready = Load::Ready(backorder(None));
        let mut same = backorder(None);
        same.as_of = String::from("2026-03-02T12:00:05Z");
        assert!(ready.already_shows(&same));
        assert!(!ready.already_shows(&out_of_stock()));
        assert!(!Load::Loading.already_shows(&same));
    }

    #[test]
    fn the_button_beside_the_status_follows_load_form_and_reservation() {
        let ready = Load::Ready(backorder(None));
        assert_eq!(ready.action(false, &Mine::Nothing), Action::Reserve);
        assert_eq!(ready.action(true, &Mine::Nothing), Action::None);
        let checking = Mine::Checking(remembered());
        assert_eq!(ready.action(false, &checking), Action::None);
        assert_eq!(ready.action(false, &Mine::Cancelled), Action::Reserve);
        assert_eq!(
            Load::Failed(FetchError::Timeout).action(false, &Mine::Nothing),
            Action::Retry
        );
        assert_eq!(Load::Loading.action(false, &Mine::Nothing), Action::None);
    }

    #[test]
    fn out_of_stock_offers_to_email_when_back_until_subscribed() {
        let mut state = State::new(None);
        state.show(Load::Ready(out_of_stock()), EN);
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

    #[test]
    fn no_preview_without_an_outlook_when_backorders_are_possible() {
        let load = Load::Ready(backorder(None));
        assert_eq!(load.preview("2", EN), None);
    }

    #[test]
    fn the_panel_offers_cancel_only_while_there_is_a_reservation() {
        let panel = Mine::Checking(remembered()).panel(EN, None).unwrap();
        assert!(panel.cancellable);
        assert_eq!(panel.text, "You reserved 2");
        let placed = Mine::Placed(reservation(ReservationStatus::Reserved)).panel(EN, None);
        assert_eq!(
            placed.unwrap().text,
            "Reserved: 2 · Reference rsv_1 · Expected to ship on 2026-03-08."
        );
        let open = Mine::Open(reservation(ReservationStatus::Reserved)).panel(EN, None);
        assert_eq!(open.unwrap().text, "You reserved 2 — ships in 1 day");
        let ready = Mine::Open(reservation(ReservationStatus::Ready)).panel(EN, None);
        assert_eq!(ready.unwrap().text, "You reserved 2 — ready to ship");
        let cancelled = Mine::Cancelled.panel(EN, None).unwrap();
        assert!(!cancelled.cancellable);
        assert_eq!(Mine::Nothing.panel(EN, None), None);
    }

    #[test]
    fn the_panel_shows_the_reservations_window() {
        let mut windowed = reservation(ReservationStatus::Reserved);
        windowed.ship_date_latest = Date::parse_iso("2026-03-12");
        windowed.ships_in_days_latest = Some(5);
        let placed = Mine::Placed(windowed.clone()).panel(EN, None).unwrap();
        assert_eq!(
            placed.text,
            "Reserved: 2 · Reference rsv_1 · Expected to ship between 2026-03-08 and 2026-03-12."
        );
        let open = Mine::Open(windowed).panel(Plain(Lang::De), None).unwrap();
        assert_eq!(open.text, "Sie haben 2 reserviert — Versand in 1–5 Tagen");
    }

    #[test]
    fn opening_and_closing_the_form_moves_the_focus() {
        let mut state = State::new(None);
        state.show(Load::Ready(backorder(Some(3))), EN);
        assert_eq!(state.open_form(Purpose::Reserve, 10, key), Focus::Quantity);
        assert_eq!(state.form.as_ref().unwrap().quantity, "3", "capped");
        assert_eq!(state.close_form(), Focus::Opener);
        assert!(state.form.is_none() && state.shows(Focus::Opener));
        let _ = state.open_form(Purpose::Reserve, 1, key);
        // The status changed while the form was open: no button to go back to.
        state.show(Load::Ready(out_of_stock()), EN);
        state.subscribed = true;
        let _ = state.close_form();
        assert!(!state.shows(Focus::Opener), "the request is dropped");
        state.subscribed = false;
        let no_key = || unreachable!("no key to subscribe");
        assert_eq!(state.open_form(Purpose::Notify, 1, no_key), Focus::Email);
        assert!(!state.shows(Focus::Quantity) && state.shows(Focus::Email));
    }

    #[test]
    fn a_form_at_fault_sends_nothing_and_focuses_the_field() {
        let mut state = State::new(None);
        state.show(Load::Ready(backorder(Some(3))), EN);
        let _ = state.open_form(Purpose::Reserve, 1, key);
        state.form.as_mut().unwrap().email = String::from("jane@");
        assert_eq!(state.submit(words()), Some(Err(Field::Email)));
        state.form.as_mut().unwrap().email = String::from("jane@example.com");
        let (purpose, submission) = state.submit(words()).unwrap().expect("valid");
        assert_eq!((purpose, submission.quantity), (Purpose::Reserve, 1));
        assert_eq!(state.submit(words()), None, "a second click sends nothing");
    }

    #[test]
    fn a_placed_reservation_is_confirmed_remembered_and_focused() {
        let mut state = sending();
        let answer = Ok(reservation(ReservationStatus::Reserved));
        let follow_up = state.reserved(answer, 2, strings(), words(), key);
        assert_eq!(
            follow_up,
            FollowUp {
                focus: Some(Focus::Mine),
                reload: true,
                report: None,
                // With the date it was told, to tell it when that moves.
                store: Some(Store::Remember(Remembered {
                    told: Date::parse_iso("2026-03-08"),
                    ..remembered()
                })),
            }
        );
        assert_eq!(state.form, None);
        assert!(matches!(state.mine, Mine::Placed(_)) && state.shows(Focus::Mine));
        assert_eq!(
            state.action(),
            Action::Reserve,
            "another reservation is possible"
        );
    }

    #[test]
    fn the_cap_per_customer_keeps_the_form_and_focuses_the_quantity() {
        let mut state = sending();
        let answer = Err(refusal(409, "customer_limit_reached", Some(1), None));
        let follow_up = state.reserved(answer, 2, strings(), words(), key);
        assert_eq!(follow_up.focus, Some(Focus::Quantity));
        assert!(!follow_up.reload && follow_up.report.is_none());
        let form = state.form.as_ref().unwrap();
        assert_eq!(
            form.quantity_error.as_deref(),
            Some("With this e-mail address you can reserve 1 more at most.")
        );
        assert_eq!(
            (form.idempotency_key.as_str(), form.submitting),
            ("fresh", false)
        );
    }

    #[test]
    fn a_race_lost_at_the_server_offers_what_is_left_and_asks_again() {
        let mut state = sending();
        let answer = Err(refusal(409, "insufficient_stock", Some(1), None));
        let follow_up = state.reserved(answer, 2, strings(), words(), key);
        assert!(follow_up.reload && follow_up.report.is_none());
        let form = state.form.as_ref().unwrap();
        assert_eq!(form.quantity, "1");
        assert_eq!(form.idempotency_key, "fresh");
        assert_eq!(
            form.notice.as_deref(),
            Some("Someone just took some of these. You can still reserve up to 1.")
        );
    }

    #[test]
    fn a_refused_field_is_marked_and_the_next_attempt_is_new() {
        let mut state = sending();
        let answer = Err(refusal(422, "invalid_email", None, Some("email")));
        assert_eq!(
            state.reserved(answer, 2, strings(), words(), key),
            FollowUp::default()
        );
        let form = state.form.as_ref().unwrap();
        assert_eq!(form.email_error.as_deref(), Some(words().email_invalid));
        assert_eq!(form.idempotency_key, "fresh");
        let mut state = sending();
        let answer = Err(refusal(422, "invalid_quantity", None, None));
        let _ = state.reserved(answer, 2, strings(), words(), key);
        let form = state.form.as_ref().unwrap();
        assert_eq!(
            form.quantity_error.as_deref(),
            Some("Enter a quantity from 1 to 2.")
        );
    }

    #[test]
    fn any_other_failure_keeps_the_key_and_is_reported() {
        let mut state = sending();
        let follow_up = state.reserved(Err(FetchError::Timeout), 2, strings(), words(), key);
        assert_eq!(follow_up.report, Some(FetchError::Timeout));
        assert!(!follow_up.reload && follow_up.store.is_none());
        let form = state.form.as_ref().unwrap();
        assert_eq!(
            form.idempotency_key, "k1",
            "sending again cannot reserve twice"
        );
        assert_eq!(form.notice.as_deref(), Some(strings().timeout));
        assert!(!form.submitting);
    }

    #[test]
    fn an_answer_after_the_form_was_closed_leaves_it_closed() {
        let mut state = sending();
        let _ = state.close_form();
        let answer = Err(refusal(409, "customer_limit_reached", Some(1), None));
        let _ = state.reserved(answer, 2, strings(), words(), key);
        assert_eq!(state.form, None);
        assert!(
            !state.shows(Focus::Quantity),
            "the focus request is dropped"
        );
    }

    #[test]
    fn subscribing_confirms_or_explains() {
        let notify = || {
            let mut state = State::new(None);
            state.show(Load::Ready(out_of_stock()), EN);
            let _ = state.open_form(Purpose::Notify, 1, key);
            state
        };
        let mut state = notify();
        let done = state.subscribed(Ok(true), strings(), words());
        assert_eq!(done.focus, Some(Focus::Subscribed));
        assert!(!done.reload && done.report.is_none());
        assert!(state.says_subscribed() && state.form.is_none());

        let mut state = notify();
        let back = state.subscribed(
            Err(refusal(409, "in_stock", None, None)),
            strings(),
            words(),
        );
        assert!(back.reload && state.form.is_none() && !state.subscribed);

        let mut state = notify();
        let refused = state.subscribed(
            Err(refusal(422, "invalid_email", None, None)),
            strings(),
            words(),
        );
        assert!(state.form.as_ref().unwrap().email_error.is_some());
        assert_eq!(refused.focus, Some(Focus::Email));

        let mut state = notify();
        let down = state.subscribed(
            Err(refusal(500, "internal", None, None)),
            strings(),
            words(),
        );
        assert!(down.report.is_some());
        let form = state.form.as_ref().unwrap();
        assert_eq!(form.notice.as_deref(), Some(strings().server_error));
    }

    #[test]
    fn cancelling_forgets_the_reservation_unless_the_store_cannot_be_reached() {
        for gone in [Ok(()), Err(refusal(404, "not_found", None, None))] {
            let mut state = State::new(Some(remembered()));
            let follow_up = state.cancelled(gone);
            assert_eq!(state.mine, Mine::Cancelled);
            assert_eq!(follow_up.focus, Some(Focus::Mine));
            assert!(follow_up.reload && follow_up.store == Some(Store::Forget));
        }
        let mut state = State::new(Some(remembered()));
        let follow_up = state.cancelled(Err(FetchError::Unreachable));
        assert_eq!(follow_up.report, Some(FetchError::Unreachable));
        assert_eq!(state.mine, Mine::Checking(remembered()));
    }

    #[test]
    fn a_remembered_reservation_is_shown_while_open_and_forgotten_when_not() {
        let mut state = State::new(Some(remembered()));
        let _ = state.checked(Ok(reservation(ReservationStatus::Ready)));
        assert!(matches!(state.mine, Mine::Open(_)));
        for gone in [
            Ok(reservation(ReservationStatus::Cancelled)),
            Err(refusal(404, "not_found", None, None)),
        ] {
            let mut state = State::new(Some(remembered()));
            assert_eq!(state.checked(gone).store, Some(Store::Forget));
            assert_eq!(state.mine, Mine::Nothing);
        }
        let mut state = State::new(Some(remembered()));
        assert_eq!(state.checked(Err(FetchError::Timeout)), FollowUp::default());
        assert_eq!(
            state.mine,
            Mine::Checking(remembered()),
            "kept for the next visit"
        );
    }

    #[test]
    fn a_reservation_that_moved_later_says_so_once_and_is_remembered_moved() {
        // Told on placing: ships on 2026-03-08 (in 1 day, today 2026-03-07).
        let mut state = State::new(Some(Remembered {
            told: Date::parse_iso("2026-03-08"),
            ..remembered()
        }));
        let mut later = reservation(ReservationStatus::Reserved);
        (later.ship_date, later.ships_in_days) = (Date::parse_iso("2026-03-27"), Some(20));
        (later.ship_date_latest, later.ships_in_days_latest) =
            (Date::parse_iso("2026-03-31"), Some(24));
        let follow_up = state.checked(Ok(later.clone()));
        let Some(Store::Remember(kept)) = follow_up.store else {
            panic!("the new date is remembered");
        };
        assert_eq!(kept.told, Date::parse_iso("2026-03-27"));
        assert_eq!(state.moved_from, Some(1));
        let panel = state.mine.panel(EN, state.moved_from).unwrap();
        assert_eq!(
            panel.text,
            "You reserved 2 — now ships in 20–24 days (was 1)"
        );
        // Looked up again, unchanged: nothing more to store or say anew.
        assert_eq!(state.checked(Ok(later)).store, None);
        // Earlier than told is no news.
        let mut sooner = State::new(Some(Remembered {
            told: Date::parse_iso("2026-03-20"),
            ..remembered()
        }));
        assert_eq!(
            sooner
                .checked(Ok(reservation(ReservationStatus::Reserved)))
                .store,
            None
        );
        assert_eq!(sooner.moved_from, None);
    }

    #[test]
    fn a_confirmation_just_given_stays_until_its_date_moves() {
        let mut state = sending();
        let placed = reservation(ReservationStatus::Reserved);
        let _ = state.reserved(Ok(placed.clone()), 2, strings(), words(), key);
        assert!(matches!(state.mine, Mine::Placed(_)));
        let _ = state.checked(Ok(placed));
        assert!(
            matches!(state.mine, Mine::Placed(_)),
            "no news: the confirmation stays"
        );
        let mut later = reservation(ReservationStatus::Reserved);
        (later.ship_date, later.ships_in_days) = (Date::parse_iso("2026-03-10"), Some(3));
        let _ = state.checked(Ok(later));
        assert!(matches!(state.mine, Mine::Open(_)));
        assert_eq!(state.moved_from, Some(1));
    }

    #[test]
    fn a_reservation_found_cancelled_while_shown_says_so() {
        let mut state = State::new(None);
        state.mine = Mine::Open(reservation(ReservationStatus::Reserved));
        let follow_up = state.checked(Ok(reservation(ReservationStatus::Cancelled)));
        assert_eq!(follow_up.store, Some(Store::Forget));
        assert_eq!(state.mine, Mine::Cancelled);
        // Its own cancel shown first, a look-up still on its way after it.
        let _ = state.checked(Err(refusal(404, "not_found", None, None)));
        assert_eq!(state.mine, Mine::Cancelled);
    }

    #[test]
    fn a_subscription_to_confirm_by_mail_says_to_check_the_inbox() {
        let mut state = State::new(None);
        state.show(Load::Ready(out_of_stock()), EN);
        state.open_form(Purpose::Notify, 1, key);
        let _ = state.subscribed(Ok(false), strings(), words());
        assert!(state.says_subscribed());
        assert!(state.confirm_by_mail);
        let _ = state.subscribed(Ok(true), strings(), words());
        assert!(!state.confirm_by_mail);
    }
}
