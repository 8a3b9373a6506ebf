//! Sending the outbox's mails: by SMTP (`--smtp-url`, with `lettre`), or,
//! in the demo without SMTP, kept in the outbox for the admin preview only.

use super::mail::Mail;
use lettre::message::{Mailbox, MultiPart, header::MessageId};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Where mails go.
#[derive(Clone)]
pub enum Mailer {
    /// Sent to an SMTP server, from this address.
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    /// Not sent: the demo keeps them for `GET /api/v1/admin/mail`.
    Keep,
}

/// What came of one attempt.
#[derive(Debug, PartialEq)]
pub enum Sent {
    /// Accepted (or kept).
    Done,
    /// No connection, or a 4xx reply: try again later.
    Retry { code: Option<u16>, error: String },
    /// A 5xx reply, or a mail that cannot be sent: give up.
    Refused { code: Option<u16>, error: String },
}

impl Mailer {
    /// `smtp://[user:pass@]host:port` (STARTTLS when the server offers it)
    /// or `smtps://…` (TLS from the start), and the `From` address.
    pub fn smtp(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Mailer> {
        let from: Mailbox = from
            .parse()
            .map_err(|error| anyhow::anyhow!("--mail-from {from:?}: {error}"))?;
        let parsed =
            reqwest::Url::parse(url).map_err(|error| anyhow::anyhow!("--smtp-url: {error}"))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("--smtp-url needs a host"))?;
        let mut builder = match parsed.scheme() {
            "smtp" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).tls(
                lettre::transport::smtp::client::Tls::Opportunistic(
                    lettre::transport::smtp::client::TlsParameters::new(host.to_owned())?,
                ),
            ),
            "smtps" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
            other => anyhow::bail!("--smtp-url: smtp:// or smtps://, not {other}://"),
        };
        if let Some(port) = parsed.port() {
            builder = builder.port(port);
        } else if parsed.scheme() == "smtp" {
            builder = builder.port(25);
        }
        if !parsed.username().is_empty() {
            let user = percent_decode(parsed.username());
            let password = percent_decode(parsed.password().unwrap_or(""));
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Mailer::Smtp {
            transport: Box::new(builder.timeout(Some(timeout)).build()),
            from,
        })
    }

    /// Sends one mail under its `Message-ID`, the same on every retry.
    pub async fn send(&self, mail_id: &str, mail: &Mail) -> Sent {
        let (transport, from) = match self {
            Mailer::Keep => return Sent::Done,
            Mailer::Smtp { transport, from } => (transport, from),
        };
        let message = match message(from, mail_id, mail) {
            Ok(message) => message,
            Err(error) => {
                return Sent::Refused {
                    code: None,
                    error: format!("not a mail: {error}"),
                };
            }
        };
        match transport.send(message).await {
            Ok(_) => Sent::Done,
            Err(error) => {
                let code = error.status().map(|code| {
                    let text = code.to_string();
                    text.parse::<u16>().unwrap_or(0)
                });
                let error = innermost(&error);
                if error_is_permanent(code) {
                    Sent::Refused { code, error }
                } else {
                    Sent::Retry { code, error }
                }
            }
        }
    }
}

/// `<{mail id}@{the sender's domain}>`.
pub fn message_id(from: &Mailbox, mail_id: &str) -> String {
    format!("<{mail_id}@{}>", from.email.domain())
}

fn message(from: &Mailbox, mail_id: &str, mail: &Mail) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.clone())
        .to(mail.to.parse()?)
        .subject(mail.subject.clone())
        .header(MessageId::from(message_id(from, mail_id)))
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))?)
}

fn error_is_permanent(code: Option<u16>) -> bool {
    code.is_some_and(|code| (500..600).contains(&code))
}

fn innermost(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text = format!("{text}: {inner}");
        cause = inner.source();
    }
    text
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
