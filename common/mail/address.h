// E-mail addresses bdtx accepts (directory imports, and again before every send): the
// RFC 5321 "Mailbox" a relay takes in MAIL FROM / RCPT TO, restricted to what real
// school and department addresses use — an ASCII dot-atom local part (RFC 5322 atext),
// '@', and a domain of at least two LDH labels (RFC 1035/5890 letters, digits, hyphens;
// internationalised domains in punycode, xn--; the last label not all digits). Quoted
// local parts, address literals ([1.2.3.4], or 1.2.3.4 unbracketed), comments, display names,
// spaces and every control character (CR, LF: SMTP command injection) are refused. Length limits of
// RFC 5321 4.5.3.1: local part
// <= 64, address <= 254 octets.
//
// Thread-safety: pure function.
#ifndef BDTX_COMMON_MAIL_ADDRESS_H_
#define BDTX_COMMON_MAIL_ADDRESS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bdtx::mail {

// OK, or INVALID_ARGUMENT whose message says what is wrong (in Vietnamese, for the
// person fixing the file), e.g. "thiếu '@'" for "khong co email".
absl::Status ValidateAddress(absl::string_view address);

}  // namespace bdtx::mail

#endif  // BDTX_COMMON_MAIL_ADDRESS_H_
