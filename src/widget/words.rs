//! The widget's words in its four languages: one `Strings` table each.
//! Placeholders in braces (`{n}`, `{d}`) are filled by `i18n::fill`.

/// A message with a singular and a plural form.
pub struct Plural {
    pub one: &'static str,
    pub other: &'static str,
}

pub struct Strings {
    /// A range ending in a singular count ("0–1") takes the singular form:
    /// CLDR's plural ranges say so for German and French, not for English
    /// or Spanish ("0–1 days", "0–1 días").
    pub range_ends_singular: bool,
    pub loading: &'static str,
    pub in_stock: &'static str,
    pub only_left: Plural,
    pub out_of_stock: &'static str,
    pub backorder: &'static str,
    pub ships_today: &'static str,
    pub ships_in: Plural,
    /// `{n}` in stock, `{m}` on backorder.
    pub split: &'static str,
    pub at_most: Plural,
    pub reserve: &'static str,
    pub reserved: &'static str,
    pub reference: &'static str,
    pub ships_on: &'static str,
    /// `{d}` the likely date, `{e}` the latest.
    pub ships_between: &'static str,
    /// The shopper's reservation ships later than they were told: `{w}` the
    /// new window, `{n}` the days they were told.
    pub moved: &'static str,
    pub ready: &'static str,
    pub you_reserved: &'static str,
    pub cancel_reservation: &'static str,
    pub cancelled: &'static str,
    pub unreachable: &'static str,
    pub timeout: &'static str,
    pub server_error: &'static str,
    pub malformed: &'static str,
    pub unknown_product: &'static str,
    pub retry: &'static str,
    /// The store refused more attempts from this address for now (429).
    pub too_many_attempts: &'static str,
    /// Out of stock: the button that opens the subscription form.
    pub notify: &'static str,
    pub notify_done: &'static str,
    /// Subscribed, but the shop first mailed a link to confirm (double opt-in).
    pub notify_confirm: &'static str,
    /// The on-demand part (forms, cancelling) could not be downloaded.
    pub part_failed: &'static str,
}

pub(super) static EN: Strings = Strings {
    range_ends_singular: false,
    loading: "Checking availability…",
    in_stock: "In stock",
    only_left: Plural {
        one: "only {n} left",
        other: "only {n} left",
    },
    out_of_stock: "Out of stock",
    backorder: "Backorder",
    ships_today: "ships today",
    ships_in: Plural {
        one: "ships in {n} day",
        other: "ships in {n} days",
    },
    split: "{n} in stock, {m} on backorder",
    at_most: Plural {
        one: "Only {n} can be ordered",
        other: "Only {n} can be ordered",
    },
    reserve: "Reserve",
    reserved: "Reserved: {n}",
    reference: "Reference",
    ships_on: "Expected to ship on {d}.",
    ships_between: "Expected to ship between {d} and {e}.",
    moved: "now {w} (was {n})",
    ready: "ready to ship",
    you_reserved: "You reserved {n}",
    cancel_reservation: "Cancel reservation",
    cancelled: "Your reservation is cancelled.",
    unreachable: "Can't reach the store right now.",
    timeout: "The store is taking too long to answer.",
    server_error: "The store had a problem.",
    malformed: "The store sent an answer we can't read.",
    unknown_product: "This product isn't available here.",
    retry: "Try again",
    too_many_attempts: "Too many attempts just now. Please try again in a minute.",
    notify: "Email me when it's back",
    notify_done: "We'll e-mail you when it's back.",
    notify_confirm: "Almost done: confirm with the link we just e-mailed you.",
    part_failed: "This couldn't be loaded. Check your connection.",
};

