//! Countries: the ISO 3166-1 alpha-2 code, the Dutch name, and whether the
//! country is a member state of the European Union. One list, for every
//! rule that depends on where an organisation is: the postcode's format
//! (Dutch for the Netherlands only), the KvK number (Dutch organisations
//! only), which btw-id fits the invoice address, and the VAT on the invoice.
//!
//! The member states are those of the EU's VAT area for services: Northern
//! Ireland (which has `XI` btw-ids for goods only) is part of the United
//! Kingdom here, the Dutch Caribbean (BQ, and CW, SX, AW) is outside it.

use serde::Serialize;

/// One country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2 (`BE`): what forms post and cases store.
    pub code: &'static str,
    /// As a Dutch reader names it (`België`).
    pub name: &'static str,
    /// A member state of the European Union.
    pub eu: bool,
}

/// The Netherlands' code.
pub const NETHERLANDS: &str = "NL";

/// Every country, by code.
pub const ALL: &[Country] = &[
    Country {
        code: "AD",
        name: "Andorra",
        eu: false,
    },
    Country {
        code: "AE",
        name: "Verenigde Arabische Emiraten",
        eu: false,
    },
    Country {
        code: "AF",
        name: "Afghanistan",
        eu: false,
    },
    Country {
        code: "AG",
        name: "Antigua en Barbuda",
        eu: false,
    },
    Country {
        code: "AL",
        name: "Albanië",
        eu: false,
    },
    Country {
        code: "AM",
        name: "Armenië",
        eu: false,
    },
    Country {
        code: "AO",
        name: "Angola",
        eu: false,
    },
    Country {
        code: "AR",
        name: "Argentinië",
        eu: false,
    },
    Country {
        code: "AT",
        name: "Oostenrijk",
        eu: true,
    },
    Country {
        code: "AU",
        name: "Australië",
        eu: false,
    },
    Country {
        code: "AW",
        name: "Aruba",
        eu: false,
    },
    Country {
        code: "AZ",
        name: "Azerbeidzjan",
        eu: false,
    },
    Country {
        code: "BA",
        name: "Bosnië en Herzegovina",
        eu: false,
    },
    Country {
        code: "BB",
        name: "Barbados",
        eu: false,
    },
    Country {
        code: "BD",
        name: "Bangladesh",
        eu: false,
    },
    Country {
        code: "BE",
        name: "België",
        eu: true,
    },
    Country {
        code: "BF",
        name: "Burkina Faso",
        eu: false,
    },
    Country {
        code: "BG",
        name: "Bulgarije",
        eu: true,
    },
    Country {
        code: "BH",
        name: "Bahrein",
        eu: false,
    },
    Country {
        code: "BI",
        name: "Burundi",
        eu: false,
    },
    Country {
        code: "BJ",
        name: "Benin",
        eu: false,
    },
    Country {
        code: "BN",
        name: "Brunei",
        eu: false,
    },
    Country {
        code: "BO",
        name: "Bolivia",
        eu: false,
    },
    Country {
        code: "BQ",
        name: "Caribisch Nederland",
        eu: false,
    },
    Country {
        code: "BR",
        name: "Brazilië",
        eu: false,
    },
    Country {
        code: "BS",
        name: "Bahama's",
        eu: false,
    },
    Country {
        code: "BT",
        name: "Bhutan",
        eu: false,
    },
    Country {
        code: "BW",
        name: "Botswana",
        eu: false,
    },
    Country {
        code: "BY",
        name: "Belarus",
        eu: false,
    },
    Country {
        code: "BZ",
        name: "Belize",
        eu: false,
    },
    Country {
        code: "CA",
        name: "Canada",
        eu: false,
    },
    Country {
        code: "CD",
        name: "Congo (Democratische Republiek)",
        eu: false,
    },
    Country {
        code: "CF",
        name: "Centraal-Afrikaanse Republiek",
        eu: false,
    },
    Country {
        code: "CG",
        name: "Congo (Republiek)",
        eu: false,
    },
    Country {
        code: "CH",
        name: "Zwitserland",
        eu: false,
    },
    Country {
        code: "CI",
        name: "Ivoorkust",
        eu: false,
    },
    Country {
        code: "CL",
        name: "Chili",
        eu: false,
    },
    Country {
        code: "CM",
        name: "Kameroen",
        eu: false,
    },
    Country {
        code: "CN",
        name: "China",
        eu: false,
    },
    Country {
        code: "CO",
        name: "Colombia",
        eu: false,
    },
    Country {
        code: "CR",
        name: "Costa Rica",
        eu: false,
    },
    Country {
        code: "CU",
        name: "Cuba",
        eu: false,
    },
    Country {
        code: "CV",
        name: "Kaapverdië",
        eu: false,
    },
    Country {
        code: "CW",
        name: "Curaçao",
        eu: false,
    },
    Country {
        code: "CY",
        name: "Cyprus",
        eu: true,
    },
    Country {
        code: "CZ",
        name: "Tsjechië",
        eu: true,
    },
    Country {
        code: "DE",
        name: "Duitsland",
        eu: true,
    },
    Country {
        code: "DJ",
        name: "Djibouti",
        eu: false,
    },
    Country {
        code: "DK",
        name: "Denemarken",
        eu: true,
    },
    Country {
        code: "DM",
        name: "Dominica",
        eu: false,
    },
    Country {
        code: "DO",
        name: "Dominicaanse Republiek",
        eu: false,
    },
    Country {
        code: "DZ",
        name: "Algerije",
        eu: false,
    },
    Country {
        code: "EC",
        name: "Ecuador",
        eu: false,
    },
    Country {
        code: "EE",
        name: "Estland",
        eu: true,
    },
    Country {
        code: "EG",
        name: "Egypte",
        eu: false,
    },
    Country {
        code: "ER",
        name: "Eritrea",
        eu: false,
    },
    Country {
        code: "ES",
        name: "Spanje",
        eu: true,
    },
    Country {
        code: "ET",
        name: "Ethiopië",
        eu: false,
    },
    Country {
        code: "FI",
        name: "Finland",
        eu: true,
    },
    Country {
        code: "FJ",
        name: "Fiji",
        eu: false,
    },
    Country {
        code: "FM",
        name: "Micronesia",
        eu: false,
    },
    Country {
        code: "FR",
        name: "Frankrijk",
        eu: true,
    },
    Country {
        code: "GA",
        name: "Gabon",
        eu: false,
    },
    Country {
        code: "GB",
        name: "Verenigd Koninkrijk",
        eu: false,
    },
    Country {
        code: "GD",
        name: "Grenada",
        eu: false,
    },
    Country {
        code: "GE",
        name: "Georgië",
        eu: false,
    },
    Country {
        code: "GH",
        name: "Ghana",
        eu: false,
    },
    Country {
        code: "GI",
        name: "Gibraltar",
        eu: false,
    },
    Country {
        code: "GM",
        name: "Gambia",
        eu: false,
    },
    Country {
        code: "GN",
        name: "Guinee",
        eu: false,
    },
    Country {
        code: "GQ",
        name: "Equatoriaal-Guinea",
        eu: false,
    },
    Country {
        code: "GR",
        name: "Griekenland",
        eu: true,
    },
    Country {
        code: "GT",
        name: "Guatemala",
        eu: false,
    },
    Country {
        code: "GW",
        name: "Guinee-Bissau",
        eu: false,
    },
    Country {
        code: "GY",
        name: "Guyana",
        eu: false,
    },
    Country {
        code: "HK",
        name: "Hongkong",
        eu: false,
    },
    Country {
        code: "HN",
        name: "Honduras",
        eu: false,
    },
    Country {
        code: "HR",
        name: "Kroatië",
        eu: true,
    },
    Country {
        code: "HT",
        name: "Haïti",
        eu: false,
    },
    Country {
        code: "HU",
        name: "Hongarije",
        eu: true,
    },
    Country {
        code: "ID",
        name: "Indonesië",
        eu: false,
    },
    Country {
        code: "IE",
        name: "Ierland",
        eu: true,
    },
    Country {
        code: "IL",
        name: "Israël",
        eu: false,
    },
    Country {
        code: "IN",
        name: "India",
        eu: false,
    },
    Country {
        code: "IQ",
        name: "Irak",
        eu: false,
    },
    Country {
        code: "IR",
        name: "Iran",
        eu: false,
    },
    Country {
        code: "IS",
        name: "IJsland",
        eu: false,
    },
    Country {
        code: "IT",
        name: "Italië",
        eu: true,
    },
    Country {
        code: "JM",
        name: "Jamaica",
        eu: false,
    },
    Country {
        code: "JO",
        name: "Jordanië",
        eu: false,
    },
    Country {
        code: "JP",
        name: "Japan",
        eu: false,
    },
    Country {
        code: "KE",
        name: "Kenia",
        eu: false,
    },
    Country {
        code: "KG",
        name: "Kirgizië",
        eu: false,
    },
    Country {
        code: "KH",
        name: "Cambodja",
        eu: false,
    },
    Country {
        code: "KI",
        name: "Kiribati",
        eu: false,
    },
    Country {
        code: "KM",
        name: "Comoren",
        eu: false,
    },
    Country {
        code: "KN",
        name: "Saint Kitts en Nevis",
        eu: false,
    },
    Country {
        code: "KP",
        name: "Noord-Korea",
        eu: false,
    },
    Country {
        code: "KR",
        name: "Zuid-Korea",
        eu: false,
    },
    Country {
        code: "KW",
        name: "Koeweit",
        eu: false,
    },
    Country {
        code: "KZ",
        name: "Kazachstan",
        eu: false,
    },
    Country {
        code: "LA",
        name: "Laos",
        eu: false,
    },
    Country {
        code: "LB",
        name: "Libanon",
        eu: false,
    },
    Country {
        code: "LC",
        name: "Saint Lucia",
        eu: false,
    },
    Country {
        code: "LI",
        name: "Liechtenstein",
        eu: false,
    },
    Country {
        code: "LK",
        name: "Sri Lanka",
        eu: false,
    },
    Country {
        code: "LR",
        name: "Liberia",
        eu: false,
    },
    Country {
        code: "LS",
        name: "Lesotho",
        eu: false,
    },
    Country {
        code: "LT",
        name: "Litouwen",
        eu: true,
    },
    Country {
        code: "LU",
        name: "Luxemburg",
        eu: true,
    },
    Country {
        code: "LV",
        name: "Letland",
        eu: true,
    },
    Country {
        code: "LY",
        name: "Libië",
        eu: false,
    },
    Country {
        code: "MA",
        name: "Marokko",
        eu: false,
    },
    Country {
        code: "MC",
        name: "Monaco",
        eu: false,
    },
    Country {
        code: "MD",
        name: "Moldavië",
        eu: false,
    },
    Country {
        code: "ME",
        name: "Montenegro",
        eu: false,
    },
    Country {
        code: "MG",
        name: "Madagaskar",
        eu: false,
    },
    Country {
        code: "MH",
        name: "Marshalleilanden",
        eu: false,
    },
    Country {
        code: "MK",
        name: "Noord-Macedonië",
        eu: false,
    },
    Country {
        code: "ML",
        name: "Mali",
        eu: false,
    },
    Country {
        code: "MM",
        name: "Myanmar",
        eu: false,
    },
    Country {
        code: "MN",
        name: "Mongolië",
        eu: false,
    },
    Country {
        code: "MR",
        name: "Mauritanië",
        eu: false,
    },
    Country {
        code: "MT",
        name: "Malta",
        eu: true,
    },
    Country {
        code: "MU",
        name: "Mauritius",
        eu: false,
    },
    Country {
        code: "MV",
        name: "Maldiven",
        eu: false,
    },
    Country {
        code: "MW",
        name: "Malawi",
        eu: false,
    },
    Country {
        code: "MX",
        name: "Mexico",
        eu: false,
    },
    Country {
        code: "MY",
        name: "Maleisië",
        eu: false,
    },
    Country {
        code: "MZ",
        name: "Mozambique",
        eu: false,
    },
    Country {
        code: "NA",
        name: "Namibië",
        eu: false,
    },
    Country {
        code: "NE",
        name: "Niger",
        eu: false,
    },
    Country {
        code: "NG",
        name: "Nigeria",
        eu: false,
    },
    Country {
        code: "NI",
        name: "Nicaragua",
        eu: false,
    },
    Country {
        code: "NL",
        name: "Nederland",
        eu: true,
    },
    Country {
        code: "NO",
        name: "Noorwegen",
        eu: false,
    },
    Country {
        code: "NP",
        name: "Nepal",
        eu: false,
    },
    Country {
        code: "NR",
        name: "Nauru",
        eu: false,
    },
    Country {
        code: "NZ",
        name: "Nieuw-Zeeland",
        eu: false,
    },
    Country {
        code: "OM",
        name: "Oman",
        eu: false,
    },
    Country {
        code: "PA",
        name: "Panama",
        eu: false,
    },
    Country {
        code: "PE",
        name: "Peru",
        eu: false,
    },
    Country {
        code: "PG",
        name: "Papoea-Nieuw-Guinea",
        eu: false,
    },
    Country {
        code: "PH",
        name: "Filipijnen",
        eu: false,
    },
    Country {
        code: "PK",
        name: "Pakistan",
        eu: false,
    },
    Country {
        code: "PL",
        name: "Polen",
        eu: true,
    },
    Country {
        code: "PS",
        name: "Palestina",
        eu: false,
    },
    Country {
        code: "PT",
        name: "Portugal",
        eu: true,
    },
    Country {
        code: "PW",
        name: "Palau",
        eu: false,
    },
    Country {
        code: "PY",
        name: "Paraguay",
        eu: false,
    },
    Country {
        code: "QA",
        name: "Qatar",
        eu: false,
    },
    Country {
        code: "RO",
        name: "Roemenië",
        eu: true,
    },
    Country {
        code: "RS",
        name: "Servië",
        eu: false,
    },
    Country {
        code: "RU",
        name: "Rusland",
        eu: false,
    },
    Country {
        code: "RW",
        name: "Rwanda",
        eu: false,
    },
    Country {
        code: "SA",
        name: "Saoedi-Arabië",
        eu: false,
    },
    Country {
        code: "SB",
        name: "Salomonseilanden",
        eu: false,
    },
    Country {
        code: "SC",
        name: "Seychellen",
        eu: false,
    },
    Country {
        code: "SD",
        name: "Soedan",
        eu: false,
    },
    Country {
        code: "SE",
        name: "Zweden",
        eu: true,
    },
    Country {
        code: "SG",
        name: "Singapore",
        eu: false,
    },
    Country {
        code: "SI",
        name: "Slovenië",
        eu: true,
    },
    Country {
        code: "SK",
        name: "Slowakije",
        eu: true,
    },
    Country {
        code: "SL",
        name: "Sierra Leone",
        eu: false,
    },
    Country {
        code: "SM",
        name: "San Marino",
        eu: false,
    },
    Country {
        code: "SN",
        name: "Senegal",
        eu: false,
    },
    Country {
        code: "SO",
        name: "Somalië",
        eu: false,
    },
    Country {
        code: "SR",
        name: "Suriname",
        eu: false,
    },
    Country {
        code: "SS",
        name: "Zuid-Soedan",
        eu: false,
    },
    Country {
        code: "ST",
        name: "Sao Tomé en Principe",
        eu: false,
    },
    Country {
        code: "SV",
        name: "El Salvador",
        eu: false,
    },
    Country {
        code: "SX",
        name: "Sint Maarten",
        eu: false,
    },
    Country {
        code: "SY",
        name: "Syrië",
        eu: false,
    },
    Country {
        code: "SZ",
        name: "Eswatini",
        eu: false,
    },
    Country {
        code: "TD",
        name: "Tsjaad",
        eu: false,
    },
    Country {
        code: "TG",
        name: "Togo",
        eu: false,
    },
    Country {
        code: "TH",
        name: "Thailand",
        eu: false,
    },
    Country {
        code: "TJ",
        name: "Tadzjikistan",
        eu: false,
    },
    Country {
        code: "TL",
        name: "Oost-Timor",
        eu: false,
    },
    Country {
        code: "TM",
        name: "Turkmenistan",
        eu: false,
    },
    Country {
        code: "TN",
        name: "Tunesië",
        eu: false,
    },
    Country {
        code: "TO",
        name: "Tonga",
        eu: false,
    },
    Country {
        code: "TR",
        name: "Turkije",
        eu: false,
    },
    Country {
        code: "TT",
        name: "Trinidad en Tobago",
        eu: false,
    },
    Country {
        code: "TV",
        name: "Tuvalu",
        eu: false,
    },
    Country {
        code: "TW",
        name: "Taiwan",
        eu: false,
    },
    Country {
        code: "TZ",
        name: "Tanzania",
        eu: false,
    },
    Country {
        code: "UA",
        name: "Oekraïne",
        eu: false,
    },
    Country {
        code: "UG",
        name: "Oeganda",
        eu: false,
    },
    Country {
        code: "US",
        name: "Verenigde Staten",
        eu: false,
    },
    Country {
        code: "UY",
        name: "Uruguay",
        eu: false,
    },
    Country {
        code: "UZ",
        name: "Oezbekistan",
        eu: false,
    },
    Country {
        code: "VA",
        name: "Vaticaanstad",
        eu: false,
    },
    Country {
        code: "VC",
        name: "Saint Vincent en de Grenadines",
        eu: false,
    },
    Country {
        code: "VE",
        name: "Venezuela",
        eu: false,
    },
    Country {
        code: "VN",
        name: "Vietnam",
        eu: false,
    },
    Country {
        code: "VU",
        name: "Vanuatu",
        eu: false,
    },
    Country {
        code: "WS",
        name: "Samoa",
        eu: false,
    },
    Country {
        code: "XK",
        name: "Kosovo",
        eu: false,
    },
    Country {
        code: "YE",
        name: "Jemen",
        eu: false,
    },
    Country {
        code: "ZA",
        name: "Zuid-Afrika",
        eu: false,
    },
    Country {
        code: "ZM",
        name: "Zambia",
        eu: false,
    },
    Country {
        code: "ZW",
        name: "Zimbabwe",
        eu: false,
    },
];

