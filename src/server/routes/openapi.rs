//! The OpenAPI 3 document, generated from the handlers' annotations.

use super::availability::MAX_BATCH_SKUS;
use super::{
    admin, audit, availability, demand, insight, mail, reservations, stream, subscriptions,
    suppliers, webhooks,
};
use crate::api::{
    Availability, AvailabilityList, ErrorBody, ErrorDetail, Reservation, ReservationRequest,
    ReservationStatus, SubscriptionConfirmation, SubscriptionRequest,
};
use crate::api::{MAX_EMAIL_LENGTH, MAX_EMAIL_LOCAL_LENGTH, MAX_REQUEST_QUANTITY};
use crate::server::domain::catalog::MAX_BULK_PRODUCTS;
use crate::server::domain::demand::MAX_DEMAND_ROWS;
use crate::server::domain::{self, Lang, Sku};
use axum::Json;
use serde_json::{Value, json};
use std::sync::OnceLock;
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
        stream::availability_stream,
        reservations::create_reservation,
        reservations::get_reservation,
        reservations::cancel_reservation,
        admin::put_product,
        admin::put_products,
        admin::get_product,
        admin::record_receipt,
        demand::record_sale,
        demand::put_demand,
        admin::list_queue,
        insight::product_insight,
        insight::list_insight,
        insight::insight_csv,
        suppliers::put_supplier,
        suppliers::list_suppliers,
        suppliers::get_supplier,
        subscriptions::subscribe,
        subscriptions::unsubscribe,
        webhooks::create_webhook,
        webhooks::list_webhooks,
        webhooks::delete_webhook,
        webhooks::list_deliveries,
        mail::list_mail,
        audit::list_audit,
    ),
    components(schemas(
        Availability, AvailabilityList, ErrorBody, ErrorDetail, Reservation, ReservationRequest, ReservationStatus,
        domain::ProductSettingsBody, domain::PurchaseOrderBody, admin::AdminProduct, admin::ReceiptBody,
        admin::ReceiptResult, admin::FilledReservation, admin::QueueView, admin::QueuedReservationView,
        admin::BulkProductsBody, admin::BulkProductItem, admin::BulkResult, admin::BulkErrorBody,
        admin::BulkErrorDetail, domain::catalog::ItemError, admin::PurchaseOrderView,
        domain::SupplierBody, domain::Reliability, suppliers::SupplierView, suppliers::SupplierList,
        SubscriptionRequest, SubscriptionConfirmation,
        webhooks::WebhookRequest, webhooks::WebhookCreated, webhooks::Webhook, webhooks::WebhookList,
        webhooks::DeliveryAttempt, webhooks::DeliveryLog, domain::EventType,
        mail::MailView, mail::MailList,
        audit::AuditLogView, audit::AuditEntryView, domain::AuditOperation,
        insight::InsightView, insight::InsightList, insight::DemandPoint, insight::LeadTimeFrom,
        demand::SaleBody, demand::DemandBody, domain::demand::DemandRowBody, demand::DemandResult,
    )),
    modifiers(&AdminToken),
    tags(
        (name = "public", description = "For the widget; CORS-enabled for the allowed origins"),
        (name = "admin", description = "For the merchant; `Authorization: Bearer <admin token>` (a read-only token: the `GET`s only); same-origin only"),
    )
)]
pub struct ApiDoc;

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An admin token (`--admin-token`, several may be valid at once) for every admin operation, or a read-only token (`--read-only-token`) for the admin `GET`s only. Wrong tokens are limited per client address: beyond the limit every admin request from it is `429 too_many_failed_logins` for `Retry-After` seconds, whatever its token.",
                    ))
                    .build(),
            ),
        );
    }
}

/// `GET /api/v1/openapi.json`
pub async fn openapi_json() -> Json<Value> {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    Json(DOCUMENT.get_or_init(document).clone())
}

/// The generated document, with every rule the server enforces written in:
/// a request the schema allows is one the server accepts, and the reverse
/// (a fuzzer checks both in the test suite).
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON");
    constrain_parameters(&mut doc);
    constrain_bodies(&mut doc["components"]["schemas"]);
    document_common_errors(&mut doc);
    document_store_outages(&mut doc);
    link_operations(&mut doc);
    describe_stream(&mut doc);
    doc
}

/// Each event of the availability stream is an `availability` event whose
/// `data` is an `Availability` in JSON: OpenAPI 3.2's `itemSchema`, which
/// tools that read event streams check event by event.
fn describe_stream(doc: &mut Value) {
    let ok = &mut doc["paths"]["/api/v1/availability/stream"]["get"]["responses"]["200"];
    ok["content"] = json!({
        "text/event-stream": {
            "itemSchema": {
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": {"const": "availability"},
                    "data": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": {"$ref": "#/components/schemas/Availability"},
                    },
                    "id": {"type": "string"},
                    "retry": {"type": "integer", "minimum": 0},
                },
            },
        },
    });
}

