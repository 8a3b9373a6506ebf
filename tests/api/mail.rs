//! E-mail to shoppers through a real SMTP server (aiosmtpd on 127.0.0.1):
//! the confirmation, the delay notice, "ready to ship" (back in stock and
//! the subscription's double opt-in: `optin.rs`); a
//! server that is down, then answers 451, gets the mail with one
//! Message-ID; a mail in flight at SIGKILL is sent again, once, with its
//! Message-ID; the demo's preview. A missing aiosmtpd fails them.

use crate::support::smtp::{SmtpSink, free_port};
use crate::support::{
    BINARY_ADMIN_TOKEN, Options, Reply, TestDatabase, TestServer, quick_webhooks, start_binary,
    wait_until,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
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

/// The real binary, killed while the SMTP server holds its first mail
/// unanswered: after the restart and the lease, that mail arrives once, with
/// the Message-ID it had on the wire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_in_flight_at_sigkill_arrives_once_after_restart_with_its_message_id() {
    let sink = SmtpSink::start_holding_first(1).await;
    let database = TestDatabase::new().await;
    let db = database.arg();
    let smtp = sink.url();
    // A 2 s answer timeout (a claim's lease is 6 s): time enough to kill
    // the server while its first attempt waits for the answer.
    let flags = [
        "--smtp-url",
        &smtp,
        "--mail-from",
        "Shop <shop@example.com>",
        "--webhook-first-retry-ms",
        "100",
        "--webhook-timeout",
        "2",
    ];
    let (mut server, url) = start_binary(&db, &flags);
    let http = reqwest::Client::new();
    let put = http
        .put(format!("{url}/api/v1/admin/products/KILL"))
        .bearer_auth(BINARY_ADMIN_TOKEN)
        .json(&json!({ "name": "Kill", "stock": 10 }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let placed = http
        .post(format!("{url}/api/v1/products/KILL/reservations"))
        .json(&json!({ "quantity": 1, "email": "k@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 201);
    wait_until(
        "the confirmation on the wire",
        Duration::from_secs(30),
        || async { !sink.attempts().is_empty() },
    )
    .await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let in_flight = sink.attempts()[0].clone();
    assert_eq!(in_flight["held"], true, "{in_flight}");

    let (_server, _url) = start_binary(&db, &flags);
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0]["message_id"], in_flight["message_id"]);
    assert_eq!(mails[0]["to"], "k@example.com");
    // Once: no other message reaches the SMTP server in the next lease.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let attempts = sink.attempts();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(sink.mails().len(), 1);
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
