//! The words of a subscription's pages (confirm, unsubscribe), in the
//! widget's four languages, chosen by the subscription's own language.
//! `{name}` is the product's name.

use crate::server::domain::Language;

/// One language's words.
pub struct Words {
    pub lang: &'static str,
    pub title: &'static str,
    pub confirm_offer: &'static str,
    pub confirm_button: &'static str,
    pub confirmed: &'static str,
    pub unsubscribe_offer: &'static str,
    pub unsubscribe_button: &'static str,
    pub unsubscribed: &'static str,
}

const EN: Words = Words {
    lang: "en",
    title: "E-mail when it's back",
    confirm_offer: "Please confirm that we may e-mail you once when {name} is back in stock.",
    confirm_button: "Confirm",
    confirmed: "Thank you: we will e-mail you once when {name} is back in stock.",
    unsubscribe_offer: "You asked for an e-mail when {name} is back in stock. If you no longer want it, unsubscribe here.",
    unsubscribe_button: "Unsubscribe",
    unsubscribed: "You are unsubscribed: you will get no e-mail about this product.",
};

const DE: Words = Words {
    lang: "de",
    title: "E-Mail, wenn es wieder da ist",
    confirm_offer: "Bitte bestätigen Sie, dass wir Ihnen einmal schreiben dürfen, sobald {name} wieder auf Lager ist.",
    confirm_button: "Bestätigen",
    confirmed: "Danke: wir schreiben Ihnen einmal, sobald {name} wieder auf Lager ist.",
    unsubscribe_offer: "Sie wollten eine E-Mail, sobald {name} wieder auf Lager ist. Wenn Sie sie nicht mehr möchten, melden Sie sich hier ab.",
    unsubscribe_button: "Abmelden",
    unsubscribed: "Sie sind abgemeldet: Sie erhalten keine E-Mail zu diesem Produkt.",
};

const FR: Words = Words {
    lang: "fr",
    title: "E-mail au retour du produit",
    confirm_offer: "Veuillez confirmer que nous pouvons vous écrire une fois quand {name} sera de nouveau en stock.",
    confirm_button: "Confirmer",
    confirmed: "Merci : nous vous écrirons une fois quand {name} sera de nouveau en stock.",
    unsubscribe_offer: "Vous avez demandé un e-mail quand {name} sera de nouveau en stock. Si vous n’en voulez plus, désabonnez-vous ici.",
    unsubscribe_button: "Se désabonner",
    unsubscribed: "Vous êtes désabonné : vous ne recevrez aucun e-mail sur ce produit.",
};

const ES: Words = Words {
    lang: "es",
    title: "Correo cuando vuelva",
    confirm_offer: "Confirme que podemos escribirle una vez cuando {name} vuelva a estar en stock.",
    confirm_button: "Confirmar",
    confirmed: "Gracias: le escribiremos una vez cuando {name} vuelva a estar en stock.",
    unsubscribe_offer: "Pidió un correo cuando {name} vuelva a estar en stock. Si ya no lo quiere, dese de baja aquí.",
    unsubscribe_button: "Darse de baja",
    unsubscribed: "Se ha dado de baja: no recibirá ningún correo sobre este producto.",
};

/// The words for a language tag (its first subtag); English otherwise.
pub fn for_lang(lang: Option<&str>) -> &'static Words {
    match Language::or_english(lang) {
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
    fn every_language_names_the_product() {
        for lang in ["en", "de", "fr", "es"] {
            let words = for_lang(Some(lang));
            assert_eq!(words.lang, lang);
            for text in [
                words.confirm_offer,
                words.confirmed,
                words.unsubscribe_offer,
            ] {
                assert!(text.contains("{name}"), "{lang}: {text}");
            }
        }
        assert_eq!(for_lang(Some("pt-BR")).lang, "en");
        assert_eq!(for_lang(None).lang, "en");
    }
}