pub(super) static DE: Strings = Strings {
    range_ends_singular: true,
    loading: "Verfügbarkeit wird geprüft …",
    in_stock: "Auf Lager",
    only_left: Plural {
        one: "nur noch {n} verfügbar",
        other: "nur noch {n} verfügbar",
    },
    out_of_stock: "Ausverkauft",
    backorder: "Nachbestellung",
    ships_today: "Versand heute",
    ships_in: Plural {
        one: "Versand in {n} Tag",
        other: "Versand in {n} Tagen",
    },
    split: "{n} auf Lager, {m} nachbestellt",
    at_most: Plural {
        one: "Nur {n} Stück bestellbar",
        other: "Nur {n} Stück bestellbar",
    },
    reserve: "Reservieren",
    reserved: "Reserviert: {n}",
    reference: "Referenz",
    ships_on: "Voraussichtlicher Versand am {d}.",
    ships_between: "Voraussichtlicher Versand zwischen {d} und {e}.",
    moved: "jetzt {w} (zuvor {n})",
    ready: "versandbereit",
    you_reserved: "Sie haben {n} reserviert",
    cancel_reservation: "Reservierung stornieren",
    cancelled: "Ihre Reservierung ist storniert.",
    unreachable: "Der Shop ist gerade nicht erreichbar.",
    timeout: "Der Shop antwortet zu langsam.",
    server_error: "Im Shop ist ein Fehler aufgetreten.",
    malformed: "Die Antwort des Shops ist unlesbar.",
    unknown_product: "Dieses Produkt ist hier nicht erhältlich.",
    retry: "Erneut versuchen",
    too_many_attempts: "Gerade zu viele Versuche. Bitte in einer Minute noch einmal.",
    notify: "Benachrichtigen, wenn wieder da",
    notify_done: "Wir schreiben Ihnen, sobald es wieder da ist.",
    notify_confirm: "Fast geschafft: Bitte bestätigen Sie über den Link in unserer E-Mail.",
    part_failed: "Das konnte nicht geladen werden. Bitte Verbindung prüfen.",
};

pub(super) static FR: Strings = Strings {
    range_ends_singular: true,
    loading: "Vérification de la disponibilité…",
    in_stock: "En stock",
    only_left: Plural {
        one: "plus que {n} disponible",
        other: "plus que {n} disponibles",
    },
    out_of_stock: "Rupture de stock",
    backorder: "En réapprovisionnement",
    ships_today: "expédié aujourd’hui",
    ships_in: Plural {
        one: "expédié sous {n} jour",
        other: "expédié sous {n} jours",
    },
    split: "{n} en stock, {m} en réapprovisionnement",
    at_most: Plural {
        one: "{n} article maximum",
        other: "{n} articles maximum",
    },
    reserve: "Réserver",
    reserved: "Réservé : {n}",
    reference: "Référence",
    ships_on: "Expédition prévue le {d}.",
    ships_between: "Expédition prévue entre le {d} et le {e}.",
    moved: "désormais {w} (au lieu de {n})",
    ready: "prêt à être expédié",
    you_reserved: "Vous avez réservé {n}",
    cancel_reservation: "Annuler la réservation",
    cancelled: "Votre réservation est annulée.",
    unreachable: "La boutique est injoignable pour le moment.",
    timeout: "La boutique met trop de temps à répondre.",
    server_error: "La boutique a rencontré un problème.",
    malformed: "La réponse de la boutique est illisible.",
    unknown_product: "Ce produit n’est pas disponible ici.",
    retry: "Réessayer",
    too_many_attempts: "Trop de tentatives à l’instant. Réessayez dans une minute.",
    notify: "M’avertir de son retour",
    notify_done: "Nous vous écrirons dès son retour.",
    notify_confirm: "Presque fini : confirmez avec le lien que nous venons de vous envoyer.",
    part_failed: "Chargement impossible. Vérifiez votre connexion.",
};

pub(super) static ES: Strings = Strings {
    range_ends_singular: false,
    loading: "Comprobando disponibilidad…",
    in_stock: "En stock",
    only_left: Plural {
        one: "solo queda {n}",
        other: "solo quedan {n}",
    },
    out_of_stock: "Agotado",
    backorder: "Bajo pedido",
    ships_today: "se envía hoy",
    ships_in: Plural {
        one: "se envía en {n} día",
        other: "se envía en {n} días",
    },
    split: "{n} en stock, {m} bajo pedido",
    at_most: Plural {
        one: "Solo se puede pedir {n}",
        other: "Solo se pueden pedir {n}",
    },
    reserve: "Reservar",
    reserved: "Reservado: {n}",
    reference: "Referencia",
    ships_on: "Envío previsto el {d}.",
    ships_between: "Envío previsto entre el {d} y el {e}.",
    moved: "ahora {w} (antes {n})",
    ready: "listo para enviar",
    you_reserved: "Has reservado {n}",
    cancel_reservation: "Cancelar la reserva",
    cancelled: "Tu reserva está cancelada.",
    unreachable: "No podemos conectar con la tienda ahora.",
    timeout: "La tienda tarda demasiado en responder.",
    server_error: "La tienda ha tenido un problema.",
    malformed: "La respuesta de la tienda no se puede leer.",
    unknown_product: "Este producto no está disponible aquí.",
    retry: "Reintentar",
    too_many_attempts: "Demasiados intentos ahora mismo. Vuelve a intentarlo en un minuto.",
    notify: "Avisarme cuando vuelva",
    notify_done: "Te escribiremos cuando vuelva.",
    notify_confirm: "Casi listo: confirma con el enlace que te acabamos de enviar.",
    part_failed: "No se pudo cargar. Comprueba tu conexión.",
};