/// What `api::is_plausible_email` accepts (with `maxLength`): one `@`, no
/// spaces, controls or `<>",;`, a local part of 1–64 characters, and a dotted
/// domain whose labels are not empty and neither start nor end with `-`.
fn email_pattern() -> String {
    // A character allowed anywhere in the address but `@` and `.`.
    let plain = r#"[^@\s<>",;.\x00-\x1f\x7f-\x9f]"#;
    // …and neither `-`: the first and last character of a domain label.
    let edge = r#"[^@\s<>",;.\x00-\x1f\x7f-\x9f-]"#;
    let label = format!("{edge}(?:{plain}*{edge})?");
    format!(
        r#"^[^@\s<>",;\x00-\x1f\x7f-\x9f]{{1,{MAX_EMAIL_LOCAL_LENGTH}}}@(?:{label}\.)+{label}$"#
    )
}

fn operations(doc: &mut Value) -> impl Iterator<Item = (&str, &mut Value)> {
    doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.iter_mut())
        .map(|(method, operation)| (method.as_str(), operation))
}

/// The parameters that are not one domain value: a list of SKUs, and the
/// quantity. (A SKU, a reference or an idempotency key is documented by its
/// type's own schema: `inline(Sku)` in the route's `params`.)
fn constrain_parameters(doc: &mut Value) {
    for (_, operation) in operations(doc) {
        constrain_operation_parameters(operation);
    }
}

fn constrain_operation_parameters(operation: &mut Value) {
    // `get_mut`: indexing would add `"parameters": null` where there are none.
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters {
        // A header is absent or text, never null: an optional header of a
        // domain type (`inline(Option<IdempotencyKey>)`) is its type's schema.
        if parameter["in"] == "header"
            && let Some([null, schema]) = parameter["schema"]["oneOf"].as_array().map(Vec::as_slice)
            && *null == json!({"type": "null"})
        {
            parameter["schema"] = schema.clone();
        }
        let schema = match parameter["name"].as_str().unwrap_or("") {
            "skus" => json!({
                "type": "string",
                "pattern": format!(
                    "^{sku}(,{sku}){{0,{more}}}$",
                    sku = Sku::pattern(),
                    more = MAX_BATCH_SKUS - 1
                ),
            }),
            "quantity" => {
                json!({"type": "integer", "minimum": 1, "maximum": MAX_REQUEST_QUANTITY})
            }
            "limit" => json!({"type": "integer", "minimum": 1, "maximum": domain::MAX_AUDIT_PAGE}),
            "before" => json!({"type": "integer", "minimum": 1, "maximum": i64::MAX}),
            _ => continue,
        };
        parameter["schema"] = schema;
    }
}