/// Other ways people write a country, for a value typed rather than
/// chosen (a client posting JSON, a case stored before the form had a
/// list): English and local names of the neighbours and of the common
/// ones, and the old spellings.
const ALIASES: &[(&str, &str)] = &[
    ("holland", "NL"),
    ("netherlands", "NL"),
    ("the netherlands", "NL"),
    ("nld", "NL"),
    ("belgie", "BE"),
    ("belgium", "BE"),
    ("belgique", "BE"),
    ("germany", "DE"),
    ("deutschland", "DE"),
    ("france", "FR"),
    ("luxembourg", "LU"),
    ("switzerland", "CH"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("united kingdom", "GB"),
    ("uk", "GB"),
    ("engeland", "GB"),
    ("groot-brittannie", "GB"),
    ("united states", "US"),
    ("usa", "US"),
    ("verenigde staten van amerika", "US"),
    ("oostenrijk", "AT"),
    ("austria", "AT"),
    ("spain", "ES"),
    ("italy", "IT"),
    ("ireland", "IE"),
    ("denmark", "DK"),
    ("sweden", "SE"),
    ("norway", "NO"),
    ("poland", "PL"),
];

/// The country with `code` (`BE`).
pub fn by_code(code: &str) -> Option<&'static Country> {
    ALL.iter().find(|c| c.code == code)
}

