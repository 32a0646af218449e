//! Every word the registration page shows, in English and Hindi, keyed by id.
//!
//! Field labels and help are keyed by the engine's wire name (`field.hprId`, `help.hprId`); an
//! empty English text means "the engine's own" (the descriptor's label or help). Rule messages
//! are keyed by the engine's rule code (`rule.checksum`); in English the engine's message is
//! shown, in Hindi this table's.

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Hindi (Devanagari).
    Hi,
}

impl Lang {
    /// `en` or `hi` (the `lang` attribute and the stored choice).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }

    /// `hi` → Hindi; anything else → English.
    pub fn from_code(code: &str) -> Self {
        if code.eq_ignore_ascii_case("hi") {
            Lang::Hi
        } else {
            Lang::En
        }
    }

    /// The other language (the switch link's target).
    pub fn other(self) -> Self {
        match self {
            Lang::En => Lang::Hi,
            Lang::Hi => Lang::En,
        }
    }
}

/// `(id, English, Hindi)`.
pub static TABLE: &[(&str, &str, &str)] = &[
    // the switch names the other language in that language
    ("lang.other", "हिन्दी", "English"),
    ("app.title", "HPR registration", "एचपीआर पंजीकरण"),
    (
        "app.heading",
        "Register as a healthcare professional",
        "स्वास्थ्य पेशेवर के रूप में पंजीकरण करें",
    ),
    ("app.skip", "Skip to the form", "फ़ॉर्म पर जाएँ"),
    (
        "sandbox.banner",
        "Sandbox: this page registers with an offline simulator, not with the real HPR. No real HPR ID is created.",
        "सैंडबॉक्स: यह पेज असली एचपीआर से नहीं, एक ऑफ़लाइन सिम्युलेटर से पंजीकरण करता है। कोई असली एचपीआर आईडी नहीं बनती।",
    ),
    (
        "sandbox.otp",
        "Fake SMS — the OTP is:",
        "नकली एसएमएस — ओटीपी है:",
    ),
    ("step.continue", "Continue", "आगे बढ़ें"),
    (
        "start.heading",
        "Register in the Healthcare Professional Registry",
        "हेल्थकेयर प्रोफेशनल रजिस्ट्री में पंजीकरण करें",
    ),
    (
        "start.intro",
        "You need your Aadhaar number and the phone that receives its OTP. It takes about five minutes.",
        "आपको अपना आधार नंबर और वह फ़ोन चाहिए जिस पर उसका ओटीपी आता है। इसमें लगभग पाँच मिनट लगते हैं।",
    ),
    ("start.button", "Start", "शुरू करें"),
    ("aadhaar.heading", "Your Aadhaar number", "आपका आधार नंबर"),
    (
        "aadhaar.intro",
        "An OTP will be sent to the mobile linked to your Aadhaar. The number is not stored.",
        "आपके आधार से जुड़े मोबाइल पर एक ओटीपी भेजा जाएगा। नंबर सहेजा नहीं जाता।",
    ),
    ("otp.heading", "Enter the Aadhaar OTP", "आधार ओटीपी दर्ज करें"),
    (
        "otp.intro",
        "An OTP was sent by SMS to the mobile linked to your Aadhaar.",
        "आपके आधार से जुड़े मोबाइल पर एसएमएस से ओटीपी भेजा गया है।",
    ),
    (
        "mobile.heading",
        "Mobile number for communication",
        "संपर्क के लिए मोबाइल नंबर",
    ),
    (
        "mobile.intro",
        "If it is not the mobile linked to your Aadhaar, an OTP will be sent to it.",
        "यदि यह आपके आधार से जुड़ा मोबाइल नहीं है, तो इस पर एक ओटीपी भेजा जाएगा।",
    ),
    (
        "mobile-otp.heading",
        "Enter the mobile OTP",
        "मोबाइल ओटीपी दर्ज करें",
    ),
    (
        "mobile-otp.intro",
        "An OTP was sent by SMS to the mobile number you gave.",
        "आपके दिए गए मोबाइल नंबर पर एसएमएस से ओटीपी भेजा गया है।",
    ),
    (
        "resend.wait",
        "You can ask for a new OTP in {n} seconds.",
        "आप {n} सेकंड में नया ओटीपी माँग सकते हैं।",
    ),
    ("resend.button", "Send a new OTP", "नया ओटीपी भेजें"),
    (
        "resend.aadhaar",
        "Aadhaar number (again: it is not kept)",
        "आधार नंबर (फिर से: यह सहेजा नहीं जाता)",
    ),
    ("resend.sent", "A new OTP was sent.", "नया ओटीपी भेजा गया।"),
    ("attempts.left", "Attempts left: {n}", "बचे हुए प्रयास: {n}"),
    (
        "hpr-id.heading",
        "Choose your HPR ID",
        "अपनी एचपीआर आईडी चुनें",
    ),
    (
        "hpr-id.intro",
        "Type one, or tap a suggestion. It ends in @hpr.abdm.",
        "एक टाइप करें, या किसी सुझाव पर टैप करें। इसके अंत में @hpr.abdm लगता है।",
    ),
    ("hpr-id.suggestions", "Suggestions", "सुझाव"),
    (
        "hpr-id.ok",
        "This HPR ID is well formed; the registry checks that it is free when it is created.",
        "यह एचपीआर आईडी सही प्रारूप में है; बनाते समय रजिस्ट्री जाँचती है कि यह उपलब्ध है।",
    ),
    ("check.ok", "Looks right.", "सही लगता है।"),
    ("email.heading", "Your e-mail address", "आपका ई-मेल पता"),
    ("category.heading", "Your profession", "आपका व्यवसाय"),
    ("category.choose", "Choose…", "चुनें…"),
    ("review.heading", "Check your answers", "अपने उत्तर जाँचें"),
    ("review.hprId", "HPR ID", "एचपीआर आईडी"),
    ("review.email", "E-mail", "ई-मेल"),
    ("review.category", "Category", "श्रेणी"),
    ("review.edit", "Change", "बदलें"),
    ("password.heading", "Choose a password", "पासवर्ड चुनें"),
    (
        "password.intro",
        "Submitting creates your HPR ID. The password goes to the registry and is never stored here.",
        "सबमिट करने पर आपकी एचपीआर आईडी बन जाएगी। पासवर्ड रजिस्ट्री को जाता है और यहाँ कभी सहेजा नहीं जाता।",
    ),
    (
        "password.needs",
        "The password needs:",
        "पासवर्ड में होना चाहिए:",
    ),
    (
        "password.submit",
        "Create my HPR ID",
        "मेरी एचपीआर आईडी बनाएँ",
    ),
    (
        "done.heading",
        "Your HPR ID is ready",
        "आपकी एचपीआर आईडी तैयार है",
    ),
    ("done.number", "HPR ID number", "एचपीआर आईडी नंबर"),
    ("done.id", "HPR ID", "एचपीआर आईडी"),
    ("done.name", "Name", "नाम"),
    ("done.print", "Print", "प्रिंट करें"),
    (
        "existing.heading",
        "You are already registered",
        "आप पहले से पंजीकृत हैं",
    ),
    (
        "existing.intro",
        "An HPR ID already exists for this Aadhaar.",
        "इस आधार के लिए एक एचपीआर आईडी पहले से मौजूद है।",
    ),
    (
        "expired.heading",
        "This link has expired or is not valid",
        "यह लिंक समाप्त हो गया है या मान्य नहीं है",
    ),
    (
        "expired.intro",
        "Ask whoever sent it for a new registration link.",
        "जिसने इसे भेजा है, उससे नया पंजीकरण लिंक माँगें।",
    ),
    (
        "expired.no-open-access",
        "This page needs a registration link from your hospital or clinic software.",
        "इस पेज के लिए आपके अस्पताल या क्लिनिक के सॉफ़्टवेयर से पंजीकरण लिंक चाहिए।",
    ),
    (
        "forbidden.heading",
        "This form is out of date",
        "यह फ़ॉर्म पुराना हो गया है",
    ),
    (
        "forbidden.intro",
        "Nothing was sent. Go back to the registration page and try again.",
        "कुछ भी नहीं भेजा गया। पंजीकरण पेज पर लौटें और फिर से प्रयास करें।",
    ),
    (
        "forbidden.back",
        "Back to the registration",
        "पंजीकरण पर लौटें",
    ),
    ("errors.title", "There is a problem", "एक समस्या है"),
    (
        "err.otp_wrong",
        "The OTP is not correct.",
        "ओटीपी सही नहीं है।",
    ),
    (
        "err.otp_locked",
        "Too many wrong OTPs. Start again with a new OTP.",
        "बहुत बार गलत ओटीपी डाला गया। नए ओटीपी के साथ फिर से शुरू करें।",
    ),
    (
        "err.otp_expired",
        "The OTP has expired. Ask for a new one.",
        "ओटीपी की अवधि समाप्त हो गई है। नया ओटीपी माँगें।",
    ),
    (
        "err.resend_wait",
        "Please wait before asking for another OTP.",
        "दूसरा ओटीपी माँगने से पहले कृपया प्रतीक्षा करें।",
    ),
    (
        "err.hpr_id_taken",
        "This HPR ID is taken. Choose another one.",
        "यह एचपीआर आईडी पहले से ली जा चुकी है। कोई दूसरी चुनें।",
    ),
    (
        "err.registry",
        "The registry refused the request.",
        "रजिस्ट्री ने अनुरोध अस्वीकार कर दिया।",
    ),
    (
        "err.transport",
        "The registry could not be reached. Try again.",
        "रजिस्ट्री से संपर्क नहीं हो सका। फिर से प्रयास करें।",
    ),
    (
        "err.flow",
        "That is not possible at this point. Reload the page.",
        "इस समय यह संभव नहीं है। पेज फिर से लोड करें।",
    ),
    (
        "err.busy",
        "The previous request is still running. Wait a moment and try again.",
        "पिछला अनुरोध अभी चल रहा है। थोड़ी देर बाद फिर से प्रयास करें।",
    ),
    (
        "err.generic",
        "Something went wrong. Try again.",
        "कुछ गलत हो गया। फिर से प्रयास करें।",
    ),
    (
        "err.mismatch",
        "The two passwords are not the same.",
        "दोनों पासवर्ड एक जैसे नहीं हैं।",
    ),
    (
        "err.sub_mismatch",
        "This sub-category does not belong to the chosen category.",
        "यह उप-श्रेणी चुनी गई श्रेणी की नहीं है।",
    ),
    (
        "err.review_first",
        "Fill in the earlier pages first.",
        "पहले पिछले पेज भरें।",
    ),
    ("rule.required", "", "यह जानकारी ज़रूरी है।"),
    ("rule.length", "", "लंबाई सही नहीं है।"),
    ("rule.charset", "", "इसमें ऐसे अक्षर हैं जिनकी अनुमति नहीं है।"),
    ("rule.control_character", "", "इसमें नियंत्रण वर्ण नहीं हो सकते।"),
    ("rule.format", "", "प्रारूप सही नहीं है।"),
    ("rule.first_digit", "", "पहला अंक मान्य नहीं है।"),
    ("rule.checksum", "", "यह नंबर मान्य नहीं है (जाँच अंक गलत है)।"),
    ("rule.invalid_date", "", "यह तारीख मान्य नहीं है।"),
    ("rule.in_future", "", "तारीख भविष्य की नहीं हो सकती।"),
    ("rule.too_early", "", "तारीख बहुत पुरानी है।"),
    (
        "rule.password_policy",
        "",
        "पासवर्ड नीचे दी गई सभी शर्तें पूरी नहीं करता।",
    ),
    ("rule.too_large", "", "यह बहुत बड़ा है।"),
    ("rule.encoding", "", "एन्कोडिंग सही नहीं है।"),
    (
        "rule.placeholder",
        "",
        "यह एक उदाहरण मान है, असली मान दर्ज करें।",
    ),
    ("rule.unknown_field", "", "यह फ़ील्ड मान्य नहीं है।"),
    ("rule.expected_string", "", "यहाँ टेक्स्ट चाहिए।"),
    ("rule.duplicate_field", "", "यह फ़ील्ड दो बार भेजा गया।"),
    ("field.aadhaar", "", "आधार नंबर"),
    (
        "help.aadhaar",
        "12 digits; spaces are fine.",
        "12 अंक; बीच में खाली जगह चल सकती है।",
    ),
    ("field.otp.aadhaar", "Aadhaar OTP", "आधार ओटीपी"),
    ("field.otp.mobile", "Mobile OTP", "मोबाइल ओटीपी"),
    ("help.otp", "", "एसएमएस से मिला 6 अंकों का ओटीपी।"),
    ("field.mobileNumber", "", "मोबाइल नंबर"),
    ("help.mobileNumber", "", "10 अंकों का भारतीय मोबाइल नंबर।"),
    ("field.hprId", "", "एचपीआर आईडी"),
    (
        "help.hprId",
        "",
        "4 से 50 अक्षर: अंग्रेज़ी अक्षर, अंक, बिंदु (.) या अंडरस्कोर (_); शुरुआत अक्षर या अंक से।",
    ),
    ("field.email", "", "ई-मेल पता"),
    ("help.email", "", "जैसे name@example.com"),
    ("field.hpCategoryCode", "", "श्रेणी"),
    ("help.hpCategoryCode", "", "आपकी पेशेवर श्रेणी।"),
    ("field.hpSubCategoryCode", "", "उप-श्रेणी"),
    ("help.hpSubCategoryCode", "", "आपकी श्रेणी के भीतर उप-श्रेणी।"),
    ("field.password", "", "पासवर्ड"),
    ("help.password", "", "नीचे दी गई सभी शर्तें पूरी करें।"),
    (
        "field.passwordConfirmation",
        "Confirm the password",
        "पासवर्ड की पुष्टि करें",
    ),
    (
        "help.passwordConfirmation",
        "Type the same password again.",
        "वही पासवर्ड फिर से टाइप करें।",
    ),
    ("pw.length", "", "8 से 128 वर्ण"),
    ("pw.uppercase", "", "एक बड़ा अंग्रेज़ी अक्षर (A-Z)"),
    ("pw.lowercase", "", "एक छोटा अंग्रेज़ी अक्षर (a-z)"),
    ("pw.digit", "", "एक अंक (0-9)"),
    ("pw.special", "", "एक विशेष चिह्न, जैसे @ # ! -"),
    ("pw.no_control", "", "कोई नियंत्रण वर्ण नहीं"),
    ("cat.1", "", "डॉक्टर"),
    ("cat.2", "", "नर्स"),
    ("cat.6", "", "फ़ार्मासिस्ट"),
    ("sub.1", "", "आधुनिक चिकित्सा"),
    ("sub.2", "", "दंत चिकित्सक"),
    ("sub.3", "", "आयुर्वेद"),
    ("sub.4", "", "यूनानी"),
    ("sub.5", "", "सिद्ध"),
    ("sub.6", "", "होम्योपैथी"),
    ("sub.89", "", "सोवा-रिग्पा"),
    ("sub.220", "", "योग एवं प्राकृतिक चिकित्सा"),
    ("sub.7", "", "आर.ए.एन.एम."),
    ("sub.8", "", "आर.एन."),
    ("sub.9", "", "आर.एन. एवं आर.एम."),
    ("sub.10", "", "आर.एल.एच.वी."),
    ("sub.33", "", "फ़ार्मासिस्ट"),
];

