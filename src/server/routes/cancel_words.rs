//! The words of the one-click cancel page, in the widget's four languages,
//! chosen from the browser's `Accept-Language`.

use crate::server::domain::Language;

/// One language's words.
pub struct Words {
    pub lang: &'static str,
    pub title: &'static str,
    pub units: &'static str,
    pub ships: &'static str,
    pub ships_between: &'static str,
    pub ready: &'static str,
    pub offer: &'static str,
    pub button: &'static str,
    pub cancelled: &'static str,
    pub invalid_title: &'static str,
    pub invalid: &'static str,
    pub failed: &'static str,
}

const EN: Words = Words {
    lang: "en",
    title: "Your reservation",
    units: "Units",
    ships: "Expected to ship on",
    ships_between: "Expected to ship between",
    ready: "Ready to ship.",
    offer: "If you no longer want it, you can cancel the reservation here.",
    button: "Cancel reservation",
    cancelled: "This reservation is cancelled.",
    invalid_title: "Link not valid",
    invalid: "This link is not valid.",
    failed: "Something went wrong. Please try again in a moment.",
};

const DE: Words = Words {
    lang: "de",
    title: "Ihre Reservierung",
    units: "Stück",
    ships: "Voraussichtlicher Versand am",
    ships_between: "Voraussichtlicher Versand zwischen",
    ready: "Versandbereit.",
    offer: "Wenn Sie sie nicht mehr möchten, können Sie die Reservierung hier stornieren.",
    button: "Reservierung stornieren",
    cancelled: "Diese Reservierung ist storniert.",
    invalid_title: "Link ungültig",
    invalid: "Dieser Link ist ungültig.",
    failed: "Etwas ist schiefgelaufen. Bitte versuchen Sie es gleich noch einmal.",
};

const FR: Words = Words {
    lang: "fr",
    title: "Votre réservation",
    units: "Unités",
    ships: "Expédition prévue le",
    ships_between: "Expédition prévue entre",
    ready: "Prête à être expédiée.",
    offer: "Si vous n’en voulez plus, vous pouvez annuler la réservation ici.",
    button: "Annuler la réservation",
    cancelled: "Cette réservation est annulée.",
    invalid_title: "Lien non valide",
    invalid: "Ce lien n’est pas valide.",
    failed: "Une erreur s’est produite. Veuillez réessayer dans un instant.",
};

const ES: Words = Words {
    lang: "es",
    title: "Su reserva",
    units: "Unidades",
    ships: "Envío previsto el",
    ships_between: "Envío previsto entre",
    ready: "Lista para enviar.",
    offer: "Si ya no la quiere, puede cancelar la reserva aquí.",
    button: "Cancelar reserva",
    cancelled: "Esta reserva está cancelada.",
    invalid_title: "Enlace no válido",
    invalid: "Este enlace no es válido.",
    failed: "Algo salió mal. Vuelva a intentarlo en un momento.",
};

/// The words of the language the browser prefers most among ours (by
/// `q`, then order), else English.
pub fn for_accept_language(header: Option<&str>) -> &'static Words {
    match Language::of_accept_language(header) {
        Language::En => &EN,
        Language::De => &DE,
        Language::Fr => &FR,
        Language::Es => &ES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_preferred_language_we_have() {
        let lang = |header: Option<&str>| for_accept_language(header).lang;
        assert_eq!(lang(None), "en");
        assert_eq!(lang(Some("de-CH, de;q=0.9, en;q=0.8")), "de");
        assert_eq!(lang(Some("it, fr;q=0.5, es;q=0.7")), "es");
        assert_eq!(lang(Some("ja, zh")), "en");
        assert_eq!(lang(Some("fr;q=0, de;q=0.1")), "de");
        assert_eq!(lang(Some("FR-fr")), "fr");
    }
}
