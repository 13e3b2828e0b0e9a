//! jrnl's encrypted journals: the v3 format jrnl 4 writes, and the v2 and v1 formats it
//! still reads.
//!
//! * v3: `JRNLv3`, a big-endian `u16` header length, a header (base64 of a JSON object, or
//!   the JSON itself in early files) holding the random `salt`, then a Fernet token whose
//!   key is PBKDF2-HMAC-SHA256 of the password over that salt, 100,000 rounds.
//! * v2: a bare Fernet token (it starts `gAAAAA`), the same key derivation over jrnl's one
//!   fixed salt.
//! * v1: a 16-byte IV, then AES-256-CBC under the SHA-256 of the password, PKCS#7 padding
//!   (the oldest files pad with spaces instead).
//!
//! A Fernet token is `0x80`, an 8-byte time, a 16-byte IV, AES-128-CBC ciphertext and an
//! HMAC-SHA256 over all of that; its 32-byte key is the HMAC key, then the AES key. A wrong
//! password fails the HMAC (v2, v3) or the padding and UTF-8 checks (v1), so it is told
//! apart from a damaged file as well as each format allows.

use aes::cipher::block_padding::{NoPadding, Pkcs7};
use aes::cipher::{BlockDecryptMut, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The prefix of jrnl's v3 files.
const V3_MAGIC: &[u8] = b"JRNLv3";
/// How every v2 file starts: a Fernet token's version byte and time, in base64.
const V2_PREFIX: &[u8] = b"gAAAAA";
/// jrnl's fixed v2 salt.
const V2_SALT: &[u8] = b"\xf2\xd5q\x0e\xc1\x8d.\xde\xdc\x8e6t\x89\x04\xce\xf8";
/// PBKDF2 rounds of v2 and v3.
const ROUNDS: u32 = 100_000;
/// A v3 header is at most this long (its length is a `u16`); its salt is short.
const MAX_SALT: usize = 1024;

/// Which of jrnl's encrypted formats a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JrnlEncryption {
    /// AES-256-CBC under the password's SHA-256 (jrnl 1).
    V1,
    /// A Fernet token under a fixed salt (jrnl 2 and 3).
    V2,
    /// A header with a random salt, then a Fernet token (jrnl 4).
    V3,
}

impl JrnlEncryption {
    /// The format of `bytes`, or `None` when they read as a plain journal or export
    /// (UTF-8 text) or cannot be any of jrnl's. Like jrnl, other bytes are taken for v1
    /// when they are an IV and whole AES blocks.
    pub fn detect(bytes: &[u8]) -> Option<JrnlEncryption> {
        if bytes.starts_with(V3_MAGIC) {
            Some(JrnlEncryption::V3)
        } else if bytes.starts_with(V2_PREFIX) {
            Some(JrnlEncryption::V2)
        } else if bytes.len() < 32
            || !bytes.len().is_multiple_of(16)
            || std::str::from_utf8(bytes).is_ok()
        {
            None
        } else {
            Some(JrnlEncryption::V1)
        }
    }

    /// jrnl's name for the format.
    pub fn name(self) -> &'static str {
        match self {
            JrnlEncryption::V1 => "v1",
            JrnlEncryption::V2 => "v2",
            JrnlEncryption::V3 => "v3",
        }
    }
}

/// An encrypted jrnl journal that could not be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The password does not open it.
    #[error("the password does not open this encrypted jrnl journal")]
    WrongPassword,
    /// The file is cut short or altered.
    #[error("the encrypted jrnl journal is damaged ({0})")]
    Damaged(&'static str),
}

/// The text of an encrypted jrnl journal, in whichever format it is.
pub fn decrypt(
    bytes: &[u8],
    format: JrnlEncryption,
    password: &str,
) -> Result<Zeroizing<String>, DecryptError> {
    match format {
        JrnlEncryption::V1 => decrypt_v1(bytes, password),
        JrnlEncryption::V2 => {
            let key = derive(password, V2_SALT);
            open_fernet(bytes, &key)
        }
        JrnlEncryption::V3 => {
            let (salt, token) = v3_parts(bytes)?;
            let key = derive(password, &salt);
            open_fernet(token, &key)
        }
    }
}

/// PBKDF2-HMAC-SHA256 of the password: the 32 bytes of a Fernet key.
fn derive(password: &str, salt: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, ROUNDS, key.as_mut());
    key
}

