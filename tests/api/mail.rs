//! E-mail to shoppers through a real SMTP server (aiosmtpd on 127.0.0.1):
//! the confirmation, the delay notice, "ready to ship" (back in stock and
//! the subscription's double opt-in: `optin.rs`); a
//! server that is down, then answers 451, gets the mail with one
//! Message-ID; the demo's preview. Skipped without aiosmtpd.

use crate::support::smtp::{SmtpSink, free_port};
use crate::support::{Options, Reply, TestServer, quick_webhooks};
use reqwest::Method;
use serde_json::{Value, json};
use stock_widget::server::MailConfig;

fn mailing_to(url: String) -> Options {
    Options {
        webhooks: quick_webhooks(),
        mail: MailConfig {
            smtp_url: Some(url),
            from: Some("Shop <shop@example.com>".into()),
        },
        ..Options::default()
    }
}

async fn mailing() -> (SmtpSink, TestServer) {
    let sink = SmtpSink::start().await;
    let server = TestServer::start_with(mailing_to(sink.url())).await;
    (sink, server)
}

/// A product with `stock` units and a purchase order of 5 arriving on `eta`.
async fn put_order(server: &TestServer, sku: &str, stock: u32, eta: &str) {
    let reply = server
        .send(
            server
                .admin(Method::PUT, &format!("/api/v1/admin/products/{sku}"))
                .json(
                    &json!({"name": "Lamp", "stock": stock, "backorders": "allow",
                              "incoming": [{"id": "PO-1", "quantity": 5, "eta": eta}]}),
                ),
        )
        .await;
    assert!(reply.status == 200 || reply.status == 201, "{}", reply.body);
}

async fn reserve(server: &TestServer, sku: &str, quantity: u32, lang: Option<&str>) -> Value {
    let mut body = json!({"quantity": quantity, "email": "ann@example.com"});
    if let Some(lang) = lang {
        body["lang"] = json!(lang);
    }
    let url = server.url(&format!("/api/v1/products/{sku}/reservations"));
    let reply: Reply = server.send(server.http().post(url).json(&body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

fn text(mail: &Value) -> &str {
    mail["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_reservation_is_confirmed_in_its_language_with_text_html_and_the_cancel_link() {
    let (sink, server) = mailing().await;
    put_order(&server, "LAMP", 1, "2026-03-12").await;
    let placed = reserve(&server, "LAMP", 3, Some("de")).await;
    let id = placed["id"].as_str().unwrap();
    let mails = sink.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail["content_type"], "multipart/alternative", "{mail}");
    assert_eq!(mail["rcpt_tos"], json!(["ann@example.com"]));
    assert_eq!(mail["from"], "Shop <shop@example.com>");
    assert_eq!(mail["subject"], format!("Ihre Reservierung {id}: Lamp"));
    assert!(text(mail).contains("1 auf Lager"), "{mail}");
    assert!(text(mail).contains("2 nachbestellt"), "{mail}");
    assert!(text(mail).contains("2026-03-12"), "{mail}");
    let cancel = format!("{}/reservations/{id}/cancel?token=", server.base_url);
    assert!(text(mail).contains(&cancel), "{mail}");
    let html = mail["html"].as_str().unwrap();
    assert!(html.contains(&format!("href=\"{cancel}")), "{html}");
    let message_id = mail["message_id"].as_str().unwrap();
    assert!(message_id.starts_with("<msg_") && message_id.ends_with("@example.com>"));

    // Without a language: English.
    reserve(&server, "LAMP", 1, None).await;
    let mails = sink.wait_for(2).await;
    assert!(
        mails[1]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Your reservation")
    );
    // Only the four languages.
    let url = server.url("/api/v1/products/LAMP/reservations");
    let body = json!({"quantity": 1, "email": "a@example.com", "lang": "pt"});
    let refused = server.send(server.http().post(url).json(&body)).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
}

#[tokio::test]
async fn a_later_ship_date_mails_the_notice_and_a_receipt_mails_ready_to_ship() {
    let (sink, server) = mailing().await;
    put_order(&server, "LAMP", 0, "2026-03-12").await;
    let placed = reserve(&server, "LAMP", 2, Some("fr")).await;
    let id = placed["id"].as_str().unwrap();
    sink.wait_for(1).await;

    put_order(&server, "LAMP", 0, "2026-03-20").await;
    let mails = sink.wait_for(2).await;
    let notice = &mails[1];
    assert_eq!(
        notice["subject"],
        format!("Votre réservation {id} sera expédiée plus tard")
    );
    assert!(text(notice).contains("2026-03-12"), "{notice}");
    assert!(text(notice).contains("2026-03-20"), "{notice}");
    assert!(text(notice).contains("La livraison de notre fournisseur a changé."));
    assert!(text(notice).contains("/cancel?token="), "{notice}");

    let reply = server
        .send(
            server
                .admin(Method::POST, "/api/v1/admin/products/LAMP/receipts")
                .json(&json!({"quantity": 5})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mails = sink.wait_for(3).await;
    assert_eq!(
        mails[2]["subject"],
        format!("Votre réservation {id} est prête à expédier")
    );
    assert_eq!(mails[2]["content_type"], "multipart/alternative");
}

#[tokio::test]
async fn a_server_down_then_busy_gets_the_mail_later_with_one_message_id() {
    let port = free_port();
    let server = TestServer::start_with(mailing_to(format!("smtp://127.0.0.1:{port}"))).await;
    put_order(&server, "LAMP", 1, "2026-03-12").await;
    reserve(&server, "LAMP", 1, None).await;
    // Nobody listens yet: the attempts fail to connect and are retried.
    // Then the server answers the first try 451, and accepts the next.
    let sink = SmtpSink::start_on(port, 1).await;
    let mails = sink.wait_for(1).await;
    let attempts = sink.attempts();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0]["rejected"], true);
    assert_eq!(attempts[0]["message_id"], mails[0]["message_id"]);
    assert_eq!(attempts[1]["message_id"], mails[0]["message_id"]);
}

#[tokio::test]
async fn the_demo_without_smtp_keeps_mails_for_the_preview() {
    let server = TestServer::start_with(Options {
        demo: true,
        webhooks: quick_webhooks(),
        ..Options::default()
    })
    .await;
    put_order(&server, "LAMP", 1, "2026-03-12").await;
    let placed = reserve(&server, "LAMP", 2, Some("es")).await;
    let reply = server
        .send(server.admin(Method::GET, "/api/v1/admin/mail"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mails = reply.body["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail["to"], "ann@example.com");
    assert_eq!(
        mail["subject"],
        format!("Su reserva {}: Lamp", placed["id"].as_str().unwrap())
    );
    assert!(mail["text"].as_str().unwrap().contains("1 en stock"));
    assert!(
        mail["html"]
            .as_str()
            .unwrap()
            .starts_with("<!doctype html>")
    );
    assert!(mail["created_at"].as_str().unwrap().ends_with('Z'));

    let anonymous = server
        .send(server.http().get(server.url("/api/v1/admin/mail")))
        .await;
    assert_eq!(anonymous.status, 401);
}
