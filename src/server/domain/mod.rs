//! Domain types: the values every layer above passes around, parsed once at
//! the edge (a request, a CSV line) and carried inward as such.
//!
//! May not touch: axum, SQL, the clock. Validation fails with
//! [`ValidationError`] (the field and a message for people); the routes turn
//! it into a 422, the CSV import into a line's error. Limits are constants
//! here, read by the messages and by the OpenAPI document alike.

mod audit;
pub mod catalog;
mod delay;
pub mod demand;
mod error;
mod ids;
mod outbound;
mod product;
mod reservation;
mod subscription;
mod supplier;
mod webhook;

pub use audit::{
    AUDIT_RETENTION_DAYS, Actor, AuditEntry, AuditOperation, AuditPage, Audited,
    DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE, stock_change,
};
pub use delay::{
    CancelLinks, DelayMark, DelayReason, NoticeDecision, new_link_secret, notice_decision,
};
pub use error::ValidationError;
pub use ids::{
    Email, EndpointId, IdempotencyKey, Lang, Language, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_QUANTITY,
    MAX_SKU_LENGTH, MAX_SUPPLY_ID_LENGTH, PurchaseOrderId, Quantity, ReservationId, Sku,
    SubscriptionToken, SupplierId, fold_email, mask_email, new_reference,
};
pub use outbound::{OutboundPolicy, Refused, is_public, literal_host};
pub use product::{
    MAX_LEAD_TIME_DAYS, MAX_NAME_LENGTH, MAX_PURCHASE_ORDERS, PlannedOrder, Product,
    ProductSettings, ProductSettingsBody, PurchaseOrderBody, PurchaseOrderLine, ReorderMark,
    ServiceLevel,
};
pub use reservation::{
    CancelOutcome, MAIL_LANGS, NewReservation, QueuedReservation, ReceiptOutcome, ReceiptRequest,
    ReservationRecord, ReservationState, mail_lang,
};
pub use subscription::{MAX_SUBSCRIPTIONS_PER_PRODUCT, Subscribed, Subscription};
pub use supplier::{Reliability, Supplier, SupplierBody, SupplierReceipt, SupplierSettings};
pub use webhook::{
    Attempt, AttemptOutcome, Claim, Disabled, Due, Endpoint, EndpointState, EventType, Finished,
    MAX_ENDPOINTS, MAX_URL_LENGTH, OutboxEvent, WebhookUrl,
};
