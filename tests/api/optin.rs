//! "Email me when it's back" while the server mails shoppers: double
//! opt-in (a confirmation mail whose page confirms only by its `POST`;
//! only confirmed subscribers get the back-in-stock mail), and the
//! unsubscribe page the mails link to. A real SMTP server (aiosmtpd on
//! 127.0.0.1), or the demo's kept mails.

use crate::delays::assert_page_headers;
use crate::support::smtp::SmtpSink;
use crate::support::{Options, TestServer, product, quick_webhooks, wait_until_delivered};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use stock_widget::server::MailConfig;

async fn mailing() -> (SmtpSink, TestServer) {
    let sink = SmtpSink::start().await;
    let server = TestServer::start_with(Options {
        webhooks: quick_webhooks(),
        mail: MailConfig {
            smtp_url: Some(sink.url()),
            from: Some("Shop <shop@example.com>".into()),
        },
        ..Options::default()
    })
    .await;
    (sink, server)
}

async fn subscribe(server: &TestServer, sku: &str, email: &str, lang: &str) -> (u16, Value) {
    let url = server.url(&format!("/api/v1/products/{sku}/subscriptions"));
    let body = json!({"email": email, "lang": lang});
    let reply = server.send(server.http().post(url).json(&body)).await;
    (reply.status, reply.body)
}

fn text(mail: &Value) -> &str {
    mail["text"].as_str().unwrap_or_default()
}

/// The path of the first `{base}/subscriptions/sub_…/{page}` link in `text`.
fn link(server: &TestServer, text: &str, page: &str) -> String {
    let start = text
        .find(&format!("{}/subscriptions/sub_", server.base_url))
        .unwrap_or_else(|| panic!("no subscription link in {text}"));
    let url = text[start..].split_whitespace().next().unwrap();
    assert!(url.ends_with(&format!("/{page}")), "{url}");
    url.strip_prefix(&server.base_url).unwrap().to_owned()
}

/// Follows no redirects: the tests look at the `303`s.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn page(
    http: &reqwest::Client,
    server: &TestServer,
    method: Method,
    path: &str,
) -> (u16, String) {
    let response = http.request(method, server.url(path)).send().await.unwrap();
    assert_page_headers(&response);
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn only_a_confirmed_subscriber_gets_the_back_in_stock_mail() {
    let (sink, server) = mailing().await;
    server.put_product("GONE", product("Vase <b>", 0)).await;
    let (status, body) = subscribe(&server, "GONE", "eve@example.com", "es").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["confirmed"], false, "{body}");
    let (status, body) = subscribe(&server, "GONE", "bob@example.com", "en").await;
    assert_eq!(status, 201, "{body}");

    // Each gets the confirmation mail, in their language, with the link.
    let mails = sink.wait_for(2).await;
    let to_eve = mails
        .iter()
        .find(|mail| mail["rcpt_tos"] == json!(["eve@example.com"]))
        .unwrap();
    assert_eq!(to_eve["subject"], "Confirme: correo cuando Vase <b> vuelva");
    let confirm = link(&server, text(to_eve), "confirm");
    assert!(to_eve["html"].as_str().unwrap().contains("Sí, avísenme"));

    // GET (a link scanner, a look) confirms nothing; POST does.
    let http = browser();
    for _ in 0..2 {
        let (status, html) = page(&http, &server, Method::GET, &confirm).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("lang=\"es\""), "{html}");
        assert!(html.contains("Vase &lt;b&gt;"), "escaped: {html}");
        assert!(html.contains(">Confirmar</button>"), "{html}");
    }
    let (status, body) = subscribe(&server, "GONE", "eve@example.com", "es").await;
    assert_eq!((status, &body["confirmed"]), (200, &json!(false)), "{body}");
    let response = http.post(server.url(&confirm)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_page_headers(&response);
    assert_eq!(response.headers()["location"].to_str().unwrap(), confirm);
    let (status, html) = page(&http, &server, Method::GET, &confirm).await;
    assert_eq!(status, 200);
    assert!(html.contains("Gracias"), "{html}");
    let (_, body) = subscribe(&server, "GONE", "eve@example.com", "es").await;
    assert_eq!(body["confirmed"], true, "{body}");

    // Back: the confirmed subscriber is mailed, the other is not.
    server.put_product("GONE", product("Vase <b>", 4)).await;
    let mails = sink.wait_for(3).await;
    wait_until_delivered(&server.shop, Duration::from_secs(20)).await;
    assert_eq!(sink.mails().len(), 3, "{:?}", sink.mails());
    let back = &mails[2];
    assert_eq!(back["rcpt_tos"], json!(["eve@example.com"]));
    assert_eq!(back["subject"], "Vase <b> vuelve a estar disponible");
    assert!(text(back).contains("(4 disponibles)"), "{back}");
    assert!(back["html"].as_str().unwrap().contains("Darse de baja"));
    let unsubscribe = link(&server, text(back), "unsubscribe");
    // Told and let go: its pages are the 404 now.
    let (status, _) = page(&http, &server, Method::GET, &unsubscribe).await;
    assert_eq!(status, 404);
    // The unconfirmed one still waits for its confirmation.
    let to_bob = mails
        .iter()
        .find(|mail| mail["rcpt_tos"] == json!(["bob@example.com"]))
        .unwrap();
    let bob = link(&server, text(to_bob), "confirm");
    let (status, html) = page(&http, &server, Method::GET, &bob).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(">Confirm</button>"), "{html}");
}

