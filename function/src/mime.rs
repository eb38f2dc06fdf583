//! A [`Message`] as raw MIME (RFC 5322), built with mail-builder: the SES
//! adapter sends it as a raw message (the only way to attach the invoice),
//! and the local outbox writes it as a `.eml` file a person can open.
//! mail-builder encodes every header, so the display names and subjects
//! that carry user text are encoded words, never raw header lines.

use cbt::mail::{Address, Message};
use mail_builder::headers::address::Address as MbAddress;
use mail_builder::MessageBuilder;

fn mb(a: &Address) -> MbAddress<'_> {
    match &a.name {
        Some(name) => MbAddress::new_address(Some(name.as_str()), a.email.as_str()),
        None => MbAddress::new_address(None::<&str>, a.email.as_str()),
    }
}

/// The message as bytes, with `message_id` (without angle brackets).
pub fn to_mime(message: &Message, message_id: &str) -> Vec<u8> {
    let mut builder = MessageBuilder::new()
        .from(mb(&message.from))
        .to(MbAddress::new_list(message.to.iter().map(mb).collect()))
        .subject(message.subject())
        .message_id(message_id)
        .text_body(message.text.as_str())
        .html_body(message.html.as_str());
    if let Some(reply_to) = &message.reply_to {
        builder = builder.reply_to(mb(reply_to));
    }
    for a in &message.attachments {
        builder = builder.attachment(
            a.content_type.as_str(),
            a.filename.as_str(),
            a.bytes.as_slice(),
        );
    }
    // Writing into a Vec cannot fail.
    builder.write_to_vec().unwrap_or_default()
}