/// The salt and the Fernet token of a v3 file.
fn v3_parts(bytes: &[u8]) -> Result<(Vec<u8>, &[u8]), DecryptError> {
    let rest = &bytes[V3_MAGIC.len()..];
    let (len, rest) = rest
        .split_first_chunk::<2>()
        .ok_or(DecryptError::Damaged("no header length"))?;
    let len = usize::from(u16::from_be_bytes(*len));
    let header = rest
        .get(..len)
        .ok_or(DecryptError::Damaged("the header is cut short"))?;
    let token = &rest[len..];
    let json = STANDARD.decode(header).unwrap_or_else(|_| header.to_vec());
    let header: serde_json::Value = serde_json::from_slice(&json)
        .map_err(|_| DecryptError::Damaged("the header is not JSON"))?;
    let salt = header
        .get("salt")
        .and_then(serde_json::Value::as_str)
        .filter(|s| s.len() <= MAX_SALT)
        .ok_or(DecryptError::Damaged("the header has no salt"))?;
    let salt =
        decode_url_safe(salt.as_bytes()).ok_or(DecryptError::Damaged("the salt is not base64"))?;
    Ok((salt, token))
}

/// URL-safe base64 with or without its `=` padding, ASCII whitespace around it ignored.
fn decode_url_safe(text: &[u8]) -> Option<Vec<u8>> {
    let text = text.trim_ascii();
    let unpadded = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    let mut padded = unpadded.to_vec();
    padded.resize(unpadded.len().div_ceil(4) * 4, b'=');
    URL_SAFE.decode(&padded).ok()
}

/// Opens a Fernet token under a 32-byte key: HMAC first, then AES-128-CBC.
fn open_fernet(token: &[u8], key: &[u8; 32]) -> Result<Zeroizing<String>, DecryptError> {
    const HEAD: usize = 1 + 8 + 16;
    const MAC: usize = 32;
    let raw = decode_url_safe(token).ok_or(DecryptError::Damaged("the token is not base64"))?;
    if raw.len() < HEAD + 16 + MAC || !(raw.len() - HEAD - MAC).is_multiple_of(16) {
        return Err(DecryptError::Damaged("the token has the wrong length"));
    }
    if raw[0] != 0x80 {
        return Err(DecryptError::Damaged("the token's version is unknown"));
    }
    let (signed, tag) = raw.split_at(raw.len() - MAC);
    let (mac_key, aes_key) = key.split_at(16);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(mac_key)
        .map_err(|_| DecryptError::Damaged("key length"))?;
    mac.update(signed);
    mac.verify_slice(tag)
        .map_err(|_| DecryptError::WrongPassword)?;
    let iv = &signed[9..HEAD];
    let mut body = Zeroizing::new(signed[HEAD..].to_vec());
    let plain = cbc::Decryptor::<aes::Aes128>::new_from_slices(aes_key, iv)
        .map_err(|_| DecryptError::Damaged("key length"))?
        .decrypt_padded_mut::<Pkcs7>(&mut body)
        .map_err(|_| DecryptError::Damaged("the padding is wrong"))?;
    let text = std::str::from_utf8(plain).map_err(|_| DecryptError::Damaged("not UTF-8 text"))?;
    Ok(Zeroizing::new(text.to_string()))
}