/// The words of the forms, read only by the on-demand part (so they are
/// downloaded with it).
pub struct FormWords {
    pub quantity: &'static str,
    pub email: &'static str,
    pub email_hint: &'static str,
    pub submit: &'static str,
    pub close: &'static str,
    pub quantity_invalid: &'static str,
    pub email_invalid: &'static str,
    pub reserving: &'static str,
    pub conflict: &'static str,
    pub sold_out_now: &'static str,
    /// `{n}`: how many more units this e-mail address may reserve.
    pub customer_limit: &'static str,
    pub notify_hint: &'static str,
    pub notify_submit: &'static str,
    pub sending: &'static str,
}

pub(super) static EN_FORM: FormWords = FormWords {
    quantity: "Quantity",
    email: "E-mail",
    email_hint: "We'll write when it ships.",
    submit: "Reserve",
    close: "Not now",
    quantity_invalid: "Enter a quantity from 1 to {n}.",
    email_invalid: "Enter a valid e-mail address, like name@example.com.",
    reserving: "Reserving…",
    conflict: "Someone just took some of these. You can still reserve up to {n}.",
    sold_out_now: "Sorry, this just sold out.",
    customer_limit: "With this e-mail address you can reserve {n} more at most.",
    notify_hint: "One e-mail when it's back, nothing else.",
    notify_submit: "Notify me",
    sending: "Sending…",
};

pub(super) static DE_FORM: FormWords = FormWords {
    quantity: "Menge",
    email: "E-Mail",
    email_hint: "Wir melden uns, sobald es versandt wird.",
    submit: "Reservieren",
    close: "Jetzt nicht",
    quantity_invalid: "Bitte eine Menge von 1 bis {n} eingeben.",
    email_invalid: "Bitte eine gültige E-Mail-Adresse eingeben, z. B. name@example.com.",
    reserving: "Wird reserviert …",
    conflict: "Jemand war schneller. Sie können noch bis zu {n} reservieren.",
    sold_out_now: "Leider gerade ausverkauft.",
    customer_limit: "Mit dieser E-Mail-Adresse können Sie höchstens noch {n} reservieren.",
    notify_hint: "Eine E-Mail, sobald es wieder da ist – sonst nichts.",
    notify_submit: "Benachrichtigen",
    sending: "Wird gesendet …",
};

pub(super) static FR_FORM: FormWords = FormWords {
    quantity: "Quantité",
    email: "E-mail",
    email_hint: "Nous vous écrirons à l’expédition.",
    submit: "Réserver",
    close: "Plus tard",
    quantity_invalid: "Saisissez une quantité de 1 à {n}.",
    email_invalid: "Saisissez une adresse e-mail valide, par ex. nom@example.com.",
    reserving: "Réservation…",
    conflict: "Quelqu’un vient d’en prendre. Vous pouvez encore en réserver jusqu’à {n}.",
    sold_out_now: "Désolé, ce produit vient d’être épuisé.",
    customer_limit: "Avec cette adresse e-mail, vous pouvez encore en réserver {n} au plus.",
    notify_hint: "Un seul e-mail à son retour, rien d’autre.",
    notify_submit: "M’avertir",
    sending: "Envoi…",
};

pub(super) static ES_FORM: FormWords = FormWords {
    quantity: "Cantidad",
    email: "Correo electrónico",
    email_hint: "Te escribiremos cuando se envíe.",
    submit: "Reservar",
    close: "Ahora no",
    quantity_invalid: "Introduce una cantidad de 1 a {n}.",
    email_invalid: "Introduce un correo válido, como nombre@example.com.",
    reserving: "Reservando…",
    conflict: "Alguien acaba de llevarse algunos. Aún puedes reservar hasta {n}.",
    sold_out_now: "Lo sentimos, se acaba de agotar.",
    customer_limit: "Con esta dirección de correo puedes reservar {n} más como máximo.",
    notify_hint: "Un solo correo cuando vuelva, nada más.",
    notify_submit: "Avisarme",
    sending: "Enviando…",
};
