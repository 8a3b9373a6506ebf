//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::{admin, availability, reservations};
use crate::api::{
    Availability, AvailabilityList, ErrorBody, ErrorDetail, Reservation, ReservationRequest,
    ReservationStatus,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "stock-widget API",
        description = "Live availability and backorder reservations. Implement this contract on your own backend to point the widget at it.",
    ),
    paths(
        availability::product_availability,
        availability::batch_availability,
        reservations::create_reservation,
        reservations::get_reservation,
        reservations::cancel_reservation,
        admin::put_product,
        admin::get_product,
        admin::record_receipt,
        admin::list_queue,
    ),
    components(schemas(
        Availability, AvailabilityList, ErrorBody, ErrorDetail, Reservation, ReservationRequest, ReservationStatus,
        admin::ProductSettingsBody, admin::PurchaseOrderBody, admin::AdminProduct, admin::ReceiptBody,
        admin::ReceiptResult, admin::FilledReservation, admin::QueueView, admin::QueuedReservationView,
    )),
    modifiers(&AdminToken),
    tags(
        (name = "public", description = "For the widget; CORS-enabled for the allowed origins"),
        (name = "admin", description = "For the merchant; `Authorization: Bearer <admin token>`; same-origin only"),
    )
)]
pub struct ApiDoc;

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