/// Opens a v1 file: the IV, then AES-256-CBC under SHA-256 of the password.
fn decrypt_v1(bytes: &[u8], password: &str) -> Result<Zeroizing<String>, DecryptError> {
    if bytes.len() < 32 || !bytes.len().is_multiple_of(16) {
        return Err(DecryptError::Damaged("its length is not whole AES blocks"));
    }
    let key = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(password.as_bytes())));
    let (iv, cipher) = bytes.split_at(16);
    let mut body = Zeroizing::new(cipher.to_vec());
    let decryptor = cbc::Decryptor::<aes::Aes256>::new_from_slices(key.as_ref(), iv)
        .map_err(|_| DecryptError::Damaged("key length"))?;
    let padded = decryptor
        .decrypt_padded_mut::<NoPadding>(&mut body)
        .map_err(|_| DecryptError::Damaged("its length is not whole AES blocks"))?;
    // The oldest files pad with spaces; the others with PKCS#7.
    let plain = if padded.last() == Some(&b' ') {
        let end = padded.iter().rposition(|b| *b != b' ').map_or(0, |i| i + 1);
        &padded[..end]
    } else {
        let n = usize::from(*padded.last().ok_or(DecryptError::WrongPassword)?);
        if n == 0
            || n > 16
            || padded[padded.len() - n..]
                .iter()
                .any(|b| usize::from(*b) != n)
        {
            return Err(DecryptError::WrongPassword);
        }
        &padded[..padded.len() - n]
    };
    let text = std::str::from_utf8(plain).map_err(|_| DecryptError::WrongPassword)?;
    Ok(Zeroizing::new(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every sample below, each written by jrnl 4.6's own classes (v3) or the
    /// same primitives (v2, v1) and read back by jrnl's decryptors.
    const TEXT: &str = "[2024-01-02 09:15:00 PM] Tief durchatmen. \u{dc}ber #Ruhe\n";
    const PASSWORD: &str = "correct horse";
    const V3: &str = "SlJOTHYzADBleUp6WVd4MElqb2lZVk51Ukhwc1dHaFBhMGc1WTJoSlpHMHdNekJzZHowOUluMD1nQUFBQUFCckZnQ01IR3JSWGpoekNDVjcxTDl1Smt2Sm4zU3ZCdXBnTVU0NnZyS3I1SVFCSW8xcGFaOXdSYXVxVkVhdUt1MURrRkFrNTJIS08ybzctQlVEQzllZkw3ZWJCdFQ2aDNGRGtoWmVaZDJtUV9HTVpkTE1PRG1IWjUzRDVkOUtBX0pIQ2lzNWRyWXl5OGxjSkhtelNTUkJ0bHY5eFE9PQ==";
    const V2: &str = "gAAAAABrFgCM6aroeKews-4WIRgBw1URgFIE2Jy1sZkwPIuWSiw6wcovpB07Z45XOdEj4i4fnAJGPdRlgobSXR0_VEk-NyGs8GsFoLdv_wjWHeg4tvKvCcTCq6_z5M2oGtKpKHI1l_FPsug-q3qv-ikbWVR0vaDdfw==";
    const V1: &str = "XeQG4mNPZixqrd4AtXnZu/Qxp6vc9Jjy6HtDYr7L7I1zUOtaxDwYhU6239G3Y4IgbToWOxxDT+2wLCRaisIUoW57zFk9SvwmPlJp9x/4Ojs=";

    fn samples() -> [(JrnlEncryption, Vec<u8>); 3] {
        [
            (JrnlEncryption::V3, STANDARD.decode(V3).unwrap()),
            (JrnlEncryption::V2, V2.as_bytes().to_vec()),
            (JrnlEncryption::V1, STANDARD.decode(V1).unwrap()),
        ]
    }

    #[test]
    fn every_format_opens_with_its_password_and_only_with_it() {
        for (format, bytes) in samples() {
            assert_eq!(JrnlEncryption::detect(&bytes), Some(format));
            let text = decrypt(&bytes, format, PASSWORD).unwrap();
            assert_eq!(text.as_str(), TEXT, "{format:?}");
            assert_eq!(
                decrypt(&bytes, format, "correct horse "),
                Err(DecryptError::WrongPassword),
                "{format:?}"
            );
        }
        assert_eq!(JrnlEncryption::detect(TEXT.as_bytes()), None);
        assert_eq!(JrnlEncryption::detect(b""), None);
        // Too short, or not whole blocks: not jrnl's, so reported as not text.
        assert_eq!(JrnlEncryption::detect(&[0xff, 0xfe, 0, 0x41]), None);
        assert_eq!(JrnlEncryption::detect(&[0xff; 40]), None);
        assert_eq!(
            JrnlEncryption::detect(&[0xff; 48]),
            Some(JrnlEncryption::V1)
        );
    }

    #[test]
    fn cut_or_altered_files_are_damaged_not_a_wrong_password() {
        let [(_, v3), (_, v2), (_, v1)] = samples();
        for cut in [6, 7, 8, 20, v3.len() - 10] {
            let err = decrypt(&v3[..cut], JrnlEncryption::V3, PASSWORD).unwrap_err();
            assert!(matches!(err, DecryptError::Damaged(_)), "{cut}: {err}");
        }
        let err = decrypt(&v2[..v2.len() - 7], JrnlEncryption::V2, PASSWORD).unwrap_err();
        assert!(matches!(err, DecryptError::Damaged(_)), "{err}");
        let err = decrypt(&v1[..v1.len() - 3], JrnlEncryption::V1, PASSWORD).unwrap_err();
        assert!(matches!(err, DecryptError::Damaged(_)), "{err}");
        // A flipped ciphertext byte fails the HMAC, as a wrong key does.
        let mut flipped = STANDARD.decode(V3).unwrap();
        let at = flipped.len() - 60;
        flipped[at] ^= 1;
        assert!(decrypt(&flipped, JrnlEncryption::V3, PASSWORD).is_err());
    }
}
