//! The shopper's actions on a [`Widget`]: opening and closing the form,
//! typing, sending it (a reservation or "email me"), cancelling a
//! reservation — and fetching the on-demand part they need first
//! (`on_demand.rs`): at once when it is here, else with a busy button, or a
//! failure the widget says with a retry.

use super::controller::split;
use super::form::{Form, Purpose, Submission};
use super::handle::Widget;
use super::host;
use super::http;
use super::on_demand;
use super::part::Intent;
use super::state::State;
use leptos::prelude::*;

impl Widget {
    /// "Reserve" / "Email me when it's back": opens the form once the
    /// on-demand part is here (at once when it already is).
    pub fn open_form(self, purpose: Purpose) {
        self.when_part_is_here(Intent::Open(purpose));
    }

    /// "Cancel reservation", carried out by the on-demand part.
    pub fn cancel_mine(self) {
        self.when_part_is_here(Intent::Cancel);
    }

    /// "Try again" after the on-demand part could not be fetched.
    pub fn retry_part(self) {
        if let Some(intent) = self
            .state
            .with_untracked(|state| state.part.failed_intent())
        {
            self.when_part_is_here(intent);
        }
    }

    /// The shopper may soon need the on-demand part: fetch it now, quietly
    /// (a failure shows only if they then ask for it).
    pub fn prefetch_part(self) {
        if !on_demand::is_loaded() {
            self.spawn(async {
                let _ = on_demand::load().await;
            });
        }
    }

    /// Fetches the on-demand part once the page is idle (unless it is here).
    pub(super) fn prefetch_part_when_idle(self) {
        if !on_demand::is_loaded() {
            self.spawn(async move {
                host::idle().await;
                self.prefetch_part();
            });
        }
    }

    /// Carries out `intent` now if the on-demand part is here; else the
    /// button says it is busy until it arrives, or the widget says it failed.
    fn when_part_is_here(self, intent: Intent) {
        if on_demand::is_loaded() {
            return self.carry_out(intent);
        }
        if self.change(|state| state.part.ask(intent)) != Some(true) {
            return;
        }
        self.spawn(async move {
            let loaded = on_demand::load().await.is_ok();
            if let Some(intent) = self.change(|state| state.part.arrived(loaded)).flatten() {
                self.carry_out(intent);
            }
        });
    }

    fn carry_out(self, intent: Intent) {
        match intent {
            // The part is here: these cannot fail, and answer within the
            // task (no network), so the form is on screen in the next frame.
            Intent::Open(purpose) => self.spawn(async move {
                let opening = on_demand::Opening {
                    widget: self,
                    purpose,
                };
                let Ok(form) = on_demand::form_view(opening).await else {
                    return;
                };
                self.config
                    .with_value(|config| config.form_view.replace(Some(form)));
                let quantity = self.quantity;
                let first =
                    self.change(|state| state.open_form(purpose, quantity, host::fresh_key));
                self.focus(first);
            }),
            Intent::Cancel => self.spawn(async move {
                let _ = on_demand::cancel(self).await;
            }),
        }
    }

    /// The form the on-demand part built for the form just opened (taken
    /// once: the view shows it until the form closes).
    pub fn take_form_view(self) -> Option<AnyView> {
        self.config
            .try_with_value(|config| config.form_view.take())
            .flatten()
    }

    pub fn close_form(self) {
        let opener = self.change(State::close_form);
        self.focus(opener);
    }

    pub fn edit_form(self, change: impl FnOnce(&mut Form)) {
        self.state.update(|state| {
            if let Some(form) = &mut state.form {
                change(form);
            }
        });
    }

    pub fn submit(self) {
        let words = self.lang.form_words();
        let (purpose, submission) = match self.change(|state| state.submit(words)).flatten() {
            Some(Ok(sending)) => sending,
            Some(Err(field)) => return self.focus(Some(field.into())),
            None => return,
        };
        match purpose {
            Purpose::Reserve => self.reserve(submission),
            Purpose::Notify => self.subscribe(submission.email),
        }
    }

    fn reserve(self, submission: Submission) {
        let (strings, words) = (self.strings, self.lang.form_words());
        self.spawn(async move {
            let (api, sku) = (self.api(), self.sku());
            let asked = submission.quantity;
            let result = http::create_reservation(
                &api,
                &sku,
                asked,
                &submission.email,
                self.lang.code(),
                &submission.idempotency_key,
            )
            .await;
            let (answer, raw) = split(result);
            let Some(follow_up) =
                self.change(|state| state.reserved(answer, asked, strings, words, host::fresh_key))
            else {
                return;
            };
            if let Some(raw) = raw {
                self.emit("reserved", &raw);
            }
            self.follow(follow_up);
        });
    }

    /// "Email me when it's back": the merchant's mailer writes when it is.
    fn subscribe(self, email: String) {
        let (strings, words) = (self.strings, self.lang.form_words());
        self.spawn(async move {
            let (api, sku) = (self.api(), self.sku());
            let result = http::subscribe(&api, &sku, &email, self.lang.code()).await;
            let (answer, raw) = split(result);
            let answer = answer.map(|subscription| subscription.confirmed);
            let Some(follow_up) = self.change(|state| state.subscribed(answer, strings, words))
            else {
                return;
            };
            if let Some(raw) = raw {
                self.emit("subscribed", &raw);
            }
            self.follow(follow_up);
        });
    }

    /// Cancels the shopper's reservation (from the on-demand part).
    pub fn cancel_now(self) {
        let Some(id) = self
            .state
            .with_untracked(|state| state.mine.reference().map(str::to_owned))
        else {
            return;
        };
        self.spawn(async move {
            let answer = http::cancel_reservation(&self.api(), &id).await;
            let answer = answer.map(drop);
            if let Some(follow_up) = self.change(|state| state.cancelled(answer)) {
                self.follow(follow_up);
            }
        });
    }
}