/// Request bodies: no unknown fields (the server refuses them), and the
/// limits the handlers check.
fn constrain_bodies(schemas: &mut Value) {
    for name in [
        "ReservationRequest",
        "ProductSettingsBody",
        "PurchaseOrderBody",
        "ReceiptBody",
        "SupplierBody",
        "SubscriptionRequest",
        "WebhookRequest",
        "SaleBody",
        "DemandBody",
        "DemandRowBody",
    ] {
        schemas[name]["additionalProperties"] = json!(false);
    }
    let subscription = &mut schemas["SubscriptionRequest"];
    subscription["properties"]["email"] =
        json!({"type": "string", "maxLength": MAX_EMAIL_LENGTH, "pattern": email_pattern()});
    subscription["properties"]["lang"] = json!({
        "type": ["string", "null"],
        "pattern": Lang::PATTERN,
    });
    let webhook = &mut schemas["WebhookRequest"];
    webhook["properties"]["url"] = json!({
        "type": "string",
        "maxLength": domain::MAX_URL_LENGTH,
        "pattern": domain::WebhookUrl::PATTERN,
        "description": "An `https://` or `http://` URL: a host name or IPv4 address, an optional port, path and query; no user or password, no `#fragment`, no `%` escapes. A loopback, private, link-local, unspecified, broadcast, multicast or carrier-grade NAT address is refused (422) unless the server runs with `--allow-private-webhooks`; a name is checked on what it resolves to, at every send.",
    });
    webhook["properties"]["events"] = json!({
        "type": ["array", "null"],
        "minItems": 1,
        "items": {"$ref": "#/components/schemas/EventType"},
        "description": "The types to send; omitted or null = all, including types added later.",
    });
    let counts = |schema: &mut Value, fields: &[&str], minimum: u64| {
        for field in fields {
            schema["properties"][*field] =
                json!({"type": "integer", "minimum": minimum, "maximum": u32::MAX});
        }
    };
    let request = &mut schemas["ReservationRequest"];
    request["properties"]["quantity"] =
        json!({"type": "integer", "minimum": 1, "maximum": MAX_REQUEST_QUANTITY});
    request["properties"]["email"] =
        json!({"type": "string", "maxLength": MAX_EMAIL_LENGTH, "pattern": email_pattern()});
    let settings = &mut schemas["ProductSettingsBody"];
    counts(
        settings,
        &["stock", "safety_stock", "low_stock_threshold"],
        0,
    );
    // 1–200 characters once trimmed, at least one of them visible, no control characters.
    settings["properties"]["name"] = json!({
        "type": "string",
        "maxLength": domain::MAX_NAME_LENGTH,
        "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$",
    });
    settings["properties"]["backorder_limit"] =
        json!({"type": ["integer", "null"], "minimum": 0, "maximum": u32::MAX});
    settings["properties"]["max_per_customer"] =
        json!({"type": ["integer", "null"], "minimum": 1, "maximum": u32::MAX});
    settings["properties"]["lead_time_days"] =
        json!({"type": "integer", "minimum": 0, "maximum": domain::MAX_LEAD_TIME_DAYS});
    settings["properties"]["backorders"] = json!({"type": "string", "enum": ["allow", "deny"]});
    settings["properties"]["service_level"] = json!({
        "type": "number",
        "minimum": domain::ServiceLevel::MIN,
        "maximum": domain::ServiceLevel::MAX,
        "description": "The chance its safety stock aims for of not running out during a lead time; default 0.95.",
    });
    settings["properties"]["incoming"] = json!({
        "type": "array",
        "maxItems": domain::MAX_PURCHASE_ORDERS,
        "items": {"$ref": "#/components/schemas/PurchaseOrderBody"},
    });
    counts(&mut schemas["PurchaseOrderBody"], &["quantity"], 1);
    counts(&mut schemas["ReceiptBody"], &["quantity"], 1);
    demand_bodies(schemas);
    // Ids the merchant chooses: the domain types' patterns.
    let id = |pattern: String, what: &str| {
        json!({
            "type": ["string", "null"],
            "pattern": pattern,
            "minLength": 1,
            "maxLength": domain::MAX_SUPPLY_ID_LENGTH,
            "description": what,
        })
    };
    settings_extras(schemas, &id);
    schemas["ReceiptBody"]["properties"]["purchase_order"] = id(
        domain::PurchaseOrderId::pattern(),
        "The id of one of the product's open purchase orders (a rule JSON Schema cannot state: any other is refused with 422 naming `purchase_order`); it is reduced first.",
    );
    let name = schemas["ProductSettingsBody"]["properties"]["name"].clone();
    schemas["SupplierBody"]["properties"]["name"] = name;
    schemas["SupplierBody"]["properties"]["lead_time_days"] =
        json!({"type": "integer", "minimum": 0, "maximum": domain::MAX_LEAD_TIME_DAYS});
    // A bulk item: the single PUT's settings plus its SKU.
    let mut item = schemas["ProductSettingsBody"].clone();
    item["properties"]["sku"] =
        json!({"type": "string", "pattern": format!("^{}$", Sku::pattern())});
    let mut required = item["required"].as_array().cloned().unwrap_or_default();
    required.insert(0, json!("sku"));
    item["required"] = json!(required);
    item["description"] = json!("`sku` and the single PUT's settings.");
    schemas["BulkProductItem"] = item;
    let bulk = &mut schemas["BulkProductsBody"];
    bulk["additionalProperties"] = json!(false);
    bulk["properties"]["products"] = json!({
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_BULK_PRODUCTS,
        "items": {"$ref": "#/components/schemas/BulkProductItem"},
        "description": "A SKU at most once: a repeated SKU is refused with 422 naming it (a rule JSON Schema cannot state).",
    });
}

/// A sale's quantity, and the rows of the demand history.
fn demand_bodies(schemas: &mut Value) {
    schemas["SaleBody"]["properties"]["quantity"] =
        json!({"type": "integer", "minimum": 1, "maximum": MAX_REQUEST_QUANTITY});
    let row = &mut schemas["DemandRowBody"]["properties"];
    row["sku"] = json!({
        "type": "string",
        "pattern": format!("^{}$", Sku::pattern()),
        "description": "A product's SKU (a rule JSON Schema cannot state: any other is refused with 422 naming `demand[i].sku`).",
    });
    row["date"] = json!({
        "type": "string",
        "format": "date",
        "description": "`YYYY-MM-DD`, today at the latest (a rule JSON Schema cannot state: a later one is refused with 422 naming `demand[i].date`, as is a product's date sent twice).",
    });
    row["units"] = json!({"type": "integer", "minimum": 0, "maximum": u32::MAX});
    schemas["DemandBody"]["properties"]["demand"] = json!({
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_DEMAND_ROWS,
        "items": {"$ref": "#/components/schemas/DemandRowBody"},
    });
}

