//! The words of the e-mails the server sends shoppers, in the four
//! languages it writes them in. `{name}`-style placeholders are filled in by
//! `mail.rs`.

/// One language's words.
pub struct Words {
    pub hello: &'static str,
    pub thanks: &'static str,
    pub confirm_subject: &'static str,
    pub confirm_intro: &'static str,
    pub in_stock: &'static str,
    pub backordered: &'static str,
    pub window: &'static str,
    pub cancel: &'static str,
    pub delay_subject: &'static str,
    pub delay_intro: &'static str,
    pub delay_window: &'static str,
    /// Why: purchase order changed, overdue, supplier, other.
    pub reasons: [&'static str; 4],
    pub delay_choice: &'static str,
    pub ready_subject: &'static str,
    pub ready_intro: &'static str,
    pub back_subject: &'static str,
    pub back_intro: &'static str,
    pub back_note: &'static str,
    pub unsubscribe: &'static str,
}

pub const EN: Words = Words {
    hello: "Hello,",
    thanks: "Thank you for shopping with us.",
    confirm_subject: "Your reservation {ref}: {name}",
    confirm_intro: "We have reserved {quantity} × {name} for you (reference {ref}).",
    in_stock: "{n} in stock: ready to ship.",
    backordered: "{n} on backorder: we send them when they arrive.",
    window: "Expected to ship between {from} and {to}.",
    cancel: "Cancel this reservation",
    delay_subject: "Your reservation {ref} ships later",
    delay_intro: "Your reservation of {name} (reference {ref}) will ship later than we told you.",
    delay_window: "We expected {previous}; it now ships between {from} and {to}.",
    reasons: [
        "Our supplier's delivery to us changed.",
        "A delivery to us is late.",
        "Our supplier now delivers more slowly.",
        "Our supply changed.",
    ],
    delay_choice: "You may keep your reservation, or cancel it at no cost:",
    ready_subject: "Your reservation {ref} is ready to ship",
    ready_intro: "All {quantity} × {name} of your reservation {ref} are ready to ship.",
    back_subject: "{name} is back in stock",
    back_intro: "Good news: {name} is back in stock ({available} available now).",
    back_note: "You asked us to tell you when it is back; this is the only e-mail you get about it.",
    unsubscribe: "Unsubscribe",
};

pub const DE: Words = Words {
    hello: "Hallo,",
    thanks: "Vielen Dank für Ihren Einkauf.",
    confirm_subject: "Ihre Reservierung {ref}: {name}",
    confirm_intro: "Wir haben {quantity} × {name} für Sie reserviert (Referenz {ref}).",
    in_stock: "{n} auf Lager: versandbereit.",
    backordered: "{n} nachbestellt: wir senden sie, sobald sie eintreffen.",
    window: "Voraussichtlicher Versand zwischen {from} und {to}.",
    cancel: "Diese Reservierung stornieren",
    delay_subject: "Ihre Reservierung {ref} wird später versandt",
    delay_intro: "Ihre Reservierung von {name} (Referenz {ref}) wird später versandt als angekündigt.",
    delay_window: "Erwartet war {previous}; jetzt Versand zwischen {from} und {to}.",
    reasons: [
        "Die Lieferung unseres Lieferanten hat sich geändert.",
        "Eine Lieferung an uns ist verspätet.",
        "Unser Lieferant liefert jetzt langsamer.",
        "Unser Nachschub hat sich geändert.",
    ],
    delay_choice: "Sie können Ihre Reservierung behalten oder kostenlos stornieren:",
    ready_subject: "Ihre Reservierung {ref} ist versandbereit",
    ready_intro: "Alle {quantity} × {name} Ihrer Reservierung {ref} sind versandbereit.",
    back_subject: "{name} ist wieder auf Lager",
    back_intro: "Gute Nachricht: {name} ist wieder auf Lager ({available} jetzt verfügbar).",
    back_note: "Sie wollten benachrichtigt werden; dies ist die einzige E-Mail dazu.",
    unsubscribe: "Abmelden",
};

pub const FR: Words = Words {
    hello: "Bonjour,",
    thanks: "Merci pour votre achat.",
    confirm_subject: "Votre réservation {ref} : {name}",
    confirm_intro: "Nous avons réservé {quantity} × {name} pour vous (référence {ref}).",
    in_stock: "{n} en stock : prêts à expédier.",
    backordered: "{n} en réapprovisionnement : envoyés dès leur arrivée.",
    window: "Expédition prévue entre le {from} et le {to}.",
    cancel: "Annuler cette réservation",
    delay_subject: "Votre réservation {ref} sera expédiée plus tard",
    delay_intro: "Votre réservation de {name} (référence {ref}) sera expédiée plus tard que prévu.",
    delay_window: "Prévue le {previous}, elle sera expédiée entre le {from} et le {to}.",
    reasons: [
        "La livraison de notre fournisseur a changé.",
        "Une livraison que nous attendons est en retard.",
        "Notre fournisseur livre désormais plus lentement.",
        "Notre approvisionnement a changé.",
    ],
    delay_choice: "Vous pouvez garder votre réservation ou l'annuler sans frais :",
    ready_subject: "Votre réservation {ref} est prête à expédier",
    ready_intro: "Les {quantity} × {name} de votre réservation {ref} sont prêts à expédier.",
    back_subject: "{name} est de nouveau en stock",
    back_intro: "Bonne nouvelle : {name} est de nouveau en stock ({available} disponibles).",
    back_note: "Vous avez demandé à être prévenu ; c'est le seul e-mail à ce sujet.",
    unsubscribe: "Se désabonner",
};

pub const ES: Words = Words {
    hello: "Hola:",
    thanks: "Gracias por su compra.",
    confirm_subject: "Su reserva {ref}: {name}",
    confirm_intro: "Hemos reservado {quantity} × {name} para usted (referencia {ref}).",
    in_stock: "{n} en stock: listos para enviar.",
    backordered: "{n} bajo pedido: los enviamos cuando lleguen.",
    window: "Envío previsto entre el {from} y el {to}.",
    cancel: "Cancelar esta reserva",
    delay_subject: "Su reserva {ref} se enviará más tarde",
    delay_intro: "Su reserva de {name} (referencia {ref}) se enviará más tarde de lo indicado.",
    delay_window: "Estaba prevista el {previous}; ahora se envía entre el {from} y el {to}.",
    reasons: [
        "La entrega de nuestro proveedor ha cambiado.",
        "Una entrega que esperamos se ha retrasado.",
        "Nuestro proveedor entrega ahora más despacio.",
        "Nuestro suministro ha cambiado.",
    ],
    delay_choice: "Puede mantener su reserva o cancelarla sin coste:",
    ready_subject: "Su reserva {ref} está lista para enviar",
    ready_intro: "Las {quantity} × {name} de su reserva {ref} están listas para enviar.",
    back_subject: "{name} vuelve a estar disponible",
    back_intro: "Buenas noticias: {name} vuelve a estar en stock ({available} disponibles).",
    back_note: "Pidió que le avisáramos; es el único correo sobre ello.",
    unsubscribe: "Darse de baja",
};

/// The words for a language tag (its first subtag); English otherwise.
pub fn words(lang: Option<&str>) -> &'static Words {
    let primary = lang.map(|lang| lang.split('-').next().unwrap_or(lang).to_ascii_lowercase());
    match primary.as_deref() {
        Some("de") => &DE,
        Some("fr") => &FR,
        Some("es") => &ES,
        _ => &EN,
    }
}
