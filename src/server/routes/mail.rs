//! The mails the server wrote to shoppers, for the merchant to look at
//! (the demo keeps them instead of sending them).

use crate::api::ErrorBody;
use crate::server::AppState;
use crate::server::clock::rfc3339;
use crate::server::error::ApiError;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// How many mails the preview lists.
const PREVIEW: u32 = 100;

/// One mail to a shopper, as written.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MailView {
    pub to: String,
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MailList {
    /// Newest first, at most 100.
    pub mails: Vec<MailView>,
}

/// The newest 100 mails written to shoppers (sent, waiting, or — in the
/// demo without an SMTP server — only kept).
#[utoipa::path(
    get,
    path = "/api/v1/admin/mail",
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, body = MailList),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`admin_disabled`", body = ErrorBody),
    )
)]
pub async fn list_mail(State(state): State<AppState>) -> Result<Json<MailList>, ApiError> {
    let mails = state.shop.mails(PREVIEW).await?;
    Ok(Json(MailList {
        mails: mails
            .into_iter()
            .map(|kept| MailView {
                to: kept.mail.to,
                subject: kept.mail.subject,
                text: kept.mail.text,
                html: kept.mail.html,
                created_at: rfc3339(kept.created_ms.div_euclid(1000)),
            })
            .collect(),
    }))
}