/// A product's supplier and its purchase orders' numbers.
fn settings_extras(schemas: &mut Value, id: &dyn Fn(String, &str) -> Value) {
    schemas["ProductSettingsBody"]["properties"]["supplier"] = id(
        domain::SupplierId::pattern(),
        "The id of an existing supplier (a rule JSON Schema cannot state: any other is refused with 422 naming `supplier`); null = none.",
    );
    schemas["PurchaseOrderBody"]["properties"]["id"] = id(
        domain::PurchaseOrderId::pattern(),
        "The merchant's purchase order number, once per product (a rule JSON Schema cannot state: a repeated one is refused with 422 naming `incoming[i].id`); omitted or null: one is made (`po_…`).",
    );
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}

/// The answers any operation may give besides its own.
fn document_common_errors(doc: &mut Value) {
    for (method, operation) in operations(doc) {
        let admin = operation["tags"]
            .as_array()
            .is_some_and(|tags| tags.contains(&json!("admin")));
        let has_body = operation.get("requestBody").is_some();
        let responses = &mut operation["responses"];
        let mut add = |status: &str, description: &str| {
            if responses.get(status).is_none() {
                responses[status] = error_response(description);
            }
        };
        add(
            "408",
            "`request_timeout`: the request took longer than the server allows",
        );
        add("422", "`invalid_request` naming the field at fault");
        if has_body {
            add("400", "`invalid_json`: the body is not valid JSON");
            add("413", "`payload_too_large`: the body is over 4 KiB");
            add("415", "`unsupported_media_type`: send `application/json`");
        }
        if admin {
            add("401", "`unauthorized`: missing or wrong admin token");
        }
        if method == "delete" && !admin {
            add("429", "`rate_limited`: see `Retry-After`");
        }
        if admin {
            // Whatever the handler's annotation says: every admin operation
            // may answer these.
            responses["403"] = error_response(if method == "get" {
                "`admin_disabled`: the server has no admin token"
            } else {
                "`admin_disabled`: the server has no admin token; or `read_only_token`: a read-only token may only read"
            });
            responses["429"] = error_response(
                "`too_many_failed_logins`: too many wrong admin tokens from this address; every admin request from it waits `Retry-After` seconds",
            );
        }
    }
}

/// Every operation that reads or writes the store may find the database
/// unreachable (PostgreSQL restarting, say): `503` with `Retry-After`.
fn document_store_outages(doc: &mut Value) {
    const OUTAGE: &str = "`store_unavailable`: the database cannot be reached right now; nothing was changed; `Retry-After` says when to try again";
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if path.ends_with("/openapi.json") {
            continue;
        }
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|item| item.values_mut())
        {
            let responses = &mut operation["responses"];
            match responses.get_mut("503") {
                Some(existing) => {
                    let description = existing["description"].as_str().unwrap_or_default();
                    existing["description"] = json!(format!("{description}; or {OUTAGE}"));
                }
                None => responses["503"] = error_response(OUTAGE),
            }
        }
    }
}

/// Links from a created reservation to reading and cancelling it, and from a
/// product's settings to its other admin operations, so a stateful fuzzer
/// (and a reader) can follow them.
fn link_operations(doc: &mut Value) {
    let reservation = json!({"id": "$response.body#/id"});
    doc["paths"]["/api/v1/products/{sku}/reservations"]["post"]["responses"]["201"]["links"] = json!({
        "GetReservation": {"operationId": "get_reservation", "parameters": reservation},
        "CancelReservation": {"operationId": "cancel_reservation", "parameters": reservation},
    });
    let product = json!({"sku": "$request.path.sku"});
    doc["paths"]["/api/v1/admin/products/{sku}"]["put"]["responses"]["200"]["links"] = json!({
        "GetProduct": {"operationId": "get_product", "parameters": product},
        "RecordReceipt": {"operationId": "record_receipt", "parameters": product},
        "RecordSale": {"operationId": "record_sale", "parameters": product},
        "ListQueue": {"operationId": "list_queue", "parameters": product},
        "Availability": {"operationId": "product_availability", "parameters": product},
        "Reserve": {"operationId": "create_reservation", "parameters": product},
        "Subscribe": {"operationId": "subscribe", "parameters": product},
    });
    let webhook = json!({"id": "$response.body#/id"});
    doc["paths"]["/api/v1/admin/webhooks"]["post"]["responses"]["201"]["links"] = json!({
        "ListDeliveries": {"operationId": "list_deliveries", "parameters": webhook},
        "DeleteWebhook": {"operationId": "delete_webhook", "parameters": webhook},
    });
}