/// The country meant by a value as typed or chosen: a code (`be`), a Dutch
/// name (`België`, `belgie`) or a common other name (`Belgium`). An empty
/// value is the Netherlands, the forms' default.
pub fn parse(input: &str) -> Option<&'static Country> {
    let t = input.trim();
    if t.is_empty() {
        return by_code(NETHERLANDS);
    }
    let upper = t.to_ascii_uppercase();
    if let Some(c) = by_code(&upper) {
        return Some(c);
    }
    let key = fold(t);
    ALL.iter().find(|c| fold(c.name) == key).or_else(|| {
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == key)
            .and_then(|(_, code)| by_code(code))
    })
}

/// Lower case, without the accents people leave out (`België` = `belgie`).
fn fold(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// Every country for a list to choose from: the Netherlands first (most
/// applicants), then the others by their Dutch name.
pub fn for_choice() -> Vec<&'static Country> {
    let mut list: Vec<&Country> = ALL.iter().collect();
    list.sort_by_key(|c| (c.code != NETHERLANDS, fold(c.name)));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_the_member_states_are_27() {
        let mut codes: Vec<&str> = ALL.iter().map(|c| c.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
        assert_eq!(ALL.iter().filter(|c| c.eu).count(), 27);
        assert!(ALL
            .iter()
            .all(|c| c.code.len() == 2 && c.code.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn typed_countries_are_found() {
        for (typed, code) in [
            ("", "NL"),
            ("Nederland", "NL"),
            ("nl", "NL"),
            (" the Netherlands ", "NL"),
            ("Holland", "NL"),
            ("België", "BE"),
            ("belgie", "BE"),
            ("Belgium", "BE"),
            ("BE", "BE"),
            ("Duitsland", "DE"),
            ("Deutschland", "DE"),
            ("Zwitserland", "CH"),
            ("Curaçao", "CW"),
            ("curacao", "CW"),
        ] {
            assert_eq!(parse(typed).map(|c| c.code), Some(code), "{typed:?}");
        }
        for unknown in ["Atlantis", "XX", "Nederland en België"] {
            assert_eq!(parse(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn the_list_starts_with_the_netherlands() {
        let list = for_choice();
        assert_eq!(list.first().map(|c| c.code), Some("NL"));
        assert_eq!(list.get(1).map(|c| c.name), Some("Afghanistan"));
        assert_eq!(list.len(), ALL.len());
    }
}