/// The text for `key` in `lang`; `None` when the table has none (an empty English text means
/// "the engine's own").
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    let (_, en, hi) = TABLE.iter().find(|(k, _, _)| *k == key)?;
    let text = match lang {
        Lang::En => *en,
        Lang::Hi => *hi,
    };
    (!text.is_empty()).then_some(text)
}

/// The text for `key` in `lang`, or `fallback` (the engine's English).
pub fn text_or<'a>(lang: Lang, key: &str, fallback: &'a str) -> &'a str {
    lookup(lang, key).unwrap_or(fallback)
}

/// The text for `key` in `lang` (the key itself if it is missing: a test checks none is).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match lookup(lang, key) {
        Some(text) => text,
        None => TABLE
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("", |(_, en, _)| *en),
    }
}

/// `t` with `{n}` replaced.
pub fn t_n(lang: Lang, key: &str, n: impl std::fmt::Display) -> String {
    t(lang, key).replace("{n}", &n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_has_hindi_and_unique_keys() {
        let mut keys = std::collections::HashSet::new();
        for (key, _, hi) in TABLE {
            assert!(!hi.is_empty(), "{key} has no Hindi");
            assert!(keys.insert(*key), "{key} twice");
        }
    }

    #[test]
    fn every_rule_code_and_criterion_is_translated() {
        for criterion in abdm_hpr::types::PasswordCriterion::ALL {
            assert!(lookup(Lang::Hi, &format!("pw.{}", criterion.as_str())).is_some());
        }
        for code in [
            "required",
            "length",
            "charset",
            "control_character",
            "format",
            "first_digit",
            "checksum",
            "invalid_date",
            "in_future",
            "too_early",
            "password_policy",
            "too_large",
            "encoding",
            "placeholder",
            "unknown_field",
            "expected_string",
            "duplicate_field",
        ] {
            assert!(
                lookup(Lang::Hi, &format!("rule.{code}")).is_some(),
                "{code}"
            );
        }
        for category in abdm_hpr::CATEGORIES {
            assert!(lookup(Lang::Hi, &format!("cat.{}", category.code)).is_some());
            for sub in category.sub_categories {
                assert!(lookup(Lang::Hi, &format!("sub.{}", sub.code)).is_some());
            }
        }
    }
}