#[tokio::test]
async fn the_unsubscribe_page_shows_and_only_its_post_unsubscribes() {
    // The demo without SMTP keeps its mails: the links come from the preview.
    let server = TestServer::start_with(Options {
        demo: true,
        webhooks: quick_webhooks(),
        ..Options::default()
    })
    .await;
    server.put_product("GONE", product("Lampe", 0)).await;
    let (status, body) = subscribe(&server, "GONE", "zoe@example.com", "fr").await;
    assert_eq!((status, &body["confirmed"]), (201, &json!(false)), "{body}");
    let kept = server
        .send(server.admin(Method::GET, "/api/v1/admin/mail"))
        .await;
    let mails = kept.body["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let confirm = link(&server, text(&mails[0]), "confirm");
    let unsubscribe = confirm.replace("/confirm", "/unsubscribe");
    let http = browser();

    // GET shows the product and the button, and removes nothing.
    for _ in 0..2 {
        let (status, html) = page(&http, &server, Method::GET, &unsubscribe).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("lang=\"fr\""), "{html}");
        assert!(html.contains("<strong>Lampe</strong>"), "{html}");
        assert!(html.contains(">Se désabonner</button>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }
    let (status, _) = page(&http, &server, Method::GET, &confirm).await;
    assert_eq!(status, 200, "still subscribed");

    // POST removes it (as DELETE does) and goes back to the page: done.
    let response = http.post(server.url(&unsubscribe)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_page_headers(&response);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{unsubscribe}?done=fr"));
    let (status, html) = page(&http, &server, Method::GET, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("Vous êtes désabonné"), "{html}");
    let (status, _) = page(&http, &server, Method::GET, &confirm).await;
    assert_eq!(status, 404, "gone");
    let (status, body) = subscribe(&server, "GONE", "zoe@example.com", "fr").await;
    assert_eq!(status, 201, "a new subscription: {body}");

    // A wrong token, a used one, or no token at all: one 404 that says nothing.
    let unknown = "/subscriptions/sub_0123456789abcdef0123456789abcdef";
    let mut pages = Vec::new();
    for (method, path) in [
        (Method::GET, unsubscribe.clone()),
        (Method::POST, unsubscribe.clone()),
        (Method::GET, format!("{unknown}/unsubscribe")),
        (Method::POST, format!("{unknown}/unsubscribe")),
        (Method::GET, format!("{unknown}/confirm")),
        (Method::POST, format!("{unknown}/confirm")),
        (Method::GET, "/subscriptions/nope/unsubscribe".to_owned()),
        (Method::POST, "/subscriptions/nope/confirm".to_owned()),
    ] {
        let (status, html) = page(&http, &server, method.clone(), &path).await;
        assert_eq!(status, 404, "{method} {path}");
        pages.push(html);
    }
    assert!(pages.windows(2).all(|pair| pair[0] == pair[1]), "{pages:?}");
}
