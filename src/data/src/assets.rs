//! Names of the site's own files. The stylesheet's name carries a hash of
//! its content, so it may be cached for a year and a change is still seen
//! at once; the generator and the function compute the name with this one
//! function, so the pages of both point at the same file.

use sha2::{Digest, Sha256};

/// `style.css` -> `style.<10 hex digits>.css`.
pub fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hex}.{ext}"),
        None => format!("{name}.{hex}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_follows_content() {
        let a = super::hashed_name("style.css", b"a{}");
        assert!(
            a.starts_with("style.") && a.ends_with(".css") && a.len() == "style..css".len() + 10,
            "{a}"
        );
        assert_ne!(a, super::hashed_name("style.css", b"b{}"));
        assert_eq!(a, super::hashed_name("style.css", b"a{}"));
    }
}
